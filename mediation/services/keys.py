"""Key management: rewrapping data keys under a new KEK, retiring old KEKs, and destroying the data keys of
cases past their retention period (crypto-shredding: the content becomes unrecoverable, counts remain).

Accounts' TOTP secrets are sealed under a KEK too (``services/two_factor.py``), and so are notification
addresses and invitations waiting in the outbox (``notifications/sealed.py``): they follow every rotation, and
count as keys in use. So do held requests' own data keys (``services/request_keys.py``) and each side's key of a
referral (``services/referrals/keys.py``): rewrapped within their organisation, checked and counted with the
cases' keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, delete, func, inspect, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import InstrumentedAttribute, Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.errors import CryptoError, KeyUnavailable
from mediation.crypto.keyring import Keyrings
from mediation.crypto.vault import Vault
from mediation.db import Base, utcnow
from mediation.heartbeat import LIVE_SECONDS, processes_using
from mediation.models import (
    Blob,
    Case,
    CaseKey,
    Circle,
    Enrolment,
    Invitation,
    LoginSession,
    Message,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    Participant,
    RecoveryCode,
    TimerKind,
    TwoFactorCredential,
    User,
)
from mediation.notifications import sealed as notification_keys
from mediation.services import request_keys, two_factor
from mediation.services.referrals import keys as referral_keys
from mediation.services.referrals import retention as referral_retention
from mediation.timers import schedule
from workflows.programmes import programmes


def rewrap_batch(session: Session, vault: Vault, *, limit: int = 500) -> int:
    """Rewrap up to ``limit`` data keys (cases', then held requests', then sealed TOTP secrets) not yet under their
    organisation's active KEK; ciphertexts are not touched."""
    keyring = vault.keyring
    rows = session.execute(
        select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key, Case.organisation_id)
        .join(Case, Case.id == CaseKey.case_id)
        .where(CaseKey.wrapped_key.is_not(None), CaseKey.kek_id.not_in(sorted(keyring.actives)))
        .order_by(CaseKey.case_id).limit(limit)).all()
    now = utcnow()
    for case_id, kek_id, wrapped, organisation_id in rows:
        own = keyring.of(organisation_id)
        data_key = own.unwrap(case_id, str(kek_id), cast(bytes, wrapped))  # live keys only: never None
        new_kek, new_wrapped = own.wrap(case_id, data_key)
        session.execute(update(CaseKey).where(CaseKey.case_id == case_id, CaseKey.kek_id == kek_id)
                        .values(kek_id=new_kek, wrapped_key=new_wrapped, rewrapped_at=now))
    done = len(rows) + request_keys.rewrap_batch(session, keyring, limit=limit - len(rows))
    done += referral_keys.rewrap_batch(session, keyring, limit=limit - done)
    done += two_factor.reseal_batch(session, keyring, limit=limit - done)
    return done + notification_keys.reseal_batch(session, keyring, limit=limit - done)


def check_all_open(session: Session, vault: Vault) -> int:
    """Unwrap every live data key with the current keyring, so a rotation never starts on a broken one."""
    rows = session.execute(select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key, Case.organisation_id)
                           .join(Case, Case.id == CaseKey.case_id).where(CaseKey.wrapped_key.is_not(None))).all()
    for case_id, kek_id, wrapped, organisation_id in rows:
        vault.keyring_of(organisation_id).unwrap(case_id, str(kek_id), cast(bytes, wrapped))
    return (len(rows) + request_keys.check_all_open(session, vault.keyring)
            + referral_keys.check_all_open(session, vault.keyring)
            + two_factor.check_all_open(session, vault.keyring)
            + notification_keys.check_all_open(session, vault.keyring))


def record_rotation(session: Session, vault: Vault, rewrapped: int) -> None:
    audit.record(session, AuditTag.KEYS_ROTATED, actor=None, now=utcnow(), anonymous_role="operator",
                 details={"active_keks": sorted(vault.keyring.actives), "rewrapped": rewrapped})


def keys_in_use(session: Session) -> dict[str, int]:
    """How many live data keys (and sealed TOTP secrets) each KEK wraps."""
    rows = session.execute(select(CaseKey.kek_id, func.count()).where(CaseKey.wrapped_key.is_not(None))
                           .group_by(CaseKey.kek_id)).all()
    in_use = {kek_id: count for kek_id, count in rows if kek_id is not None}
    held = [*request_keys.keys_by_kek(session).items(), *referral_keys.keys_by_kek(session).items()]
    sealed = [*two_factor.secrets_by_kek(session).items(), *notification_keys.sealed_by_kek(session).items()]
    for kek_id, count in [*held, *sealed]:
        in_use[kek_id] = in_use.get(kek_id, 0) + count
    return in_use


