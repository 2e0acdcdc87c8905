"""What the activation worker records as the programme goes: the sessions (day, minutes, attendance) and the
sealed notes of each phase.

A session is recorded once held, with a whole, positive number of minutes; one shorter than the track's minimum
counts for its hours, not as a full session (``workflows.resocialisation_workflow.attendance``). A phase note is
written in the phase the client is in, sealed under the case's key and bound to its author; reading notes is for
the client's worker only and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import PhaseNote, TrainingSession, User
from mediation.models.content import new_record_id
from mediation.moments import checked_day
from mediation.services.listing import ListQuery, Page, fetch_page
from mediation.services.training_access import as_worker
from mediation.text import checked_text
from workflows.resocialisation_workflow import PHASES, ClientState, check_session_date, check_session_minutes, track
from workflows.words import Words

MAX_NOTE = 20_000
MAX_MINUTES_TEXT = 5  # "1440"
# A session is held once the client has begun: in a phase, or continuing voluntarily after completing.
RECORDS_SESSIONS_IN = frozenset({*(str(p) for p in PHASES), ClientState.CONTINUING.value})
SESSION_KEY = ("time", "int")
NOTE_KEY = ("time", "text")


def _minutes(value: object) -> int:
    """A duration from a form (text) or a caller (int), as the workflow checks it."""
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        if not digits or len(digits) > MAX_MINUTES_TEXT or not (digits.isascii() and digits.isdigit()):
            raise InvalidInput("A session's duration is a whole number of minutes.")
        value = int(value.strip())
    return check_session_minutes(value)


def record_session(session: Session, actor: User, reference: object, *, held_on: object, minutes: object,
                   attended: bool, today: date | None = None) -> TrainingSession:
    """Record a held session; refused in the future, with a duration that is not a positive whole number of
    minutes, or before the client has begun the programme."""
    day = checked_day(held_on, Words("session's date"))
    length = _minutes(minutes)
    now = utcnow()
    check_session_date(day, today or now.date())
    client = as_worker(session, actor, reference, lock=True)
    if client.case.state not in RECORDS_SESSIONS_IN:
        raise WrongState("Sessions are recorded once the client has begun the programme, until it ends.")
    row = TrainingSession(case_id=client.case.id, held_on=day, minutes=length, attended=bool(attended),
                          recorded_by_id=actor.id, recorded_at=now)
    session.add(row)
    session.flush()
    client.case.updated_at = now
    audit.record(session, AuditTag.CLIENT_SESSION_RECORDED, actor=actor, now=now, case=client.case,
                 details={"session_id": row.id, "minutes": length, "attended": bool(attended)})
    return row


@dataclass(frozen=True)
class SessionView:
    id: int
    held_on: date
    minutes: int
    attended: bool
    full: bool  # attended and at least the track's minimum long: it counts as a full session
    short: bool  # attended but shorter: it counts for its hours only


def sessions_page(session: Session, actor: User, reference: object, query: ListQuery) -> Page[SessionView]:
    """A page of the client's sessions, latest first, each saying whether it counts as a full session."""
    client = as_worker(session, actor, reference)
    least = track(client.enrolment.track, client.case.workflow_version).session_minutes
    statement = select(TrainingSession).where(TrainingSession.case_id == client.case.id)
    page = fetch_page(session, statement, query, keys=(TrainingSession.recorded_at, TrainingSession.id),
                      key_of=lambda row: (row.TrainingSession.recorded_at, row.TrainingSession.id),
                      parts=SESSION_KEY, descending=True)

    def view(row: TrainingSession) -> SessionView:
        return SessionView(row.id, row.held_on, row.minutes, row.attended, row.attended and row.minutes >= least,
                           row.attended and row.minutes < least)

    return page.map(lambda row: view(row.TrainingSession))


# --- phase notes ----------------------------------------------------------------------------------------------

def _note_context(note: PhaseNote) -> RecordContext:
    # Bound to its phase too: a note moved to another phase no longer opens.
    return RecordContext(note.case_id, "training_note", note.id, note.author_id, f"text.{note.phase}")


def add_phase_note(session: Session, vault: Vault, actor: User, reference: object, *, text: object) -> PhaseNote:
    """The worker writes a note in the client's current phase (anamnesis, focus or evaluation), sealed."""
    words = checked_text(text, Words("note"), MAX_NOTE, required=True)
    client = as_worker(session, actor, reference, lock=True)
    if client.case.state not in {str(p) for p in PHASES}:
        raise WrongState("Notes are written in a phase: anamnesis, focus or evaluation.")
    now = utcnow()
    note = PhaseNote(id=new_record_id(), case_id=client.case.id, phase=client.case.state, author_id=actor.id,
                     created_at=now)
    note.sealed_text = vault.seal_text(session, _note_context(note), words)
    session.add(note)
    client.case.updated_at = now
    audit.record_content(session, AuditTag.TRAINING_NOTE_ADDED, case_id=client.case.id, actor=actor, now=now,
                         details={"note_id": note.id, "phase": note.phase})
    return note


@dataclass(frozen=True)
class NoteView:
    id: str
    phase: str
    created_at: datetime
    text: str


def notes_page(session: Session, vault: Vault, actor: User, reference: object,
               query: ListQuery) -> Page[NoteView]:
    """A page of the client's phase notes, newest first, opened for their worker; the reading is audited."""
    client = as_worker(session, actor, reference)
    statement = select(PhaseNote).where(PhaseNote.case_id == client.case.id)
    page = fetch_page(session, statement, query, keys=(PhaseNote.created_at, PhaseNote.id),
                      key_of=lambda row: (row.PhaseNote.created_at, row.PhaseNote.id), parts=NOTE_KEY,
                      descending=True)
    notes = page.map(lambda row: row.PhaseNote)
    if notes.items:
        audit.record_content(session, AuditTag.TRAINING_NOTES_DECRYPTED, case_id=client.case.id, actor=actor,
                             now=utcnow(), details={"note_ids": [n.id for n in notes.items]})
    return notes.map(lambda n: NoteView(n.id, n.phase, n.created_at,
                                        vault.open_text(session, _note_context(n), n.sealed_text)))
