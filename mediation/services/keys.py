"""Key management: rewrapping data keys under a new KEK, retiring old KEKs, and destroying the data keys of
cases past their retention period (crypto-shredding: the content becomes unrecoverable, counts remain).

Accounts' TOTP secrets are sealed under a KEK too (``services/two_factor.py``): they follow every rotation,
and count as keys in use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.errors import CryptoError
from mediation.crypto.vault import Vault
from mediation.db import Base, utcnow
from mediation.models import Blob, Case, CaseKey, Message
from mediation.services import two_factor
from workflows.vocabulary import CaseState


def rewrap_batch(session: Session, vault: Vault, *, limit: int = 500) -> int:
    """Rewrap up to ``limit`` data keys (then sealed TOTP secrets) not yet under the active KEK; ciphertexts
    are not touched."""
    keyring = vault.keyring
    rows = session.execute(
        select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key)
        .where(CaseKey.wrapped_key.is_not(None), CaseKey.kek_id != keyring.active)
        .order_by(CaseKey.case_id).limit(limit)).all()
    now = utcnow()
    for case_id, kek_id, wrapped in rows:
        data_key = keyring.unwrap(case_id, str(kek_id), cast(bytes, wrapped))  # live keys only: never None
        new_kek, new_wrapped = keyring.wrap(case_id, data_key)
        session.execute(update(CaseKey).where(CaseKey.case_id == case_id, CaseKey.kek_id == kek_id)
                        .values(kek_id=new_kek, wrapped_key=new_wrapped, rewrapped_at=now))
    return len(rows) + two_factor.reseal_batch(session, keyring, limit=limit - len(rows))


def check_all_open(session: Session, vault: Vault) -> int:
    """Unwrap every live data key with the current keyring, so a rotation never starts on a broken one."""
    rows = session.execute(select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key)
                           .where(CaseKey.wrapped_key.is_not(None))).all()
    for case_id, kek_id, wrapped in rows:
        vault.keyring.unwrap(case_id, str(kek_id), cast(bytes, wrapped))
    return len(rows) + two_factor.check_all_open(session, vault.keyring)


def record_rotation(session: Session, vault: Vault, rewrapped: int) -> None:
    audit.record(session, AuditTag.KEYS_ROTATED, actor=None, now=utcnow(), anonymous_role="operator",
                 details={"active_kek": vault.keyring.active, "rewrapped": rewrapped})


def keys_in_use(session: Session) -> dict[str, int]:
    """How many live data keys (and sealed TOTP secrets) each KEK wraps."""
    rows = session.execute(select(CaseKey.kek_id, func.count()).where(CaseKey.wrapped_key.is_not(None))
                           .group_by(CaseKey.kek_id)).all()
    in_use = {kek_id: count for kek_id, count in rows if kek_id is not None}
    for kek_id, count in two_factor.secrets_by_kek(session).items():
        in_use[kek_id] = in_use.get(kek_id, 0) + count
    return in_use


def check_retirable(session: Session, vault: Vault, kek_id: str) -> None:
    """Refuse to retire a KEK that is active or still wraps a data key."""
    if kek_id == vault.keyring.active:
        raise CryptoError("the active KEK cannot be retired; rotate to a new one first")
    if kek_id not in vault.keyring.keys:
        raise CryptoError(f"there is no KEK {kek_id!r} in the keyring")
    still = keys_in_use(session).get(kek_id, 0)
    if still:
        raise CryptoError(f"KEK {kek_id!r} still wraps {still} data key(s); run 'mediation keys rewrap' first")


def record_retirement(session: Session, kek_id: str) -> None:
    audit.record(session, AuditTag.KEYS_RETIRED, actor=None, now=utcnow(), anonymous_role="operator",
                 details={"kek": kek_id})


@dataclass(frozen=True)
class Purge:
    cases: list[str]
    blob_ids: list[str]  # files to delete once the transaction committed


def purge_expired(session: Session, vault: Vault, *, retention_days: int, now: datetime | None = None,
                  dry_run: bool = False) -> Purge:
    """Destroy the data keys of cases closed more than ``retention_days`` ago.

    Their messages, files, notes and contact details become unreadable for good; the case rows, states,
    outcomes and counts stay for anonymous statistics.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    rows = session.execute(
        select(Case.id, Case.reference).join(CaseKey, CaseKey.case_id == Case.id)
        .where(Case.state == CaseState.CLOSED.value, Case.closed_at < cutoff, CaseKey.wrapped_key.is_not(None))
        .order_by(Case.id)).all()
    case_ids = [case_id for case_id, _ in rows]
    blob_ids = list(session.scalars(select(Blob.id).where(Blob.case_id.in_(case_ids)))) if case_ids else []
    if dry_run or not case_ids:
        return Purge([reference for _, reference in rows], blob_ids)
    session.execute(update(CaseKey).where(CaseKey.case_id.in_(case_ids))
                    .values(wrapped_key=None, kek_id=None, destroyed_at=now))
    for case_id in case_ids:
        vault.forget(case_id, session)
        audit.record_content(session, AuditTag.DATA_KEY_DESTROYED, case_id=case_id, actor=None, now=now,
                             anonymous_role="operator", details={"retention_days": retention_days})
    audit.record(session, AuditTag.KEYS_PURGED, actor=None, now=now, anonymous_role="operator",
                 details={"cases": len(case_ids), "files": len(blob_ids), "retention_days": retention_days})
    return Purge([reference for _, reference in rows], blob_ids)


@dataclass(frozen=True)
class Statistics:
    """Anonymous counts a programme reports on; they survive crypto-shredding."""

    cases_by_state: dict[str, int]
    cases_by_outcome: dict[str, int]
    cases_by_modality: dict[str, int]
    messages_by_state: dict[str, int]


def statistics(session: Session) -> Statistics:
    def count(column: InstrumentedAttribute[Any], table: type[Base]) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).select_from(table).group_by(column)).all()
        return {str(key): n for key, n in rows if key is not None}

    return Statistics(count(Case.state, Case), count(Case.outcome, Case), count(Case.modality, Case),
                      count(Message.state, Message))
