"""Writing to the outbox, inside the transaction of the event that causes it (so a rolled-back change sends
nothing).

Each row has an idempotency key unique per (event, recipient, cause): writing the same one twice (a retried
transaction, a handler run again) inserts nothing (``INSERT ... ON CONFLICT DO NOTHING`` on both databases).
The key is a hash, and the e-mail's Message-ID a keyed hash of it (``sending.message_id_of``): neither spells out
whom or what it is about.
"Something new" coalesces: while one is queued and not sent for a person, another adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.models import Channel, NotificationPreference, OutboxEvent, OutboxMessage, OutboxState, Participant


def idempotency_key(event: OutboxEvent, recipient: str, cause: str) -> str:
    """Stable for the same (event, recipient, cause), so an event written twice is queued once."""
    digest = hashlib.sha256(f"rj-outbox|{event.value}|{recipient}|{cause}".encode()).hexdigest()[:40]
    return f"{event.value.replace('_', '-')}.{digest}"


def insert_once(session: Session, event: OutboxEvent, key: str, now: datetime, **values: object) -> bool:
    """Insert a queued row unless its key exists; True when a row was written."""
    row = {"event": event.value, "idempotency_key": key, "state": OutboxState.QUEUED.value, "created_at": now,
           "next_attempt_at": now, "attempts": 0, **values}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(OutboxMessage).values(**row).on_conflict_do_nothing(index_elements=["idempotency_key"])
                 .returning(OutboxMessage.id))
    return session.execute(statement).scalar() is not None


def wants_email(session: Session, user_id: int) -> bool:
    """Whether the person chose e-mail; locks their preference row so two events coalesce, not race."""
    channel = session.scalars(select(NotificationPreference.channel)
                              .where(NotificationPreference.user_id == user_id).with_for_update()).first()
    return channel == Channel.EMAIL


def something_new(session: Session, user_id: int, cause: str, now: datetime | None = None) -> bool:
    """Tell a participant there is something new for them, if they chose e-mail and no such note is already
    waiting to go. ``cause`` names the event (kind and id); it never reaches the e-mail."""
    if not wants_email(session, user_id):
        return False
    moment = now or utcnow()
    session.flush()
    waiting = session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.user_id == user_id, OutboxMessage.event == OutboxEvent.SOMETHING_NEW.value,
        OutboxMessage.state == OutboxState.QUEUED.value,
        # one a worker is sending right now may have been written before this event: it does not count
        (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until <= moment)).limit(1)).first()
    if waiting is not None:
        return False
    key = idempotency_key(OutboxEvent.SOMETHING_NEW, f"user-{user_id}", cause)
    return insert_once(session, OutboxEvent.SOMETHING_NEW, key, moment, user_id=user_id)


def something_new_for_participants(session: Session, participant_ids: Iterable[int], cause: str,
                                   now: datetime | None = None) -> int:
    """``something_new`` for each participant's portal account (those without one are reached otherwise)."""
    ids = sorted(set(participant_ids))
    if not ids:
        return 0
    user_ids = sorted({user_id for user_id in session.scalars(
        select(Participant.user_id).where(Participant.id.in_(ids), Participant.user_id.is_not(None)))
        if user_id is not None})
    return sum(something_new(session, user_id, cause, now) for user_id in user_ids)
