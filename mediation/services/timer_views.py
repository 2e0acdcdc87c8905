"""The timers as people see them: a mediator's upcoming and overdue reminders, and every timer for the coordinator.

A row says what kind of timer, which case (by reference), and when: never a name, a message or what it is
about beyond its kind. A mediator sees only the timers of the cases they mediate; the coordinator sees all of
their organisation's, including those that failed for good (and the first organisation's the system's own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import FIRST_ORGANISATION, Case, Role, Timer, TimerState, User
from mediation.policy import mediated_by, require_role
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page
from workflows.words import codes

TIMER_KEY: tuple[KeyPart, ...] = ("time", "int")
Which = Literal["overdue", "upcoming", "failed"]
MEDIATOR_VIEWS: tuple[Which, ...] = ("overdue", "upcoming")
COORDINATOR_VIEWS: tuple[Which, ...] = ("overdue", "upcoming", "failed")


@dataclass(frozen=True)
class TimerRow:
    id: int
    kind: str
    state: str
    due_at: datetime
    reference: str | None  # None: a timer of the system (a checkpoint), or of an account
    attempts: int
    last_error: str | None  # an exception's class name, for the coordinator

    def overdue(self, now: datetime) -> bool:
        due = self.due_at if self.due_at.tzinfo else self.due_at.replace(tzinfo=now.tzinfo)
        return self.state == TimerState.PENDING and due <= now


def parse_which(args: Mapping[str, str], allowed: tuple[Which, ...]) -> Which:
    """The list asked for (the first one when none is): anything else is refused with the choices."""
    value = (args.get("which") or allowed[0]).strip()[:40]
    for choice in allowed:
        if value == choice:
            return choice
    raise InvalidInput("Show which timers? Choose one of: %(choices)s.", choices=codes(list(allowed)))


def _which(which: Which, now: datetime) -> list[ColumnElement[bool]]:
    if which == "failed":
        return [Timer.state == TimerState.FAILED.value]
    due = Timer.due_at <= now if which == "overdue" else Timer.due_at > now
    return [Timer.state == TimerState.PENDING.value, due]


def _page(session: Session, conditions: list[ColumnElement[bool]], query: ListQuery) -> Page[TimerRow]:
    statement = (select(Timer.id, Timer.kind, Timer.state, Timer.due_at, Case.reference, Timer.attempts,
                        Timer.last_error)
                 .outerjoin(Case, Case.id == Timer.case_id).where(*conditions))
    page = fetch_page(session, statement, query, keys=(Timer.due_at, Timer.id),
                      key_of=lambda row: (row.due_at, row.id), parts=TIMER_KEY)
    return page.map(lambda row: TimerRow(*row))


def my_reminders(session: Session, actor: User, query: ListQuery, which: Which,
                 now: datetime | None = None) -> Page[TimerRow]:
    """The pending timers of the cases the mediator mediates (assigned or co-mediator), soonest first."""
    require_role(actor, Role.MEDIATOR)
    if which not in MEDIATOR_VIEWS:
        raise InvalidInput("Show which timers? Choose one of: %(choices)s.", choices=codes(list(MEDIATOR_VIEWS)))
    mine = mediated_by(actor.id)
    return _page(session, [mine, *_which(which, now or utcnow())], query)


def of_organisation_timers(organisation_id: int) -> ColumnElement[bool]:
    """The timers of one organisation (over Timer outer-joined to Case): its cases', its accounts', and for the
    first organisation the server's own (a checkpoint: no case, no account)."""
    accounts = select(User.id).where(User.organisation_id == organisation_id)
    timers = [Case.organisation_id == organisation_id,
              and_(Timer.case_id.is_(None), Timer.user_id.in_(accounts))]
    if organisation_id == FIRST_ORGANISATION:
        timers.append(and_(Timer.case_id.is_(None), Timer.user_id.is_(None)))
    return or_(*timers)


def all_timers(session: Session, actor: User, query: ListQuery, which: Which,
               now: datetime | None = None) -> Page[TimerRow]:
    """Every timer of the coordinator's organisation of the kind of list asked for."""
    require_role(actor, Role.ADMIN)
    return _page(session, [of_organisation_timers(actor.organisation_id), *_which(which, now or utcnow())], query)
