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

from mediation.crypto.keyring import KEY_BYTES, Keyring
from mediation.crypto.records import RecordContext, open_sealed, seal
from workflows.words import Words

NO_CASE = 0  # case ids start at 1: a held request's records name case 0 and their own kind and id


def _wrap_context(request_id: int, kek_id: str) -> bytes:
    return json.dumps(["rj-request-data-key", 1, request_id, kek_id], separators=(",", ":")).encode()


def details_context(request_id: int) -> RecordContext:
    return RecordContext(NO_CASE, "held_request", str(request_id), None, "details.v1")


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def wrap(keyring: Keyring, request_id: int, data_key: bytes) -> tuple[str, bytes]:
    """Wrap a request's data key under the active KEK; returns (KEK id, nonce + ciphertext)."""
    return keyring.wrap_key(data_key, lambda kek_id: _wrap_context(request_id, kek_id))


def unwrap(keyring: Keyring, request_id: int, kek_id: str, wrapped: bytes) -> bytes:
    return keyring.unwrap_key(kek_id, wrapped, lambda kek: _wrap_context(request_id, kek),
                              owner=Words("held request #%(id)s", id=request_id))


def seal_details(data_key: bytes, request_id: int, text: str) -> bytes:
    return seal(data_key, details_context(request_id), text.encode("utf-8"))


def open_details(data_key: bytes, request_id: int, sealed: bytes) -> str:
    return open_sealed(data_key, details_context(request_id), sealed).decode("utf-8")
