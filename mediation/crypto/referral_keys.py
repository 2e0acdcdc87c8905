"""A referral's two data keys, one per side: two organisations meet in a referral, and each keeps its own.

The "referring" side's key seals the field values the person consented to share; the "receiving" side's key
seals the partner's own notes. Each key is wrapped by its own organisation's keyring
(``Vault.keyring_of(organisation_id)``), with associated data naming the referral, the side and the KEK, so a
wrapped key copied onto another referral or the other side fails to open, and neither organisation's KEK opens
the other's key. Values are sealed with the record format of every case record (``mediation.crypto.records``);
their context names the referral (case 0, like a held request), the kind of record and the field.
"""

from __future__ import annotations

import json
import os

from mediation.crypto.keyring import KEY_BYTES, Keyring
from mediation.crypto.records import RecordContext, open_sealed, seal
from workflows.words import Words

NO_CASE = 0  # a referral is not a case: its records name case 0 and their own kind and id
SIDES = ("referring", "receiving")


def _wrap_context(referral_id: int, side: str, kek_id: str) -> bytes:
    return json.dumps(["rj-referral-data-key", 1, referral_id, side, kek_id], separators=(",", ":")).encode()


def _checked_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"a referral has no side {side!r}")
    return side


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def wrap(keyring: Keyring, referral_id: int, side: str, data_key: bytes) -> tuple[str, bytes]:
    """Wrap one side's data key under the active KEK of that side's keyring; returns (KEK id, wrapped bytes)."""
    _checked_side(side)
    return keyring.wrap_key(data_key, lambda kek_id: _wrap_context(referral_id, side, kek_id))


def unwrap(keyring: Keyring, referral_id: int, side: str, kek_id: str, wrapped: bytes) -> bytes:
    """Open one side's data key; KeyUnavailable with a keyring of another organisation, referral or side."""
    _checked_side(side)
    return keyring.unwrap_key(kek_id, wrapped, lambda kek: _wrap_context(referral_id, side, kek),
                              owner=Words("referral #%(id)s (%(side)s side)", id=referral_id, side=side))


def field_context(referral_id: int, field: str) -> RecordContext:
    """Where a shared field's value belongs: this referral, this field (sealed with the referring side's key)."""
    return RecordContext(NO_CASE, "referral_field", str(referral_id), None, field)


def note_context(referral_id: int, note_id: int, author_id: int) -> RecordContext:
    """Where a partner's note belongs: this referral, this note, its author (the receiving side's key)."""
    return RecordContext(NO_CASE, "referral_note", f"{referral_id}:{note_id}", author_id, "body")


def seal_text(data_key: bytes, context: RecordContext, text: str) -> bytes:
    return seal(data_key, context, text.encode("utf-8"))


def open_text(data_key: bytes, context: RecordContext, sealed: bytes) -> str:
    return open_sealed(data_key, context, sealed).decode("utf-8")
