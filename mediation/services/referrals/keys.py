"""Each side's data key of a referral, made and opened through its own organisation's keyring.

The referring side's key seals the shared values, the receiving side's the partner's notes
(``mediation.crypto.referral_keys``). A key is unwrapped once per transaction; its row names the KEK, so the
lead's rewrap on rotation can find it.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.crypto import referral_keys
from mediation.crypto.errors import KeyUnavailable
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
