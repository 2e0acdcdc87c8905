"""Signed checkpoints of every audit chain head, to be kept off the server.

Someone who can write the database can recompute a whole chain; they cannot make it match a checkpoint signed
earlier with a key that lives outside the database and a copy that lives outside the server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from mediation.audit.chain import canonical_time
from mediation.audit.verify import AuditReport, ChainHead
from mediation.errors import InvalidInput

FORMAT = "mediation-audit-checkpoint/1"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def create_checkpoint(report: AuditReport, signing_key: Ed25519PrivateKey, now: datetime) -> dict[str, Any]:
    """A signed document holding every chain head and a digest over them all."""
    heads = {chain: {"seq": head.seq, "hash": head.hash} for chain, head in sorted(report.heads.items())}
    payload = {
        "format": FORMAT,
        "created_at": canonical_time(now),
        "chains": len(heads),
        "digest": hashlib.sha256(_canonical(heads)).hexdigest(),
        "heads": heads,
    }
    return {
        "payload": payload,
        "signature": base64.b64encode(signing_key.sign(_canonical(payload))).decode(),
        "public_key": base64.b64encode(_public_bytes(signing_key.public_key())).decode(),
    }


class CheckpointForged(InvalidInput):
    """A well-formed checkpoint whose signature does not verify with the trusted key: the file was altered or
    signed by another key (for instance one that replaced the server's). ``verify-audit`` reports it as
    tampering (exit 3), not as a bad file."""


_HASH = re.compile(r"^[0-9a-f]{64}$")
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024


def parse_checkpoint(data: bytes, source: str) -> Any:
    """The JSON of a checkpoint file; a clean error for anything that is not JSON (or nested absurdly deep)."""
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise InvalidInput("%(source)s is not a checkpoint file (larger than %(limit)s bytes)",
                           source=str(source), limit=MAX_CHECKPOINT_BYTES)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("%(source)s is not a checkpoint file (not JSON)", source=str(source)) from None


def _shape(document: Any) -> tuple[dict[str, Any], bytes, dict[str, ChainHead]]:
    """Check every field's type before anything is trusted: (payload, signature, heads)."""
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
        raise ValueError("no signed payload")
    payload = document["payload"]
    if not isinstance(payload.get("format"), str):
        raise ValueError("no format")
    if payload["format"] != FORMAT:
        raise InvalidInput("unknown checkpoint format %(value)s", value=repr(payload['format'][:80]))
    signature = document.get("signature")
    if not isinstance(signature, str):
        raise ValueError("no signature")
    signature_bytes = base64.b64decode(signature, validate=True)
    heads = payload.get("heads")
    if not isinstance(heads, dict) or not isinstance(payload.get("digest"), str):
        raise ValueError("no chain heads or digest")
    if not isinstance(payload.get("created_at"), str) or type(payload.get("chains")) is not int:
        raise ValueError("no creation time or chain count")
    parsed = {}
    for chain, head in heads.items():
        if not (isinstance(head, dict) and type(head.get("seq")) is int and head["seq"] >= 1
                and isinstance(head.get("hash"), str) and _HASH.match(head["hash"])):
            raise ValueError(f"chain {chain[:80]!r} has no valid head")
        parsed[chain] = ChainHead(head["seq"], head["hash"])
    return payload, signature_bytes, parsed


def read_checkpoint(document: Any, verify_key: Ed25519PublicKey, *,
                    key_name: str = "this server's audit signing key") -> dict[str, ChainHead]:
    """Check the signature with a key we trust (never the one in the file) and return the chain heads.

    ``InvalidInput`` for anything that is not a well-formed checkpoint, ``CheckpointForged`` for a well-formed one
    that the trusted key did not sign.
    """
    try:
        payload, signature, heads = _shape(document)
    except (ValueError, TypeError) as error:
        raise InvalidInput("this is not an audit checkpoint file (%(error)s)", error=str(error)) from None
    try:
        verify_key.verify(signature, _canonical(payload))
    except (RecursionError, ValueError):
        raise InvalidInput("this is not an audit checkpoint file (its payload cannot be read back)") from None
    except InvalidSignature:
        raise CheckpointForged("the checkpoint's signature does not match %(key_name)s: the file was altered or "
                               "signed by another key", key_name=str(key_name)) from None
    if hashlib.sha256(_canonical(payload["heads"])).hexdigest() != payload["digest"]:
        raise InvalidInput("the checkpoint is signed but its digest does not match its chain heads")
    return heads


def export_public_key(signing_key: Ed25519PrivateKey) -> bytes:
    """The public half of the signing key, as PEM, to keep off the server beside the checkpoints."""
    return signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_public_key(data: bytes, source: str) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidInput("%(source)s is not a public key (expected the PEM file from 'mediation audit-public-key')",
                           source=str(source)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("%(source)s holds a key of the wrong type; expected Ed25519", source=str(source))
    return key
