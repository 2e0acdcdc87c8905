"""A participant's private line to their mediator: never relayed to anyone else on the case.

A participant writes to the case's mediator alone: a message, "I need a break", or, once the process stopped
because someone withdrew, "I would like to start again", which reaches the mediator as a request to reopen. The
mediator may answer that participant alone. Every body is sealed with the case's data key and every reading is
audited, as for relayed messages; nothing here ever reaches the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Case, NoteDirection, NoteKind, Participant, PrivateNote, Role, User
from mediation.models.content import new_record_id
from mediation.models.private_line import DraftPurpose, RequestOutcome
from mediation.notifications import outbox
from mediation.policy import (
    mediated_by,
    own_participation,
    participant_of,
    require_active,
    require_mediator_of,
    require_role,
)
from mediation.services import workflow
from mediation.services.drafts import forget_draft
from mediation.services.lookup import checked_record_id, find_case
from workflows.vocabulary import CaseState, Outcome
from workflows.words import Code

MAX_PRIVATE_TEXT = 5_000
KINDS = tuple(kind.value for kind in NoteKind)


def checked_private_text(text: str | None, *, required: bool) -> str | None:
    """The note's words, stripped: refused when empty (if required), too long, or holding a NUL character."""
    text = (text or "").strip()
    if "\x00" in text:
        raise InvalidInput("The text contains a NUL character, which is not allowed.")
    if not text:
        if required:
            raise InvalidInput("Write a few words to your mediator first.")
        return None
    if len(text) > MAX_PRIVATE_TEXT:
        raise InvalidInput("The text is too long (%(length)s characters; at most %(limit)s).", length=len(text),
                           limit=MAX_PRIVATE_TEXT)
    return text


def _context(note: PrivateNote) -> RecordContext:
    # Bound to the participant too: re-pointing a note at someone else makes it unreadable.
    return RecordContext(note.case_id, "private_note", note.id, note.written_by_id,
                         f"body.about-{note.participant_id}")


def may_ask_to_start_again(case: Case, person: Participant | None = None) -> bool:
    """A request to reopen makes sense only once the process stopped because someone withdrew, and only that
    person may ask (the other side must never be able to press for contact again); ``person`` None asks whether
    anyone may."""
    withdrawn = case.state == CaseState.CLOSED and case.outcome == Outcome.WITHDRAWN
    return withdrawn and (person is None or person.id == case.withdrawn_by_participant_id)


def _pending_start_again(session: Session, case_id: int, participant_id: int | None = None) -> list[PrivateNote]:
    query = select(PrivateNote).where(PrivateNote.case_id == case_id, PrivateNote.kind == NoteKind.START_AGAIN.value,
                                      PrivateNote.handled_at.is_(None)).order_by(PrivateNote.created_at)
    if participant_id is not None:
        query = query.where(PrivateNote.participant_id == participant_id)
    return list(session.scalars(query))


def _add_note(session: Session, vault: Vault, actor: User, case: Case, participant: Participant, *,
              direction: NoteDirection, kind: NoteKind, text: str | None) -> PrivateNote:
    note = PrivateNote(id=new_record_id(), case_id=case.id, participant_id=participant.id,
                       direction=direction.value, kind=kind.value, written_by_id=actor.id, created_at=utcnow())
    if text is not None:
        note.sealed_body = vault.seal_text(session, _context(note), text)
    session.add(note)
    audit.record_content(session, AuditTag.PRIVATE_NOTE_WRITTEN, case_id=case.id, actor=actor, now=note.created_at,
                         details={"note_id": note.id, "kind": kind.value, "direction": direction.value,
                                  "participant_id": participant.id})
    return note


