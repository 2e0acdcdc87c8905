"""The worker's side of timers: take one due timer, fire it, record how it went, in one transaction.

Exactly once: the timer's row is taken with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's single writer
serialises instead), its handler's work and the row's move to ``fired`` commit together, so a worker killed
at any moment leaves the timer pending (fired again on restart) or fired (never again), and two workers never
take the same row. A handler that raises rolls back whole; the timer then waits (1 minute, doubling, at most 6
hours) and fails for good after ``MAX_ATTEMPTS``, shown to the coordinator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import Unavailable
from mediation.models import Timer, TimerState
from mediation.runtime import Runtime
from mediation.services import reminders_upkeep
from mediation.timers import kinds  # noqa: F401  (registers every handler)
from mediation.timers.registry import SYSTEM_ROLE, Firing, Outcome, arrangers, handler_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


@dataclass
class Fired:
    """What one call of ``fire_due`` did."""

    done: int = 0
    moot: int = 0
    failed: int = 0  # attempts that raised (the timer waits and is tried again, or failed for good)

    @property
    def total(self) -> int:
        return self.done + self.moot + self.failed


def _take_next(session: Session, now: datetime) -> Timer | None:
    return session.scalars(
        select(Timer).where(Timer.state == TimerState.PENDING.value, Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id).limit(1).with_for_update(skip_locked=True, of=Timer)).first()


def _audit(session: Session, tag: AuditTag, timer: Timer, now: datetime, reason: str) -> None:
    details = {"timer": timer.id, "kind": timer.kind}
    if timer.case_id is not None:  # the content chain: a timer's note must not look like activity on the case
        audit.record_content(session, tag, case_id=timer.case_id, actor=None, now=now, anonymous_role=SYSTEM_ROLE,
                             reason=reason, details=details)
    else:
        audit.record(session, tag, actor=None, now=now, anonymous_role=SYSTEM_ROLE, reason=reason, details=details)


def fire_next(session: Session, firing: Firing, taken: list[int]) -> Outcome | None:
    """Fire the earliest due timer nobody else holds; None when none is due. ``taken`` receives its id first,
    so a failure can be recorded against it after the rollback."""
    timer = _take_next(session, firing.now)
    if timer is None:
        return None
    taken.append(timer.id)
    if timer.case_id is not None:
        audit.lock_case_row(session, timer.case_id)
    handler = handler_for(timer.kind)
    outcome = Outcome.moot_because("unknown_kind") if handler is None else handler(session, timer, firing)
    timer.state, timer.fired_at, timer.outcome = TimerState.FIRED.value, firing.now, outcome.code
    timer.attempts += 1
    if outcome.moot:
        _audit(session, AuditTag.TIMER_MOOT, timer, firing.now, outcome.code)
    return outcome


def _record_failure(session: Session, timer_id: int, error: Exception, now: datetime) -> None:
    timer = session.scalars(select(Timer).where(Timer.id == timer_id, Timer.state == TimerState.PENDING.value)
                            .with_for_update(skip_locked=True)).first()
    if timer is None:
        return
    timer.attempts += 1
    timer.last_error = type(error).__name__[:80]
    if timer.attempts >= MAX_ATTEMPTS:
        timer.state, timer.fired_at, timer.outcome = TimerState.FAILED.value, now, "failed"
        _audit(session, AuditTag.TIMER_FAILED, timer, now, "handler_failed")
        reminders_upkeep.tell_coordinators_of_failure(session, timer, now)
    else:
        timer.due_at = now + min(FIRST_RETRY * 2 ** (timer.attempts - 1), LONGEST_RETRY)


def fire_due(runtime: Runtime, *, limit: int, now: datetime | None = None) -> Fired:
    """Fire up to ``limit`` due timers, each in its own transaction (``now``: the clock, for tests)."""
    report = Fired()
    for _ in range(limit):
        moment = now or utcnow()
        taken: list[int] = []
        firing = Firing(moment, runtime.settings, lambda: runtime.vault)

        def work(session: Session, firing: Firing = firing, taken: list[int] = taken) -> Outcome | None:
            taken.clear()
            firing.after_commit.clear()
            return fire_next(session, firing, taken)

        try:
            outcome = runtime.run(work)
        except Unavailable:
            raise  # the database is busy or gone: the worker waits and comes back, nothing is marked
        except Exception as error:  # a handler's bug: recorded against its timer, the others go on
            if not taken:
                raise
            log.exception("timer %s failed", taken[0])
            runtime.run(lambda session, timer_id=taken[0], error=error, moment=moment:
                        _record_failure(session, timer_id, error, moment))
            report.failed += 1
            continue
        if outcome is None:
            break
        for after in firing.after_commit:
            try:
                after()
            except Exception:  # the change committed; what follows it is tidying (fsck finishes it otherwise)
                log.exception("after timer %s: tidying failed", taken[0])
        if outcome.moot:
            report.moot += 1
        else:
            report.done += 1
    return report


# Any constant: the key of the transaction-scoped PostgreSQL lock that lets one worker at a time arrange.
_ARRANGING_LOCK = 0x726A_7469  # "rjti"


def arrange_recurring(runtime: Runtime, now: datetime | None = None) -> None:
    """Arm the recurring timers that are not armed yet (one transaction). On PostgreSQL, workers starting
    together take turns (an advisory lock held to the commit), so the second sees what the first armed instead
    of arming a second checkpoint or digest beside it; SQLite's single writer serialises them already."""
    def work(session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ARRANGING_LOCK})
        for arrange in arrangers():
            arrange(session, runtime.settings, now or utcnow())
    runtime.run(work)
