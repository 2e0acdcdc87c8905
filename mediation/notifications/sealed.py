"""Key rotation for what notifications seal under a KEK: people's addresses and invitations waiting in the
outbox. ``mediation/services/keys.py`` calls these beside the TOTP secrets', so a rotation reseals them and a
KEK that still seals one cannot be retired."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.crypto.keyring import Keyrings
from mediation.models import OutboxMessage
from mediation.notifications import addresses, preferences
from mediation.notifications.invitation_mail import PURPOSE as INVITATION


def _payloads(session: Session, keyring: Keyrings, limit: int) -> int:
    if limit <= 0:
        return 0
    rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.sealed_payload.is_not(None),
                                                            OutboxMessage.kek_id.not_in(sorted(keyring.actives)))
                                .order_by(OutboxMessage.id).limit(limit).with_for_update()))
    for row in rows:
        own = keyring.holding(str(row.kek_id))  # rewrapped within the organisation its KEK belongs to
        payload = addresses.open_sealed(own, row.id, str(row.kek_id), bytes(row.sealed_payload or b""), INVITATION)
        row.kek_id, row.sealed_payload = addresses.seal(own, row.id, payload, INVITATION)
    return len(rows)


def reseal_batch(session: Session, keyring: Keyrings, *, limit: int = 500) -> int:
    """Reseal up to ``limit`` addresses and waiting invitations not yet under their organisation's active KEK."""
    done = preferences.reseal_batch(session, keyring, limit=limit)
    return done + _payloads(session, keyring, limit - done)


def check_all_open(session: Session, keyring: Keyrings) -> int:
    rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.sealed_payload.is_not(None))))
    for row in rows:
        addresses.open_sealed(keyring.holding(str(row.kek_id)), row.id, str(row.kek_id),
                              bytes(row.sealed_payload or b""), INVITATION)
    return preferences.check_all_open(session, keyring) + len(rows)


def sealed_by_kek(session: Session) -> dict[str, int]:
    counts = preferences.addresses_by_kek(session)
    rows = session.execute(select(OutboxMessage.kek_id, func.count())
                           .where(OutboxMessage.sealed_payload.is_not(None)).group_by(OutboxMessage.kek_id))
    for kek_id, count in rows:
        if kek_id is not None:
            counts[str(kek_id)] = counts.get(str(kek_id), 0) + count
    return counts
