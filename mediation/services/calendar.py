"""A mediator's calendar as an iCalendar feed behind a secret address they can replace or revoke.

The address holds a random token shown once; only its SHA-256 is stored. The feed answers without a sign-in (a
calendar application cannot sign in), so it holds only what may sit in a phone's calendar: times, kind, place
and case reference of the activities on the mediator's cases; no names, no notes. An unknown or revoked token, or
an account that is deactivated or no longer a mediator, is answered exactly like a missing page.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Activity, CalendarFeed, Case, Role, User
from mediation.policy import mediated_by, require_role
from workflows.activities import ActivityKind, ActivityStatus
from workflows.vocabulary import CaseState

DAYS_BACK, DAYS_AHEAD = 60, 365
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
IN_FEED = (ActivityStatus.PLANNED.value, ActivityStatus.DONE.value)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _live_feed(session: Session, user_id: int) -> CalendarFeed | None:
    return session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user_id,
                                                      CalendarFeed.revoked_at.is_(None))).first()


@dataclass(frozen=True)
class FeedStatus:
    created_at: datetime | None  # of the live address; None when there is none


def my_feed(session: Session, actor: User) -> FeedStatus:
    require_role(actor, Role.MEDIATOR)
    feed = _live_feed(session, actor.id)
    return FeedStatus(feed.created_at if feed else None)


def create_feed(session: Session, actor: User) -> str:
    """A new secret address for the actor's calendar (the token, shown once); any older one stops working."""
    require_role(actor, Role.MEDIATOR)
    # The account's row is locked first, so two clicks at once leave one live address, not two.
    session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    now = utcnow()
    previous = _live_feed(session, actor.id)
    if previous is not None:
        previous.revoked_at = now
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(user_id=actor.id, token_sha256=_digest(token), created_at=now)
    session.add(feed)
    session.flush()
    audit.record(session, AuditTag.CALENDAR_FEED_CREATED, actor=actor, now=now,
                 details={"feed_id": feed.id, "replaced_feed_id": previous.id if previous else None})
    return token


def revoke_feed(session: Session, actor: User) -> None:
    require_role(actor, Role.MEDIATOR)
    feed = _live_feed(session, actor.id)
    if feed is None:
        raise InvalidInput("You have no calendar address to revoke.")
    now = utcnow()
    feed.revoked_at = now
    audit.record(session, AuditTag.CALENDAR_FEED_REVOKED, actor=actor, now=now, details={"feed_id": feed.id})


@dataclass(frozen=True)
class FeedEvent:
    id: str
    reference: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    place: str | None


# A visit may be to someone's home: its place stays on the case page and never reaches a calendar, which
# calendar applications copy to servers the programme does not control.
PRIVATE_PLACES = frozenset({ActivityKind.VISIT.value})


def feed_events(session: Session, token: object, now: datetime | None = None) -> list[FeedEvent]:
    """The events behind a feed token; NotFound for anything but a live token of an active mediator."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise NotFound("There is no such calendar.")
    owner = session.scalars(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id)
                            .where(CalendarFeed.token_sha256 == _digest(token),
                                   CalendarFeed.revoked_at.is_(None))).one_or_none()
    if owner is None or not owner.is_active or owner.role != Role.MEDIATOR:
        raise NotFound("There is no such calendar.")
    now = now or utcnow()
    rows = session.execute(
        select(Activity.id, Case.reference, Activity.kind, Activity.status, Activity.starts_at,
               Activity.duration_minutes, Activity.place)
        .join(Case, Case.id == Activity.case_id)
        # A closed case's plans leave the calendar; what was done stays, as history.
        .where(mediated_by(owner.id), Case.organisation_id == owner.organisation_id, Activity.status.in_(IN_FEED),
               or_(Activity.status != ActivityStatus.PLANNED.value, Case.state != CaseState.CLOSED.value),
               Activity.starts_at.between(now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)))
        .order_by(Activity.starts_at, Activity.id))
    events = []
    for activity_id, reference, kind, status, starts_at, minutes, place in rows:
        start = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=UTC)
        events.append(FeedEvent(activity_id, reference, kind, status, start, start + timedelta(minutes=minutes),
                                None if kind in PRIVATE_PLACES else place))
    return events
