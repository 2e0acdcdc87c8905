"""Signed checkpoints of every audit chain head, to be kept off the server.

Someone who can write the database can recompute a whole chain; they cannot make it match a checkpoint signed
earlier with a key that lives outside the database and a copy that lives outside the server.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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


def read_checkpoint(document: Any, verify_key: Ed25519PublicKey) -> dict[str, ChainHead]:
    """Check the signature with our own key (never the one in the file) and return the chain heads."""
    try:
        payload = document["payload"]
        signature = base64.b64decode(document["signature"], validate=True)
        heads = payload["heads"]
        if payload["format"] != FORMAT:
            raise InvalidInput(f"unknown checkpoint format {payload['format']!r}")
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"this is not an audit checkpoint file ({error})") from None
    try:
        verify_key.verify(signature, _canonical(payload))
    except InvalidSignature:
        raise InvalidInput(
            "the checkpoint's signature does not match this server's audit signing key: the file was altered "
            "or signed by another key") from None
    if hashlib.sha256(_canonical(heads)).hexdigest() != payload["digest"]:
        raise InvalidInput("the checkpoint's digest does not match its chain heads")
    return {chain: ChainHead(int(h["seq"]), str(h["hash"])) for chain, h in heads.items()}
