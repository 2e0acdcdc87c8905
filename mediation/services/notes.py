"""Mediators' assessment notes: sealed, read by the case's mediator (and a participant sees the notes about
themselves), every reading audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput
from mediation.models import AssessmentNote, Role, User
from mediation.models.content import new_record_id
from mediation.policy import own_participation, participant_of, require_active, require_mediator_of
from mediation.services.lookup import find_case

MAX_NOTE = 20_000


@dataclass(frozen=True)
class NoteView:
    id: str
    participant_id: int | None
    author_id: int
    created_at: datetime
    text: str


def _context(note: AssessmentNote) -> RecordContext:
    # Bound to whom it is about too: re-pointing a note at the other participant must make it unreadable.
    return RecordContext(note.case_id, "note", note.id, note.author_id, f"text.about-{note.participant_id}")


def add_assessment_note(session: Session, vault: Vault, actor: User, reference: str, *, text: str,
                        participant_id: int | None = None) -> AssessmentNote:
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("A note cannot be empty.")
    if len(text) > MAX_NOTE:
        raise InvalidInput("A note holds at most %(limit)s characters.", limit=MAX_NOTE)
    if participant_id is not None:
        participant_of(case, participant_id)
    note = AssessmentNote(id=new_record_id(), case_id=case.id, participant_id=participant_id, author_id=actor.id,
                          created_at=utcnow())
    note.sealed_text = vault.seal_text(session, _context(note), text)
    session.add(note)
    audit.record_content(session, AuditTag.NOTE_ADDED, case_id=case.id, actor=actor, now=note.created_at,
                         details={"note_id": note.id, "participant_id": participant_id})
    return note


def assessment_notes(session: Session, vault: Vault, actor: User, reference: str) -> list[NoteView]:
    """All notes for the case's mediator; for a participant, the notes about them."""
    require_active(actor)
    case = find_case(session, actor, reference)
    query = select(AssessmentNote).where(AssessmentNote.case_id == case.id).order_by(AssessmentNote.created_at)
    if actor.role == Role.PARTICIPANT:
        mine = own_participation(actor, case)
        query = query.where(AssessmentNote.participant_id == (mine.id if mine else -1))
    elif actor.role != Role.MEDIATOR:
        raise Forbidden("Only the case's mediator may read assessment notes.")
    else:
        require_mediator_of(actor, case)
    notes = list(session.scalars(query))
    views = [NoteView(n.id, n.participant_id, n.author_id, n.created_at, vault.open_text(session, _context(n),
                                                                                          n.sealed_text))
             for n in notes]
    if views:
        audit.record_content(session, AuditTag.NOTES_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"note_ids": [v.id for v in views]})
    return views