def write_to_mediator(session: Session, vault: Vault, actor: User, reference: str, *, kind: str,
                      text: str | None) -> PrivateNote:
    """A participant writes to their mediator alone; the draft they were writing goes with it."""
    if kind not in KINDS:
        raise InvalidInput("Choose what you want to tell your mediator (one of %(choices)s).",
                           choices=tuple(Code(k) for k in KINDS))
    words = checked_private_text(text, required=kind == NoteKind.MESSAGE)
    require_role(actor, Role.PARTICIPANT)
    case = find_case(session, actor, reference, lock=True)
    mine = own_participation(actor, case)
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    if kind == NoteKind.START_AGAIN:
        if not may_ask_to_start_again(case):
            raise WrongState("The process is still going on, so there is nothing to start again. You can write "
                             "to your mediator, or ask for a break.")
        if not may_ask_to_start_again(case, mine):
            raise Forbidden("Only the person who withdrew can ask to start again. You can write to your mediator.")
        if _pending_start_again(session, case.id, mine.id):
            raise WrongState("Your request to start again is already with your mediator.")
    note = _add_note(session, vault, actor, case, mine, direction=NoteDirection.TO_MEDIATOR, kind=NoteKind(kind),
                     text=words)
    forget_draft(session, mine.id, DraftPurpose.PRIVATE)
    return note


def reply_to_participant(session: Session, vault: Vault, actor: User, reference: str, *, participant_id: int,
                         text: str | None) -> PrivateNote:
    """The mediator answers one participant alone."""
    words = checked_private_text(text, required=True)
    case = find_case(session, actor, reference, lock=True)
    require_mediator_of(actor, case)
    participant = participant_of(case, participant_id)
    note = _add_note(session, vault, actor, case, participant, direction=NoteDirection.TO_PARTICIPANT,
                     kind=NoteKind.MESSAGE, text=words)
    outbox.something_new_for_participants(session, [participant.id], f"private-note:{note.id}", note.created_at)
    return note


@dataclass(frozen=True)
class LineNote:
    id: str
    participant_id: int
    direction: str
    kind: str
    created_at: datetime
    text: str | None
    read_at: datetime | None
    handled_at: datetime | None
    handled_how: str | None

    @property
    def from_mediator(self) -> bool:
        return self.direction == NoteDirection.TO_PARTICIPANT


@dataclass(frozen=True)
class MyLine:
    """What a participant sees of their line: who their mediator is, what was said, what they may ask now."""

    reference: str
    mediator_name: str | None
    may_ask_to_start_again: bool
    start_again_pending: bool
    notes: list[LineNote]


def _opened(session: Session, vault: Vault, actor: User, case: Case, notes: list[PrivateNote], *,
            unread_direction: NoteDirection) -> list[LineNote]:
    """The notes decrypted (the reading audited), and those written to the reader marked read."""
    now = utcnow()
    views = []
    for note in notes:
        text = None if note.sealed_body is None else vault.open_text(session, _context(note), note.sealed_body)
        views.append(LineNote(note.id, note.participant_id, note.direction, note.kind, note.created_at, text,
                              note.read_at, note.handled_at, note.handled_how))
        if note.direction == unread_direction and note.read_at is None:
            note.read_at = now
    opened = [note.id for note in notes if note.sealed_body is not None]
    if opened:
        audit.record_content(session, AuditTag.PRIVATE_NOTES_DECRYPTED, case_id=case.id, actor=actor, now=now,
                             details={"note_ids": opened})
    return views


def my_line(session: Session, vault: Vault, actor: User, reference: str) -> MyLine:
    """The participant's own line to their mediator, whatever the state of the case (withdrawn included)."""
    require_role(actor, Role.PARTICIPANT)
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case)
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    mediator = session.get(User, case.assigned_mediator_id) if case.assigned_mediator_id is not None else None
    notes = list(session.scalars(select(PrivateNote).where(PrivateNote.case_id == case.id,
                                                           PrivateNote.participant_id == mine.id)
                                 .order_by(PrivateNote.created_at, PrivateNote.id)))
    pending = any(n.kind == NoteKind.START_AGAIN and n.handled_at is None for n in notes)
    return MyLine(case.reference, mediator.display_name if mediator is not None else None,
                  may_ask_to_start_again(case, mine) and not pending, pending,
                  _opened(session, vault, actor, case, notes, unread_direction=NoteDirection.TO_PARTICIPANT))


