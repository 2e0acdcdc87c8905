"""A held request's own data key: a harmed person's request has no case yet, so no case data key, and what it
holds (who they are, how to reach them, what happened) must still be sealed like a contact card.

Each held request gets a fresh 256-bit data key, wrapped by the keyring's active KEK exactly as a case's data
key is (AES-256-GCM), with associated data naming the request and the KEK instead of a case, so a wrapped key
copied onto another request, or onto a case, fails to open. The details are sealed under that data key with the
same record format as every case record (``mediation.crypto.records``). Rotating the KEK rewraps these keys with
the case keys (``mediation.services.keys``); destroying one (the request was dismissed, or its details moved onto
the case) makes the details unrecoverable.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import KEY_BYTES, NONCE_BYTES, Keyring
from mediation.crypto.records import RecordContext, open_sealed, seal

NO_CASE = 0  # case ids start at 1: a held request's records name case 0 and their own kind and id


def _wrap_context(request_id: int, kek_id: str) -> bytes:
    return json.dumps(["rj-request-data-key", 1, request_id, kek_id], separators=(",", ":")).encode()


def details_context(request_id: int) -> RecordContext:
    return RecordContext(NO_CASE, "held_request", str(request_id), None, "details.v1")


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def wrap(keyring: Keyring, request_id: int, data_key: bytes) -> tuple[str, bytes]:
    """Wrap a request's data key under the active KEK; returns (KEK id, nonce + ciphertext)."""
    nonce = os.urandom(NONCE_BYTES)
    kek_id = keyring.active
    return kek_id, nonce + AESGCM(keyring.keys[kek_id]).encrypt(nonce, data_key, _wrap_context(request_id, kek_id))


def unwrap(keyring: Keyring, request_id: int, kek_id: str, wrapped: bytes) -> bytes:
    key = keyring.keys.get(kek_id)
    if key is None:
        state = "was retired" if kek_id in keyring.retired else "is not in this keyring"
        raise KeyUnavailable(f"the data key of held request #{request_id} is wrapped by KEK {kek_id!r}, which {state}")
    try:
        return AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_context(request_id, kek_id))
    except InvalidTag:
        raise KeyUnavailable(f"the data key of held request #{request_id} does not open with KEK {kek_id!r}: the "
                             "key-encryption key is wrong or the wrapped key was altered") from None


def seal_details(data_key: bytes, request_id: int, text: str) -> bytes:
    return seal(data_key, details_context(request_id), text.encode("utf-8"))


def open_details(data_key: bytes, request_id: int, sealed: bytes) -> str:
    return open_sealed(data_key, details_context(request_id), sealed).decode("utf-8")
