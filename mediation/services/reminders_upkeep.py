"""The system's own timers: purging a closed case when its retention ends, and the regular audit checkpoint.

Both run as the system in the worker (``mediation.timers``). A purge goes through ``keys.purge_cases``, the very
function behind ``mediation purge``; the case's files are deleted only once the purge has committed. The
checkpoint is the one ``mediation audit-checkpoint`` writes, into ``MEDIATION_AUDIT_CHECKPOINT_DIR`` (a folder
outside the instance: whoever can rewrite the database must not be able to rewrite the checkpoints too).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from config import Settings
from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.audit.checkpoint import create_checkpoint
from mediation.audit.verify import verify_audit_log
from mediation.backup import checkpoint_wal
from mediation.blobs import BlobStore
from mediation.fileio import write_private
from mediation.keyfiles import load_audit_signing_key
from mediation.models import FIRST_ORGANISATION, Case, CaseKey, NoticeKind, Timer, TimerKind, TimerState, User
from mediation.moments import aware
from mediation.policy import mediation_cases
from mediation.services import keys
from mediation.services.reminders_arming import delays
from mediation.services.reminders_handlers import coordinators, rearm, tell_all
from mediation.timers import schedule
from mediation.timers.registry import SYSTEM_ROLE, Firing, Outcome, handles, recurring
from workflows.programmes import programme
from workflows.vocabulary import OPEN_STATES, CaseState

CATCH_UP_BATCH = 500
_CAUGHT_UP: set[str] = set()  # the databases this process has caught up (see catch_up_cases)


@handles(TimerKind.RETENTION_ENDS)
def retention_ends(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """Destroy the closed case's data key as ``mediation purge`` would; its files go after the commit."""
    case = session.get(Case, timer.case_id) if timer.case_id is not None else None
    # A case rests in its own programme's final state (a mediation closed, a circle ended...).
    if case is None or case.state not in programme(case.programme).final_states or case.closed_at is None:
        return Outcome.moot_because("case_reopened")
    days = delays(session).retention_days
    ends = aware(case.closed_at) + timedelta(days=days)
    if ends > firing.now:
        rearm(session, timer, ends)
        return Outcome.moot_because("retention_not_over")
    purge = keys.purge_cases(session, firing.vault, keys.case_purge(case.id), retention_days=days, now=firing.now,
                             anonymous_role=SYSTEM_ROLE)
    if not purge.cases:
        return Outcome.moot_because("already_purged")
    blobs, engine = BlobStore(firing.settings.blob_dir), session.get_bind().engine

    def tidy() -> None:
        for blob_id in purge.blob_ids:
            blobs.discard(blob_id)
        checkpoint_wal(engine)  # the destroyed key must not linger in SQLite's log

    firing.after_commit.append(tidy)
    return Outcome.done()


@recurring
def keep_checkpoints_armed(session: Session, settings: Settings, now: datetime) -> None:
    """One pending checkpoint timer while a checkpoint folder is set (the first one right away)."""
    if settings.timing.checkpoint_dir is None:
        return
    pending = session.scalar(select(Timer.id).where(Timer.kind == TimerKind.AUDIT_CHECKPOINT.value,
                                                    Timer.state == TimerState.PENDING.value).limit(1))
    if pending is None:
        schedule.arm(session, TimerKind.AUDIT_CHECKPOINT, now, now=now)


def checkpoint_name(now: datetime) -> str:
    return f"audit-checkpoint-{now:%Y%m%dT%H%M%S%fZ}.json"