def line_for_mediator(session: Session, vault: Vault, actor: User, reference: str) -> list[LineNote]:
    """Every participant's private line on one of the mediator's cases, decrypted (audited) and marked read."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    notes = list(session.scalars(select(PrivateNote).where(PrivateNote.case_id == case.id)
                                 .order_by(PrivateNote.created_at, PrivateNote.id)))
    return _opened(session, vault, actor, case, notes, unread_direction=NoteDirection.TO_MEDIATOR)


@dataclass(frozen=True)
class ReopenRequest:
    note_id: str
    participant_id: int
    created_at: datetime


@dataclass(frozen=True)
class LineSummary:
    """What the case page says about the private line without opening anything: counts and reopen requests (and
    the case's read-receipt choice, shown beside them)."""

    unread: int
    unread_breaks: int
    reopen_requests: list[ReopenRequest]
    may_reopen: bool
    read_receipts: bool


def line_summary(session: Session, actor: User, reference: str) -> LineSummary:
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    unread = session.execute(select(PrivateNote.kind, func.count()).where(
        PrivateNote.case_id == case.id, PrivateNote.direction == NoteDirection.TO_MEDIATOR.value,
        PrivateNote.read_at.is_(None)).group_by(PrivateNote.kind)).all()
    counts = {kind: number for kind, number in unread}
    requests = [ReopenRequest(n.id, n.participant_id, n.created_at) for n in _pending_start_again(session, case.id)]
    return LineSummary(sum(counts.values()), counts.get(NoteKind.NEED_A_BREAK.value, 0), requests,
                       may_ask_to_start_again(case), case.read_receipts)


@dataclass(frozen=True)
class UnreadLine:
    reference: str
    unread: int
    asks_for_a_break: bool
    asks_to_start_again: bool


def unread_lines(session: Session, actor: User) -> list[UnreadLine]:
    """The mediator's cases with private notes they have not read yet (for the dashboard), without content."""
    require_role(actor, Role.MEDIATOR)
    rows = session.execute(
        select(Case.reference, PrivateNote.kind, func.count()).join(Case, Case.id == PrivateNote.case_id)
        .where(mediated_by(actor.id), PrivateNote.direction == NoteDirection.TO_MEDIATOR.value,
               PrivateNote.read_at.is_(None))
        .group_by(Case.reference, PrivateNote.kind).order_by(Case.reference)).all()
    by_case: dict[str, dict[str, int]] = {}
    for reference, kind, number in rows:
        by_case.setdefault(reference, {})[kind] = number
    return [UnreadLine(reference, sum(kinds.values()), NoteKind.NEED_A_BREAK.value in kinds,
                       NoteKind.START_AGAIN.value in kinds) for reference, kinds in by_case.items()]


def _request(session: Session, actor: User, reference: str, note_id: str) -> tuple[Case, PrivateNote]:
    """A request to start again on one of the mediator's cases, not acted on yet."""
    note_id = checked_record_id(note_id, "request")
    require_active(actor)
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    note = session.scalars(select(PrivateNote).where(PrivateNote.id == note_id, PrivateNote.case_id == case.id,
                                                     PrivateNote.kind == NoteKind.START_AGAIN.value)).first()
    if note is None:
        raise NotFound("There is no such request on this case.")
    if note.handled_at is not None:
        raise WrongState("This request to start again was already acted on.")
    return case, note


def reopen_on_request(session: Session, actor: User, reference: str, *, note_id: str) -> str:
    """The mediator reopens the case at a participant's request to start again; returns the case's new state."""
    case, note = _request(session, actor, reference, note_id)
    if note.participant_id != case.withdrawn_by_participant_id:
        raise Forbidden("Only the person who withdrew can have the case reopened at their request.")
    record = workflow.fire(session, actor, case.reference, "reopen", participant_id=note.participant_id)
    now = utcnow()
    for pending in _pending_start_again(session, case.id):
        pending.handled_at, pending.handled_how = now, RequestOutcome.REOPENED.value
    return record.state


def answer_without_reopening(session: Session, actor: User, reference: str, *, note_id: str) -> None:
    """The mediator decides not to reopen (they tell the participant why on the line): the request is closed."""
    case, note = _request(session, actor, reference, note_id)
    note.handled_at, note.handled_how = utcnow(), RequestOutcome.ANSWERED.value
    audit.record_content(session, AuditTag.START_AGAIN_ANSWERED, case_id=case.id, actor=actor, now=note.handled_at,
                         details={"note_id": note.id, "participant_id": note.participant_id})
