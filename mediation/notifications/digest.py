"""The mediators' (and the coordinator's) daily digest, instead of one e-mail per event.

A recurring arranger arms one ``MEDIATOR_DIGEST`` timer per hour, on the hour, its subject the hour's number
since the epoch, so an hour's digest is armed once. When it fires, each mediator or coordinator who chose
e-mail, for whom that hour is ``MEDIATION_DIGEST_HOUR`` in their own time zone, and who has something waiting
gets one DIGEST row (its key names their local day: never two for the same day, even when the clocks go back).
The count itself is taken when the e-mail is written (``digest_counts``), so it is current and the row holds
nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.models import Channel, NotificationPreference, OutboxEvent, Timer, TimerKind, User
from mediation.notifications import outbox
from mediation.notifications.digest_counts import DIGEST_ROLES, waiting
from mediation.timers import schedule
from mediation.timers.registry import Firing, Outcome, handles, recurring

if TYPE_CHECKING:
    from config import Settings

HOUR = timedelta(hours=1)


def next_hour(now: datetime) -> datetime:
    """The next full hour after ``now`` (UTC)."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + HOUR


def hour_number(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() // 3600)


def local_time(moment: datetime, zone: str) -> datetime:
    """``moment`` on the person's clock (UTC for a zone this machine does not know any more)."""
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC)


def next_digest(now: datetime, hour: int, zone: str = "UTC") -> datetime:
    """When the next digest for someone in ``zone`` is queued: the first full hour after ``now`` that is
    ``hour`` on their clock (UTC)."""
    moment = next_hour(now)
    while local_time(moment, zone).hour != hour:
        moment += HOUR
    return moment


@recurring
def arrange_digest(session: Session, settings: Settings, now: datetime) -> None:
    due = next_hour(now)
    armed = session.scalars(select(Timer.id).where(Timer.kind == TimerKind.MEDIATOR_DIGEST.value,
                                                   Timer.subject_id == hour_number(due)).limit(1)).first()
    if armed is None:
        schedule.arm(session, TimerKind.MEDIATOR_DIGEST, due, subject_id=hour_number(due), now=now)


@handles(TimerKind.MEDIATOR_DIGEST)
def queue_digests(session: Session, timer: Timer, firing: Firing) -> Outcome:
    hour = datetime.fromtimestamp(3600 * timer.subject_id, UTC) if timer.subject_id else firing.now
    people = session.execute(
        select(User, NotificationPreference.time_zone)
        .join(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.role.in_(DIGEST_ROLES), User.is_active.is_(True),
               NotificationPreference.channel == Channel.EMAIL.value).order_by(User.id))
    for user, zone in people:
        local = local_time(hour, zone)
        if local.hour != firing.settings.timing.digest_hour or waiting(session, user) == 0:
            continue
        key = outbox.idempotency_key(OutboxEvent.DIGEST, f"user-{user.id}", f"day-{local.date().isoformat()}")
        outbox.insert_once(session, OutboxEvent.DIGEST, key, firing.now, user_id=user.id)
    return Outcome.done()  # queued or not: a quiet hour is not a moot timer
