"""Practical help given to a resocialisation client (debts, work, housing, mental health, court, parole,
authorities): logged by their activation worker with sealed details and, when it needs one, a follow-up day.

A follow-up due leaves the worker a notice (a durable timer armed with the help, in the same transaction);
marking it followed up, or the programme ending, makes the reminder moot. The client sees the kinds and the
follow-up days, never the details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import Case, Enrolment, NoticeKind, PracticalHelp, Timer, TimerKind, User
from mediation.models.content import new_record_id
from mediation.moments import checked_day
from mediation.services import notices
from mediation.services.listing import ListQuery, Page, fetch_page
from mediation.services.lookup import checked_record_id
from mediation.services.programme_roles import holders
from mediation.services.training_access import COORDINATOR, as_worker
from mediation.text import checked_text
from mediation.timers import schedule
from mediation.timers.registry import Firing, Outcome, handles
from workflows.programmes import RESOCIALISATION
from workflows.resocialisation_workflow import ClientState
from workflows.training_help import check_help_dates, check_help_kind
from workflows.words import Words

MAX_DETAILS = 5_000
HELP = Words("practical help")
HELP_KEY = ("time", "text")


def follow_up_moment(day: date) -> datetime:
    """A follow-up is due from the start of its day (UTC)."""
    return datetime.combine(day, time(), tzinfo=UTC)


def _context(help_row: PracticalHelp) -> RecordContext:
    # Bound to its kind too: details moved under another kind of help no longer open.
    return RecordContext(help_row.case_id, "training_help", help_row.id, help_row.author_id,
                         f"details.{help_row.kind}")


def record_help(session: Session, vault: Vault, actor: User, reference: object, *, kind: object, details: object,
                given_on: object, follow_up_on: object = None, today: date | None = None) -> PracticalHelp:
    """Log help given, its details sealed; a follow-up day arms the worker's reminder."""
    chosen = check_help_kind(kind)
    words = checked_text(details, Words("details of the help"), MAX_DETAILS, required=True)
    given = checked_day(given_on, Words("day the help was given"))
    follow_up = None if follow_up_on in (None, "") else checked_day(follow_up_on, Words("follow-up day"))
    now = utcnow()
    check_help_dates(given, follow_up, today or now.date())
    client = as_worker(session, actor, reference, lock=True)
    if client.case.state == ClientState.ENDED:
        raise WrongState("This client's programme has ended; help is no longer logged.")
    row = PracticalHelp(id=new_record_id(), case_id=client.case.id, kind=chosen, author_id=actor.id,
                        given_on=given, follow_up_on=follow_up, created_at=now)
    row.sealed_details = vault.seal_text(session, _context(row), words)
    session.add(row)
    if follow_up is not None:
        schedule.arm(session, TimerKind.TRAINING_HELP_FOLLOW_UP, follow_up_moment(follow_up), case_id=client.case.id,
                     subject_key=row.id, now=now)
    client.case.updated_at = now
    audit.record_content(session, AuditTag.TRAINING_HELP_RECORDED, case_id=client.case.id, actor=actor, now=now,
                         details={"help_id": row.id, "kind": chosen, "follow_up": follow_up is not None})
    return row


def mark_followed_up(session: Session, actor: User, reference: object, help_id: object) -> PracticalHelp:
    """The worker followed the help up: its reminder is moot."""
    wanted = checked_record_id(help_id, HELP)
    client = as_worker(session, actor, reference, lock=True)
    row = session.get(PracticalHelp, wanted)
    if row is None or row.case_id != client.case.id:
        raise NotFound("There is no such %(what)s on this case.", what=HELP)
    if row.follow_up_on is None:
        raise InvalidInput("This help has no follow-up to mark.")
    if row.followed_up_at is not None:
        raise InvalidInput("This help was already followed up.")
    now = utcnow()
    row.followed_up_at = now
    schedule.cancel(session, [TimerKind.TRAINING_HELP_FOLLOW_UP], case_id=client.case.id, subject_key=row.id,
                    now=now)
    audit.record_content(session, AuditTag.TRAINING_HELP_FOLLOWED_UP, case_id=client.case.id, actor=actor, now=now,
                         details={"help_id": row.id})
    return row


@dataclass(frozen=True)
class HelpView:
    id: str
    kind: str
    given_on: date
    follow_up_on: date | None
    followed_up: bool
    details: str


def help_page(session: Session, vault: Vault, actor: User, reference: object,
              query: ListQuery) -> Page[HelpView]:
    """A page of the help given, newest first, opened for the client's worker; the reading is audited."""
    client = as_worker(session, actor, reference)
    statement = select(PracticalHelp).where(PracticalHelp.case_id == client.case.id)
    page = fetch_page(session, statement, query, keys=(PracticalHelp.created_at, PracticalHelp.id),
                      key_of=lambda row: (row.PracticalHelp.created_at, row.PracticalHelp.id), parts=HELP_KEY,
                      descending=True).map(lambda row: row.PracticalHelp)
    if page.items:
        audit.record_content(session, AuditTag.TRAINING_HELP_DECRYPTED, case_id=client.case.id, actor=actor,
                             now=utcnow(), details={"help_ids": [h.id for h in page.items]})
    return page.map(lambda h: HelpView(h.id, h.kind, h.given_on, h.follow_up_on, h.followed_up_at is not None,
                                       vault.open_text(session, _context(h), h.sealed_details)))


@dataclass(frozen=True)
class FollowUp:
    """What the client sees of a help: its kind and the day it is followed up, never its details."""

    kind: str
    follow_up_on: date


def follow_ups_of(session: Session, case_id: int) -> list[FollowUp]:
    """The client's follow-ups still to come, soonest first (a handful: at most one per help)."""
    rows = session.execute(select(PracticalHelp.kind, PracticalHelp.follow_up_on).where(
        PracticalHelp.case_id == case_id, PracticalHelp.follow_up_on.is_not(None),
        PracticalHelp.followed_up_at.is_(None)).order_by(PracticalHelp.follow_up_on, PracticalHelp.id).limit(20))
    return [FollowUp(kind, day) for kind, day in rows]


@handles(TimerKind.TRAINING_HELP_FOLLOW_UP)
def help_follow_up_due(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """A follow-up is due: a notice to the client's worker (the programme's coordinators when they have none);
    moot when it was followed up or the programme ended."""
    help_row = session.get(PracticalHelp, timer.subject_key) if timer.subject_key else None
    if help_row is None or help_row.followed_up_at is not None:
        return Outcome.moot_because("followed_up")
    case = session.get(Case, help_row.case_id)
    enrolment = session.get(Enrolment, help_row.case_id)
    if case is None or enrolment is None or case.state == ClientState.ENDED:
        return Outcome.moot_because("programme_ended")
    worker = session.get(User, enrolment.worker_id) if enrolment.worker_id is not None else None
    told = [worker.id] if worker is not None and worker.is_active else \
        [user.id for user in holders(session, case.organisation_id, RESOCIALISATION, COORDINATOR)]
    for user_id in told:
        notices.tell(session, user_id, NoticeKind.TRAINING_HELP_FOLLOW_UP, case.id, firing.now)
    return Outcome.done()