def unopenable_data_keys(engine: Engine, keyring: Keyrings) -> dict[str, int]:
    """How many live data keys (cases' and held requests') do not open with ``keyring``, by the KEK that wraps
    them (empty: all open)."""
    failing: dict[str, int] = {}
    with engine.connect() as connection:
        rows = connection.execute(select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key)
                                  .where(CaseKey.wrapped_key.is_not(None)))
        for case_id, kek_id, wrapped in rows:
            try:
                keyring.unwrap(case_id, str(kek_id), wrapped)
            except KeyUnavailable:
                failing[str(kek_id)] = failing.get(str(kek_id), 0) + 1
        for kek_id, count in [*request_keys.unopenable(connection, keyring).items(),
                              *referral_keys.unopenable(connection, keyring).items()]:
            failing[kek_id] = failing.get(kek_id, 0) + count
    return failing


def live_data_keys(engine: Engine) -> int:
    """How many data keys the database holds that some KEK must still open (0 for a database without schema)."""
    if not inspect(engine).has_table(CaseKey.__tablename__):
        return 0
    with engine.connect() as connection:
        cases = connection.scalar(select(func.count()).select_from(CaseKey).where(CaseKey.wrapped_key.is_not(None)))
        return (cases or 0) + request_keys.live_count(connection) + referral_keys.live_count(connection)


def check_retirable(session: Session, vault: Vault, kek_id: str) -> None:
    """Refuse to retire a KEK that is active, still wraps a data key, or is still active in a live process."""
    if kek_id in vault.keyring.actives:
        raise CryptoError("the active KEK cannot be retired; rotate to a new one first")
    if kek_id not in vault.keyring.keys:
        raise CryptoError("there is no KEK %(kek_id)s in the keyring", kek_id=repr(kek_id))
    still = keys_in_use(session).get(kek_id, 0)
    if still:
        raise CryptoError("KEK %(kek_id)s still wraps %(still)s data key(s); run 'mediation keys rewrap' first",
                          kek_id=repr(kek_id), still=still)
    running = processes_using(session, kek_id)
    if running:
        raise CryptoError("KEK %(kek_id)s is still the active key of %(count)s running process(es): %(names)s. Each "
                          "switches to the new key at its next request (or restart it); run this again then (a "
                          "process idle for %(seconds)ss is not waited for)",
                          kek_id=repr(kek_id), count=len(running), names="; ".join(p.describe() for p in running),
                          seconds=LIVE_SECONDS)


def record_retirement(session: Session, kek_id: str) -> None:
    audit.record(session, AuditTag.KEYS_RETIRED, actor=None, now=utcnow(), anonymous_role="operator",
                 details={"kek": kek_id})


@dataclass(frozen=True)
class Purge:
    cases: list[str]
    blob_ids: list[str]  # files to delete once the transaction committed
    accounts_anonymised: int = 0
    accounts_kept: int = 0  # accounts still taking part in another case: only unlinked from the purged ones
    referrals: tuple[str, ...] = ()  # referrals over as long: their shared values, notes and keys erased


# Whom a case of another programme names besides mediation's participants: its core member, its client.
_PROGRAMME_PEOPLE = ((Circle.case_id, Circle.core_member_id), (Enrolment.case_id, Enrolment.client_id))
_PEOPLE = ((Participant.case_id, Participant.user_id), *_PROGRAMME_PEOPLE)


def _unlink_people(session: Session, case_ids: list[int], *, dry_run: bool) -> tuple[int, int]:
    """Cut what ties a person to the purged cases: their portal accounts and unused invitations.

    An account that takes part in no other live case (of any programme) is anonymised: a random ``purged-``
    username, no display name, no password, deactivated. One that still takes part in another case keeps its
    identity there and loses its link to the purged cases only (a client's enrolment keeps its link, to an
    account that then says nothing of the purged one). Returns (anonymised, kept).
    """
    linked: set[int] = set()
    for case_column, user_column in _PEOPLE:
        linked |= set(session.scalars(select(user_column).where(case_column.in_(case_ids),
                                                                user_column.is_not(None))))
    elsewhere: set[int] = set()
    for case_column, user_column in _PEOPLE if linked else ():
        elsewhere |= set(session.scalars(
            select(user_column).join(CaseKey, CaseKey.case_id == case_column, isouter=True)
            .where(user_column.in_(linked), case_column.not_in(case_ids), CaseKey.destroyed_at.is_(None))))
    anonymised = sorted(cast(set[int], linked - elsewhere))
    if dry_run:
        return len(anonymised), len(elsewhere)
    participant_ids = select(Participant.id).where(Participant.case_id.in_(case_ids)).scalar_subquery()
    session.execute(delete(Invitation).where(Invitation.participant_id.in_(participant_ids)))
    # An invitation still waiting to be e-mailed holds its code and address, sealed: they go with the case.
    session.execute(update(OutboxMessage).where(OutboxMessage.participant_id.in_(participant_ids),
                                                OutboxMessage.state == OutboxState.QUEUED.value)
                    .values(state=OutboxState.DROPPED.value, last_error="purged", sealed_payload=None, kek_id=None))
    session.execute(update(Participant).where(Participant.case_id.in_(case_ids)).values(user_id=None))
    session.execute(update(Circle).where(Circle.case_id.in_(case_ids)).values(core_member_id=None))
    if anonymised:
        # Nothing of theirs may sign in again or say when they did: sessions and second factors go too, and
        # so does the address they were told at (sealed in their notification preference).
        for model in (LoginSession, TwoFactorCredential, RecoveryCode, NotificationPreference):
            session.execute(delete(model).where(model.user_id.in_(anonymised)))
    for user_id in anonymised:
        session.execute(update(User).where(User.id == user_id).values(
            username=f"purged-{secrets.token_hex(8)}", display_name="", password_hash=None, is_active=False))
    return len(anonymised), len(elsewhere)


