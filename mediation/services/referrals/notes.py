"""The partner's own notes on its work with the person, sealed under the receiving side's key.

Only the receiving side writes and reads them; the referring worker sees the status and outcome, never a note.
Each reading is audited in the receiving organisation's chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.crypto import referral_keys
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import WrongState
from mediation.models import Referral, ReferralNote, User
from mediation.services.referrals import keys, trail
from mediation.services.referrals.access import find_referral, require_side
from mediation.text import checked_text
from workflows.referral_workflow import WITH_PARTNER
from workflows.words import Words

MAX_NOTE = 5000
NOTES_SHOWN = 50  # a page shows the newest ones (a referral's notes are few; a page never grows without end)


@dataclass(frozen=True)
class NoteView:
    author: str
    created_at: datetime
    body: str


def add_note(session: Session, vault: Vault, actor: User, reference: object, *, text: object) -> ReferralNote:
    """A note by the partner while it has the referral (sent, accepted, in progress)."""
    body = checked_text(text, Words("note"), MAX_NOTE, required=True)
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_side(standing, "receiving")
    if referral.state not in WITH_PARTNER:
        raise WrongState("Notes are written while the partner has the referral; this one is over.")
    now = utcnow()
    note = ReferralNote(referral_id=referral.id, author_id=actor.id, created_at=now, sealed_body=b"")
    session.add(note)
    session.flush()  # its id is part of what the ciphertext is bound to
    key = keys.data_key(session, vault, referral, "receiving", create=True)
    note.sealed_body = referral_keys.seal_text(key, referral_keys.note_context(referral.id, note.id, actor.id), body)
    referral.updated_at = now
    trail.one_side(session, referral.receiving_organisation_id, referral, AuditTag.REFERRAL_NOTE_ADDED,
                   actor=actor, now=now, details={"note_id": note.id})
    return note


def open_notes(session: Session, vault: Vault, actor: User, referral: Referral) -> list[NoteView]:
    """The receiving side's newest notes, oldest first, opened and the reading audited (the caller checked the
    side)."""
    rows = list(reversed(session.execute(
        select(ReferralNote, User.display_name).join(User, User.id == ReferralNote.author_id)
        .where(ReferralNote.referral_id == referral.id).order_by(ReferralNote.id.desc()).limit(NOTES_SHOWN)).all()))
    if not rows:
        return []
    key = keys.data_key(session, vault, referral, "receiving")
    opened = [NoteView(author, note.created_at, referral_keys.open_text(
        key, referral_keys.note_context(referral.id, note.id, note.author_id), note.sealed_body))
        for note, author in rows]
    trail.one_side(session, referral.receiving_organisation_id, referral, AuditTag.REFERRAL_NOTES_DECRYPTED,
                   actor=actor, now=utcnow(), details={"notes": len(rows)})
    return opened
