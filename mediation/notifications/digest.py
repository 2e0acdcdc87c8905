"""The mediators' (and the coordinator's) daily digest, instead of one e-mail per event.

A recurring arranger arms one ``MEDIATOR_DIGEST`` timer per day at ``MEDIATION_DIGEST_HOUR`` UTC, its subject the
day's ordinal, so a day's digest is armed once. When it fires, each mediator or coordinator who chose e-mail and
has something waiting gets one DIGEST row (its key names the day: never two for the same day). The count itself
is taken when the e-mail is written (``digest_counts``), so it is current and the row holds nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.models import Channel, NotificationPreference, OutboxEvent, Timer, TimerKind, User
from mediation.notifications import outbox
from mediation.notifications.digest_counts import DIGEST_ROLES, waiting
from mediation.timers import schedule
from mediation.timers.registry import Firing, Outcome, handles, recurring

if TYPE_CHECKING:
    from config import Settings


def next_digest(now: datetime, hour: int) -> datetime:
    """Today's digest moment if it is still ahead, tomorrow's otherwise."""
    today = datetime.combine(now.astimezone(UTC).date(), time(hour), tzinfo=UTC)
    return today if now < today else today + timedelta(days=1)


@recurring
def arrange_digest(session: Session, settings: Settings, now: datetime) -> None:
    due = next_digest(now, settings.timing.digest_hour)
    day = due.date().toordinal()
    armed = session.scalars(select(Timer.id).where(Timer.kind == TimerKind.MEDIATOR_DIGEST.value,
                                                   Timer.subject_id == day).limit(1)).first()
    if armed is None:
        schedule.arm(session, TimerKind.MEDIATOR_DIGEST, due, subject_id=day, now=now)


@handles(TimerKind.MEDIATOR_DIGEST)
def queue_digests(session: Session, timer: Timer, firing: Firing) -> Outcome:
    day = date.fromordinal(timer.subject_id or firing.now.date().toordinal())
    people = session.scalars(
        select(User).join(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.role.in_(DIGEST_ROLES), User.is_active.is_(True),
               NotificationPreference.channel == Channel.EMAIL.value).order_by(User.id))

    for user in people:
        if waiting(session, user) > 0:
            key = outbox.idempotency_key(OutboxEvent.DIGEST, f"user-{user.id}", f"day-{day.isoformat()}")
            outbox.insert_once(session, OutboxEvent.DIGEST, key, firing.now, user_id=user.id)
    return Outcome.done()  # queued or not: a quiet day is not a moot timer