def purge_expired(session: Session, vault: Vault, *, retention_days: int, now: datetime | None = None,
                  dry_run: bool = False) -> Purge:
    """Destroy the data keys of cases closed more than ``retention_days`` ago, and the content of referrals over
    as long.

    Their messages, files, notes and contact details become unreadable for good; the case and referral rows,
    states, outcomes and counts stay for anonymous statistics and indicators.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    purged = purge_cases(session, vault, _expired(cutoff), retention_days=retention_days, now=now, dry_run=dry_run)
    referrals = tuple(referral_retention.purge_expired(session, cutoff, now, dry_run=dry_run))
    if referrals and not dry_run:
        audit.record(session, AuditTag.REFERRALS_PURGED, actor=None, now=now, anonymous_role="operator",
                     details={"referrals": len(referrals), "retention_days": retention_days})
    return replace(purged, referrals=referrals)


def _expired(cutoff: datetime) -> Select[tuple[int]]:
    return (select(Case.id).join(CaseKey, CaseKey.case_id == Case.id)
            .where(finished_cases(), Case.closed_at < cutoff, CaseKey.wrapped_key.is_not(None)))


def finished_cases() -> ColumnElement[bool]:
    """Cases resting in a final state of their programme (a mediation closed, a circle ended...)."""
    return or_(*(and_(Case.programme == p.name, Case.state.in_(p.final_states)) for p in programmes()))


def purge_cases(session: Session, vault: Vault, wanted: Select[tuple[int]], *, retention_days: int, now: datetime,
                dry_run: bool = False, anonymous_role: str = "operator") -> Purge:
    """Destroy the data keys of the cases ``wanted`` selects (closed ones whose key still exists): the one way
    both ``mediation purge`` and the worker's retention timer (as ``anonymous_role``) purge a case."""
    chosen = wanted.where(finished_cases(), CaseKey.wrapped_key.is_not(None))
    rows = session.execute(select(Case.id, Case.reference).where(Case.id.in_(chosen.scalar_subquery()))
                           .order_by(Case.id)).all()
    case_ids = [case_id for case_id, _ in rows]
    references = [reference for _, reference in rows]
    if not case_ids:
        return Purge([], [])
    blob_ids = list(session.scalars(select(Blob.id).where(Blob.case_id.in_(case_ids))))
    anonymised, kept = _unlink_people(session, case_ids, dry_run=dry_run)
    if dry_run:
        return Purge(references, blob_ids, anonymised, kept)
    session.execute(update(CaseKey).where(CaseKey.case_id.in_(case_ids))
                    .values(wrapped_key=None, kek_id=None, destroyed_at=now))
    for case_id in case_ids:
        schedule.cancel(session, [TimerKind.RETENTION_ENDS], case_id=case_id, now=now)  # nothing left to end
        vault.forget(case_id, session)
        audit.record_content(session, AuditTag.DATA_KEY_DESTROYED, case_id=case_id, actor=None, now=now,
                             anonymous_role=anonymous_role, details={"retention_days": retention_days})
    audit.record(session, AuditTag.KEYS_PURGED, actor=None, now=now, anonymous_role=anonymous_role,
                 details={"cases": len(case_ids), "files": len(blob_ids), "accounts": anonymised,
                          "retention_days": retention_days})
    return Purge(references, blob_ids, anonymised, kept)


def case_purge(case_id: int) -> Select[tuple[int]]:
    """The one case the worker's retention timer purges."""
    return select(Case.id).join(CaseKey, CaseKey.case_id == Case.id).where(Case.id == case_id)


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
