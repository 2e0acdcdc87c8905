"""The mediator's agenda across their cases (assigned or co-mediated): what is coming up in the next 14 days and
what is overdue (planned, its time passed, neither done nor cancelled), on open cases.

The dashboard shows the first few of each with their count, each from one query (the count is a window over the
same rows); the full lists are paginated by key. Nothing sealed is read: times, kinds, places and references.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.models import Activity, Case, Role, User
from mediation.policy import mediated_by, require_role
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page
from workflows.activities import ActivityStatus
from workflows.vocabulary import OPEN_STATES

UPCOMING_DAYS = 14
DASHBOARD_ROWS = 5
AGENDA_KEY: tuple[KeyPart, ...] = ("time", "text")  # starts_at, activity id
Which = Literal["upcoming", "overdue"]
WHICH: tuple[Which, ...] = ("upcoming", "overdue")


@dataclass(frozen=True)
class AgendaItem:
    id: str
    reference: str
    kind: str
    starts_at: datetime
    duration_minutes: int
    place: str | None

    @property
    def key(self) -> tuple[datetime, str]:
        return self.starts_at, self.id


@dataclass(frozen=True)
class AgendaPart:
    items: list[AgendaItem]
    count: int  # all of them; ``items`` holds the first few


@dataclass(frozen=True)
class Agenda:
    upcoming: AgendaPart
    overdue: AgendaPart
    days: int = UPCOMING_DAYS


def _window(which: Which, now: datetime) -> ColumnElement[bool]:
    if which == "upcoming":
        return Activity.starts_at.between(now, now + timedelta(days=UPCOMING_DAYS))
    return Activity.starts_at < now


def _statement(actor: User, which: Which, now: datetime, *columns: Any) -> Select[Any]:
    return (select(Activity.id, Case.reference, Activity.kind, Activity.starts_at, Activity.duration_minutes,
                   Activity.place, *columns)
            .join(Case, Case.id == Activity.case_id)
            .where(mediated_by(actor.id), Case.state.in_(OPEN_STATES),
                   Activity.status == ActivityStatus.PLANNED.value, _window(which, now)))


def _item(row: Any) -> AgendaItem:
    starts = row[3] if row[3].tzinfo else row[3].replace(tzinfo=UTC)
    return AgendaItem(row[0], row[1], row[2], starts, row[4], row[5])


def _part(session: Session, actor: User, which: Which, now: datetime) -> AgendaPart:
    statement = (_statement(actor, which, now, func.count().over().label("total"))
                 .order_by(Activity.starts_at, Activity.id).limit(DASHBOARD_ROWS))
    rows = session.execute(statement).all()
    return AgendaPart([_item(row) for row in rows], rows[0].total if rows else 0)


def my_agenda(session: Session, actor: User, now: datetime | None = None) -> Agenda:
    """The dashboard's two short lists: each one query, its first rows and its count."""
    require_role(actor, Role.MEDIATOR)
    now = now or utcnow()
    return Agenda(_part(session, actor, "upcoming", now), _part(session, actor, "overdue", now))


def agenda_page(session: Session, actor: User, which: Which, query: ListQuery,
                now: datetime | None = None) -> Page[AgendaItem]:
    """One page of the whole list, soonest (or longest overdue) first."""
    require_role(actor, Role.MEDIATOR)
    page = fetch_page(session, _statement(actor, which, now or utcnow()), query,
                      keys=[Activity.starts_at, Activity.id], key_of=lambda row: (row[3], row[0]), parts=AGENDA_KEY)
    return page.map(_item)
