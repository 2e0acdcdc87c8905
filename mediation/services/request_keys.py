"""Held requests' own data keys (``mediation.crypto.request_keys``): sealing a request's details, opening them
when the coordinator accepts it, destroying the key, and everything key management does to case keys
(rewrap under a new KEK, check that all open, count per KEK), so that ``mediation keys rotate|rewrap|retire|
check`` and a backup's restore cover these keys too (``mediation.services.keys`` calls in here)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.orm import Session

from mediation.crypto import request_keys
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import Keyrings
from mediation.crypto.vault import Vault
from mediation.models import HeldRequest

_LIVE = HeldRequest.wrapped_key.is_not(None)


def seal_details(vault: Vault, held: HeldRequest, text: str) -> None:
    """Give ``held`` (flushed: it has its id) a new data key under its organisation's active KEK and seal ``text``
    with it."""
    vault.refresh(force=True)  # never wrap a new key under a KEK another process has just replaced
    data_key = request_keys.new_data_key()
    held.kek_id, held.wrapped_key = request_keys.wrap(vault.keyring_of(held.organisation_id), held.id, data_key)
    held.sealed_details = request_keys.seal_details(data_key, held.id, text)


def _data_key(vault: Vault, held: HeldRequest) -> bytes:
    kek_id, wrapped = str(held.kek_id), cast(bytes, held.wrapped_key)
    try:
        return request_keys.unwrap(vault.keyring_of(held.organisation_id), held.id, kek_id, wrapped)
    except KeyUnavailable:
        if kek_id in vault.keyring.keys or not vault.refresh(force=True):  # rewrapped by another process?
            raise
        return request_keys.unwrap(vault.keyring_of(held.organisation_id), held.id, kek_id, wrapped)


def open_details(vault: Vault, held: HeldRequest) -> str | None:
    """The sealed details, or None for a request that has none (made before they were asked) or none left."""
    if held.sealed_details is None or held.wrapped_key is None:
        return None
    return request_keys.open_details(_data_key(vault, held), held.id, held.sealed_details)


def destroy(held: HeldRequest, now: datetime) -> None:
    """Crypto-shred the request's details: the key and the ciphertext go; the receipt and its status stay."""
    held.kek_id = held.wrapped_key = held.sealed_details = None
    held.key_destroyed_at = now


# --- key management ----------------------------------------------------------------------------------------------


def rewrap_batch(session: Session, keyring: Keyrings, *, limit: int = 500) -> int:
    """Rewrap up to ``limit`` live request keys not yet under their organisation's active KEK; the details are not
    touched."""
    if limit <= 0:
        return 0
    rows = list(session.scalars(select(HeldRequest).where(_LIVE, HeldRequest.kek_id.not_in(sorted(keyring.actives)))
                                .order_by(HeldRequest.id).limit(limit).with_for_update()))
    for held in rows:
        own = keyring.of(held.organisation_id)
        data_key = request_keys.unwrap(own, held.id, str(held.kek_id), cast(bytes, held.wrapped_key))
        held.kek_id, held.wrapped_key = request_keys.wrap(own, held.id, data_key)
    session.flush()
    return len(rows)


def check_all_open(session: Session, keyring: Keyrings) -> int:
    rows = session.execute(select(HeldRequest.id, HeldRequest.organisation_id, HeldRequest.kek_id,
                                  HeldRequest.wrapped_key).where(_LIVE)).all()
    for request_id, organisation_id, kek_id, wrapped in rows:
        request_keys.unwrap(keyring.of(organisation_id), request_id, str(kek_id), wrapped)
    return len(rows)


def keys_by_kek(session: Session) -> dict[str, int]:
    rows = session.execute(select(HeldRequest.kek_id, func.count()).where(_LIVE).group_by(HeldRequest.kek_id))
    return {str(kek_id): count for kek_id, count in rows if kek_id is not None}


def _has_keys(connection: Connection) -> bool:
    """Whether this database's schema holds request keys yet (a copy made before they existed does not)."""
    inspector = inspect(connection)
    return (inspector.has_table(HeldRequest.__tablename__)
            and "wrapped_key" in {c["name"] for c in inspector.get_columns(HeldRequest.__tablename__)})


def unopenable(connection: Connection, keyring: Keyrings) -> dict[str, int]:
    """How many live request keys do not open with ``keyring``, by KEK (each with its KEK's organisation's
    keyring: a backup made before organisations has no organisation column to read)."""
    failing: dict[str, int] = {}
    if not _has_keys(connection):
        return failing
    rows = connection.execute(select(HeldRequest.id, HeldRequest.kek_id, HeldRequest.wrapped_key).where(_LIVE))
    for request_id, kek_id, wrapped in rows:
        try:
            request_keys.unwrap(keyring.holding(str(kek_id)), request_id, str(kek_id), wrapped)
        except KeyUnavailable:
            failing[str(kek_id)] = failing.get(str(kek_id), 0) + 1
    return failing


def live_count(connection: Connection) -> int:
    if not _has_keys(connection):
        return 0
    return connection.scalar(select(func.count()).select_from(HeldRequest).where(_LIVE)) or 0