@handles(TimerKind.AUDIT_CHECKPOINT)
def audit_checkpoint(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """Sign every chain head and write it to the checkpoint folder; the next one comes ``checkpoint_hours`` on.

    A damaged audit log is not signed: the timer fails (and, after its retries, the coordinators are told)."""
    timing = firing.settings.timing
    if timing.checkpoint_dir is None:
        return Outcome.moot_because("not_configured")
    report = verify_audit_log(session)
    if not report.intact:
        raise RuntimeError("the audit log is damaged; run 'mediation verify-audit'")
    key = load_audit_signing_key(firing.settings.audit_signing_key_file)
    text = json.dumps(create_checkpoint(report, key, firing.now), indent=2, sort_keys=True) + "\n"
    name = checkpoint_name(firing.now)
    write_private(Path(timing.checkpoint_dir) / name, text.encode(), overwrite=True)
    audit.record(session, AuditTag.CHECKPOINT_WRITTEN, actor=None, now=firing.now, anonymous_role=SYSTEM_ROLE,
                 details={"file": name, "chains": len(report.heads)})
    rearm(session, timer, firing.now + timedelta(hours=timing.checkpoint_hours))
    return Outcome.done()


def _without(kind: TimerKind) -> ColumnElement[bool]:
    """The case never had a timer of ``kind`` (whatever became of it)."""
    return ~exists().where(Timer.case_id == Case.id, Timer.kind == kind.value)


def _armed_meanwhile(session: Session, case_id: int, kind: TimerKind) -> bool:
    """Lock the case (another worker catching up waits here), then look again: it may have armed it first."""
    audit.lock_case_row(session, case_id)
    return bool(session.scalar(select(exists().where(Timer.case_id == case_id, Timer.kind == kind.value))))


def arm_missing(session: Session, settings: Settings, now: datetime, *, limit: int) -> int:
    """Arm the stale-case timer of open cases, and the retention timer of closed ones, that never had one (they
    predate the timers: migration 0023); returns how many were armed (at most ``limit``)."""
    open_cases = session.execute(
        select(Case.id, Case.updated_at).where(mediation_cases(), Case.state.in_([str(s) for s in OPEN_STATES]),
                                               _without(TimerKind.CASE_STALE)).order_by(Case.id).limit(limit)).all()
    for case_id, updated_at in open_cases:
        if _armed_meanwhile(session, case_id, TimerKind.CASE_STALE):
            continue
        schedule.arm(session, TimerKind.CASE_STALE, aware(updated_at) + timedelta(days=settings.stale_case_days),
                     case_id=case_id, now=now)
    closed_cases = session.execute(
        select(Case.id, Case.closed_at).join(CaseKey, CaseKey.case_id == Case.id)
        .where(Case.state == CaseState.CLOSED.value, Case.closed_at.is_not(None), CaseKey.wrapped_key.is_not(None),
               _without(TimerKind.RETENTION_ENDS)).order_by(Case.id).limit(limit - len(open_cases))).all()
    for case_id, closed_at in closed_cases:
        if _armed_meanwhile(session, case_id, TimerKind.RETENTION_ENDS):
            continue
        schedule.arm(session, TimerKind.RETENTION_ENDS, aware(closed_at) + timedelta(days=settings.retention_days),
                     case_id=case_id, now=now)
    return len(open_cases) + len(closed_cases)


@recurring
def catch_up_cases(session: Session, settings: Settings, now: datetime) -> None:
    """Cases older than the timers get theirs, a batch per round of the worker until none is left; then this
    process looks no more (every case since has its timers armed by its own changes)."""
    if settings.database_url in _CAUGHT_UP:
        return
    if arm_missing(session, settings, now, limit=CATCH_UP_BATCH) < CATCH_UP_BATCH:
        _CAUGHT_UP.add(settings.database_url)


def tell_coordinators_of_failure(session: Session, timer: Timer, now: datetime) -> None:
    """A timer failed for good: the coordinators of its organisation see it on their page (and in the list of
    failed timers). A timer of no case or account (the server's own upkeep) is the first organisation's."""
    tell_all(session, coordinators(session, timer_organisation(session, timer)), NoticeKind.TIMER_FAILED,
             timer.case_id, now)


def timer_organisation(session: Session, timer: Timer) -> int:
    """The organisation a timer belongs to: its case's, else its account's, else the first organisation."""
    if timer.case_id is not None:
        found = session.scalar(select(Case.organisation_id).where(Case.id == timer.case_id))
    elif timer.user_id is not None:
        found = session.scalar(select(User.organisation_id).where(User.id == timer.user_id))
    else:
        found = None
    return found if found is not None else FIRST_ORGANISATION
