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

from sqlalchemy import select
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
from mediation.models import Case, NoticeKind, Timer, TimerKind, TimerState
from mediation.moments import aware
from mediation.services import keys
from mediation.services.reminders_arming import delays
from mediation.services.reminders_handlers import coordinators, rearm, tell_all
from mediation.timers import schedule
from mediation.timers.registry import SYSTEM_ROLE, Firing, Outcome, handles, recurring
from workflows.vocabulary import CaseState


@handles(TimerKind.RETENTION_ENDS)
def retention_ends(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """Destroy the closed case's data key as ``mediation purge`` would; its files go after the commit."""
    case = session.get(Case, timer.case_id) if timer.case_id is not None else None
    if case is None or case.state != CaseState.CLOSED or case.closed_at is None:
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


def tell_coordinators_of_failure(session: Session, timer: Timer, now: datetime) -> None:
    """A timer failed for good: the coordinators see it on their page (and in the list of failed timers)."""
    tell_all(session, coordinators(session), NoticeKind.TIMER_FAILED, timer.case_id, now)
