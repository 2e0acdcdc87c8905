"""The timer engine (issue 10, part 1) on SQLite and PostgreSQL: a timer lives and dies with the transaction that
arms it, fires once when due and never before, moves instead of doubling, is cancelled with the change that
makes it moot, audits a moot firing as the system, and a handler that keeps failing waits, then fails for good
without holding up the others.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.audit.verify import verify_audit_log
from mediation.db import utcnow
from mediation.models import AuditEntry, Timer, TimerKind, TimerState
from mediation.moments import aware
from mediation.services.lookup import find_case
from mediation.timers import registry, runner, schedule
from mediation.timers.registry import Outcome
from workflows.vocabulary import CaseState

KIND = TimerKind.CASE_STALE


@pytest.fixture
def calls(monkeypatch) -> list[int]:
    """A handler for KIND that records each timer it fires (and is moot for subject 13)."""
    fired: list[int] = []

    def handler(session, timer, firing):
        fired.append(timer.id)
        return Outcome.moot_because("case_moved_on") if timer.subject_id == 13 else Outcome.done()

    monkeypatch.setitem(registry._HANDLERS, KIND.value, handler)
    return fired


def timers(runtime) -> list[Timer]:
    with runtime.transaction(read_only=True) as session:
        return list(session.scalars(select(Timer).order_by(Timer.id)))


def test_a_rolled_back_change_leaves_no_timer(runtime):
    def change_that_fails() -> None:
        with runtime.transaction() as session:
            schedule.arm(session, KIND, utcnow())
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert timers(runtime) == []


def test_a_due_timer_fires_once_and_a_later_one_waits(runtime, calls):
    now = utcnow()
    with runtime.transaction() as session:
        due = schedule.arm(session, KIND, now - timedelta(minutes=1), subject_id=1)
        later = schedule.arm(session, KIND, now + timedelta(hours=1), subject_id=2)
    assert runner.fire_due(runtime, limit=10).done == 1
    assert runner.fire_due(runtime, limit=10).total == 0
    assert calls == [due.id]
    by_id = {t.id: t for t in timers(runtime)}
    assert by_id[due.id].state == TimerState.FIRED and by_id[due.id].outcome == "done"
    assert by_id[later.id].state == TimerState.PENDING
    assert runner.fire_due(runtime, limit=10, now=now + timedelta(hours=2)).done == 1
    assert calls == [due.id, later.id]


def test_arming_again_moves_the_timer_and_cancel_ends_it(runtime, make_case, actors, calls):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        case_id = find_case(session, actors.mediator, reference).id
        first = schedule.arm(session, KIND, utcnow() + timedelta(days=3), case_id=case_id)
    with runtime.transaction() as session:
        again = schedule.arm(session, KIND, utcnow() + timedelta(days=9), case_id=case_id)
    assert again.id == first.id and len(timers(runtime)) == 1
    with runtime.transaction() as session:
        assert schedule.cancel(session, [KIND], case_id=case_id) == 1
    [timer] = timers(runtime)
    assert timer.state == TimerState.CANCELLED
    assert runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=30)).total == 0
    assert calls == []


def test_a_moot_timer_is_audited_as_the_system(runtime, make_case, actors, calls):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        case_id = find_case(session, actors.mediator, reference).id
        timer = schedule.arm(session, KIND, utcnow(), case_id=case_id, subject_id=13)
    assert runner.fire_due(runtime, limit=10).moot == 1
    with runtime.transaction(read_only=True) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.TIMER_MOOT.value)).one()
        assert (entry.case_id, entry.actor_id, entry.actor_role, entry.reason) == (
            case_id, None, "system", "case_moved_on")
        assert f'"timer":{timer.id}' in entry.details
        assert verify_audit_log(session).intact


def test_a_failing_handler_backs_off_then_fails_for_good(runtime, monkeypatch, calls):
    def broken(session, timer, firing):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(registry._HANDLERS, TimerKind.RETENTION_ENDS.value, broken)
    now = utcnow()
    with runtime.transaction() as session:
        bad = schedule.arm(session, TimerKind.RETENTION_ENDS, now - timedelta(seconds=1))
        good = schedule.arm(session, KIND, now - timedelta(seconds=1))
    report = runner.fire_due(runtime, limit=10, now=now)
    assert (report.failed, report.done) == (1, 1) and calls == [good.id]
    [timer] = [t for t in timers(runtime) if t.id == bad.id]
    assert timer.state == TimerState.PENDING and timer.attempts == 1 and timer.last_error == "ZeroDivisionError"
    assert aware(timer.due_at) > now  # it waits before it is tried again
    moment = now
    for _ in range(runner.MAX_ATTEMPTS - 1):
        moment += timedelta(hours=7)
        runner.fire_due(runtime, limit=10, now=moment)
    [timer] = [t for t in timers(runtime) if t.id == bad.id]
    assert timer.state == TimerState.FAILED and timer.attempts == runner.MAX_ATTEMPTS
    with runtime.transaction(read_only=True) as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.TIMER_FAILED.value)).one()
