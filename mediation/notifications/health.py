"""The outbox's health for the coordinator: how many e-mails are queued, sent, failed or dropped, how long the
oldest one due has waited, and a page of the rows that are failing (attempts, error code, next attempt).

Never content and never an address: the rows show their kind, state, counts, codes and times only. Each
coordinator sees their own organisation's e-mails: those to its accounts and to the invitees of its cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.models import FIRST_ORGANISATION, Case, OutboxMessage, OutboxState, Participant, Role, User
from mediation.moments import aware
from mediation.policy import require_role
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page

OUTBOX_KEY: tuple[KeyPart, ...] = ("time", "int")  # next attempt, row id


def _of_organisation(organisation_id: int) -> ColumnElement[bool]:
    """The outbox rows of one organisation: to its accounts, or to a participant invited on one of its cases. A
    row for nobody (none is written so; one put in by hand) is the first organisation's, as a timer of no case."""
    accounts = select(User.id).where(User.organisation_id == organisation_id)
    invitees = (select(Participant.id).join(Case, Case.id == Participant.case_id)
                .where(Case.organisation_id == organisation_id))
    mine = or_(OutboxMessage.user_id.in_(accounts), OutboxMessage.participant_id.in_(invitees))
    if organisation_id != FIRST_ORGANISATION:
        return mine
    return or_(mine, and_(OutboxMessage.user_id.is_(None), OutboxMessage.participant_id.is_(None)))


@dataclass(frozen=True)
class OutboxCounts:
    by_state: dict[str, int]
    # How long the oldest e-mail due now has waited: one held back by quiet hours, or waiting for its next
    # attempt after a failure (listed among the failing), is not late.
    oldest_due_age: timedelta | None


@dataclass(frozen=True)
class FailingRow:
    id: int
    event: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime


def counts(session: Session, actor: User, now: datetime | None = None) -> OutboxCounts:
    require_role(actor, Role.ADMIN)
    mine = _of_organisation(actor.organisation_id)
    rows = session.execute(select(OutboxMessage.state, func.count()).where(mine)
                           .group_by(OutboxMessage.state)).all()
    by_state = {state.value: 0 for state in OutboxState} | {str(state): n for state, n in rows}
    moment = now or utcnow()
    oldest = session.scalar(select(func.min(OutboxMessage.created_at))
                            .where(OutboxMessage.state == OutboxState.QUEUED.value,
                                   OutboxMessage.next_attempt_at <= moment, mine))
    age = max(moment - aware(oldest), timedelta(0)) if oldest is not None else None
    return OutboxCounts(by_state, age)


def failing(session: Session, actor: User, query: ListQuery) -> Page[FailingRow]:
    """A page of the rows that failed for good or are waiting after a failed attempt, by their next attempt."""
    require_role(actor, Role.ADMIN)
    statement = select(OutboxMessage.id, OutboxMessage.event, OutboxMessage.state, OutboxMessage.attempts,
                       OutboxMessage.last_error, OutboxMessage.next_attempt_at, OutboxMessage.created_at).where(
        _of_organisation(actor.organisation_id), or_(OutboxMessage.state == OutboxState.FAILED.value,
            and_(OutboxMessage.state == OutboxState.QUEUED.value, OutboxMessage.attempts > 0)))
    page = fetch_page(session, statement, query, keys=(OutboxMessage.next_attempt_at, OutboxMessage.id),
                      key_of=lambda row: (row.next_attempt_at, row.id), parts=OUTBOX_KEY)
    return page.map(lambda row: FailingRow(row.id, row.event, row.state, row.attempts, row.last_error,
                                           aware(row.next_attempt_at), aware(row.created_at)))
