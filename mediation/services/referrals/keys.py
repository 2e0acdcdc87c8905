"""Each side's data key of a referral, made and opened through its own organisation's keyring.

The referring side's key seals the shared values, the receiving side's the partner's notes
(``mediation.crypto.referral_keys``). A key is unwrapped once per transaction; its row names the KEK, so a
rotation rewraps it within its organisation (``mediation keys rotate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.orm import Session

from mediation.crypto import referral_keys
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import Keyrings
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.models import Referral, ReferralKey

_SESSION_KEYS = "mediation.referral_keys"


def _organisation_of(referral: Referral, side: str) -> int:
    return referral.referring_organisation_id if side == "referring" else referral.receiving_organisation_id


def data_key(session: Session, vault: Vault, referral: Referral, side: str, *, create: bool = False) -> bytes:
    """The side's data key; with ``create``, a new one wrapped by that side's organisation (caller's transaction)."""
    known: dict[tuple[int, str], bytes] = session.info.setdefault(_SESSION_KEYS, {})
    if (referral.id, side) in known:
        return known[(referral.id, side)]
    organisation_id = _organisation_of(referral, side)
    row = session.scalar(select(ReferralKey).where(ReferralKey.referral_id == referral.id, ReferralKey.side == side))
    if row is None:
        if not create:
            raise KeyUnavailable("referral #%(id)s has no %(side)s key yet", id=referral.id, side=side)
        vault.refresh(force=True)  # never wrap a new key under a KEK another process has just replaced
        key = referral_keys.new_data_key()
        kek_id, wrapped = referral_keys.wrap(vault.keyring_of(organisation_id), referral.id, side, key)
        session.add(ReferralKey(referral_id=referral.id, side=side, organisation_id=organisation_id, kek_id=kek_id,
                                wrapped_key=wrapped, created_at=utcnow()))
        session.flush()
    else:
        if row.wrapped_key is None or row.destroyed_at is not None:
            raise KeyUnavailable("the %(side)s key of referral #%(id)s was destroyed", id=referral.id, side=side)
        kek_id, wrapped = str(row.kek_id), cast(bytes, row.wrapped_key)
        try:
            key = referral_keys.unwrap(vault.keyring_of(row.organisation_id), referral.id, side, kek_id, wrapped)
        except KeyUnavailable:
            if not vault.refresh(force=True):  # rewrapped by another process under a KEK not loaded here?
                raise
            key = referral_keys.unwrap(vault.keyring_of(row.organisation_id), referral.id, side, kek_id, wrapped)
    known[(referral.id, side)] = key
    return key


# --- key management: ``mediation.services.keys`` calls these beside the cases' and held requests' keys ------

_LIVE = ReferralKey.wrapped_key.is_not(None)


def rewrap_batch(session: Session, keyrings: Keyrings, *, limit: int = 500) -> int:
    """Rewrap up to ``limit`` live referral keys not yet under their organisation's active KEK; the sealed values
    and notes are not touched. Returns how many were rewrapped."""
    if limit <= 0:
        return 0
    rows = list(session.scalars(select(ReferralKey).where(_LIVE, ReferralKey.kek_id.not_in(sorted(keyrings.actives)))
                                .order_by(ReferralKey.referral_id, ReferralKey.side).limit(limit).with_for_update()))
    for row in rows:
        own = keyrings.of(row.organisation_id)
        data = referral_keys.unwrap(own, row.referral_id, row.side, str(row.kek_id), cast(bytes, row.wrapped_key))
        row.kek_id, row.wrapped_key = referral_keys.wrap(own, row.referral_id, row.side, data)
    session.flush()
    return len(rows)


def _live_rows(connection: Connection) -> Iterator[tuple[int, str, int, str, bytes]]:
    if not inspect(connection).has_table(ReferralKey.__tablename__):  # a copy made before referrals existed
        return
    for referral_id, side, organisation_id, kek_id, wrapped in connection.execute(
            select(ReferralKey.referral_id, ReferralKey.side, ReferralKey.organisation_id, ReferralKey.kek_id,
                   ReferralKey.wrapped_key).where(_LIVE)):
        yield referral_id, side, organisation_id, str(kek_id), wrapped


def check_all_open(session: Session, keyrings: Keyrings) -> int:
    """Open every live referral key with its organisation's keyring (raises on the first that does not)."""
    count = 0
    for referral_id, side, organisation_id, kek_id, wrapped in _live_rows(session.connection()):
        referral_keys.unwrap(keyrings.of(organisation_id), referral_id, side, kek_id, wrapped)
        count += 1
    return count


def unopenable(connection: Connection, keyrings: Keyrings) -> dict[str, int]:
    """How many live referral keys do not open with their organisation's keyring, by KEK (after a restore)."""
    failing: dict[str, int] = {}
    for referral_id, side, organisation_id, kek_id, wrapped in _live_rows(connection):
        try:
            referral_keys.unwrap(keyrings.of(organisation_id), referral_id, side, kek_id, wrapped)
        except KeyUnavailable:
            failing[kek_id] = failing.get(kek_id, 0) + 1
    return failing


def live_count(connection: Connection) -> int:
    return sum(1 for _ in _live_rows(connection))


def keys_by_kek(session: Session) -> dict[str, int]:
    """How many live referral keys each KEK wraps (what retiring a KEK would make unreadable)."""
    rows = session.execute(select(ReferralKey.kek_id, func.count()).where(_LIVE).group_by(ReferralKey.kek_id))
    return {str(kek_id): count for kek_id, count in rows if kek_id is not None}
