"""Demo timers: the services armed the demo cases' reminders as they were built (all of them upcoming); here a few
are made overdue, as if time had passed, so the reminders pages and the worker have something to show: one of
mediator.ada's cases untouched past the stale period, a message waiting for review too long, and one timer the
coordinator sees as failed. ``scripts/run``'s worker fires the overdue ones within seconds: they become notices
on mediator.ada's dashboard, and the coordinator's escalation comes up next."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from mediation.db import utcnow
from mediation.models import Case, Timer, TimerKind, TimerState, User
from mediation.runtime import Runtime
from mediation.timers import schedule
from workflows.vocabulary import OPEN_STATES


def add_demo_timers(runtime: Runtime) -> None:
    now, stale_days = utcnow(), runtime.settings.stale_case_days
    with runtime.transaction() as s:
        ada = s.scalars(select(User).where(User.username == "mediator.ada")).one()
        stalled = s.scalars(select(Case.id).where(Case.assigned_mediator_id == ada.id,
                                                  Case.state.in_([str(state) for state in OPEN_STATES]))
                            .order_by(Case.id).limit(1)).first()
        if stalled is not None:  # no activity for the stale period and three days more
            last = now - timedelta(days=stale_days + 3)
            s.execute(update(Case).where(Case.id == stalled).values(updated_at=last))
            s.execute(update(Timer).where(Timer.case_id == stalled, Timer.kind == TimerKind.CASE_STALE.value,
                                          Timer.state == TimerState.PENDING.value)
                      .values(due_at=last + timedelta(days=stale_days)))
        waiting = s.scalars(select(Timer).where(Timer.kind == TimerKind.REVIEW_WAITING.value,
                                                Timer.state == TimerState.PENDING.value)
                            .order_by(Timer.id).limit(1)).first()
        if waiting is not None:
            waiting.due_at = now - timedelta(hours=5)
        failed = schedule.arm(s, TimerKind.AUDIT_CHECKPOINT, now - timedelta(days=2), now=now - timedelta(days=2))
        failed.state, failed.attempts, failed.last_error = TimerState.FAILED.value, 5, "PermissionError"
        failed.fired_at, failed.outcome = now - timedelta(hours=1), "failed"
