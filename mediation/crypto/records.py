"""AES-256-GCM for database fields, bound by associated data to the record they belong to.

The associated data names the case, the kind of record, its id, its author and the field, so a ciphertext
copied onto another row, another field or another case fails to decrypt with ``TamperedContent``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation.crypto.errors import TamperedContent

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12


@dataclass(frozen=True)
class RecordContext:
    """Where a ciphertext belongs. Every part goes into the associated data."""

    case_id: int
    kind: str  # e.g. "message", "contact", "note"
    record_id: str
    author_id: int | None
    field: str

    def __post_init__(self) -> None:
        # The record id must exist before sealing: a default applied only at INSERT would bind the ciphertext
        # to "None" and every record of that kind to each other.
        if not self.record_id or self.record_id == "None":
            raise ValueError(f"a {self.kind} must have its id before it is sealed")

    @cached_property
    def associated_data(self) -> bytes:
        # JSON, not a joined string: no two different records can ever produce the same bytes.
        return json.dumps(["rj-record", 1, self.case_id, self.kind, self.record_id, self.author_id, self.field],
                          separators=(",", ":")).encode()

    def describe(self) -> str:
        return f"{self.kind} {self.record_id} ({self.field}) of case #{self.case_id}"


Key = bytes | AESGCM  # a data key, or the cipher already made from it


def _cipher(key: Key) -> AESGCM:
    # No cache here: a module-level cache would keep every data key alive after its destruction. The vault
    # keeps the ciphers of the cases in use, and forgets them (see ``mediation.crypto.vault``).
    return key if isinstance(key, AESGCM) else AESGCM(key)


def seal(key: Key, context: RecordContext, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + _cipher(key).encrypt(nonce, plaintext, context.associated_data)


def open_sealed(key: Key, context: RecordContext, sealed: bytes) -> bytes:
    if sealed[:1] != FORMAT_V1 or len(sealed) < 1 + NONCE_BYTES + 16:
        raise TamperedContent("the %(context)s is not a ciphertext this version can read", context=context.describe())
    view = memoryview(sealed)  # no copy of a large ciphertext
    try:
        return _cipher(key).decrypt(view[1:1 + NONCE_BYTES], view[1 + NONCE_BYTES:], context.associated_data)
    except InvalidTag:
        raise TamperedContent("the %(context)s failed its integrity check: it was altered or copied from another "
                              "record", context=context.describe()) from None
