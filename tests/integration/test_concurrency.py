"""Two people acting on the same case at the same moment: one wins, the other is told, nothing is half-done."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from mediation.audit.verify import verify_audit_log
from mediation.errors import Conflict
from mediation.models import AuditEntry, Case
from mediation.services import workflow
from mediation.services.lookup import find_case
from workflows.errors import TriggerNotAllowed
from workflows.vocabulary import CaseState


def _race(runtime, actions):
    """Run each action in its own thread and session, released together; return results or errors."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            with runtime.transaction() as session:
                outcomes[index] = action(session).state
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _snapshot(runtime, actors, reference):
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        count = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.case_id == case.id))
        return case.state, case.version, count


@pytest.mark.parametrize("attempt", range(3))
def test_two_mediators_firing_at_once_one_wins_and_the_other_gets_a_conflict(runtime, actors, make_case, attempt):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    _, version, entries = _snapshot(runtime, actors, reference)
    outcomes = _race(runtime, [
        lambda s: workflow.fire(s, actors.mediator, reference, "pause", reason="wellbeing", expected_version=version),
        lambda s: workflow.fire(s, actors.mediator, reference, "conclude", expected_version=version),
    ])
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], Conflict) and "reload" in str(losers[0])
    state, new_version, new_entries = _snapshot(runtime, actors, reference)
    assert state == winners[0] and new_version == version + 1 and new_entries == entries + 1
    with runtime.transaction() as session:
        assert verify_audit_log(session).intact


def test_many_writers_on_one_case_leave_an_intact_chain(runtime, actors, make_case):
    """Pause and resume hammered from four threads: every success is chained, every failure is clean."""
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    _, _, before = _snapshot(runtime, actors, reference)

    def toggle(session):
        case = find_case(session, actors.mediator, reference)
        trigger = "resume" if case.state == CaseState.PAUSED else "pause"
        return workflow.fire(session, actors.mediator, reference, trigger,
                             reason="wellbeing" if trigger == "pause" else None)

    successes = 0
    for _ in range(5):
        outcomes = _race(runtime, [toggle] * 4)
        # A loser either lost the race on the row (Conflict) or, on PostgreSQL's READ COMMITTED, already saw the
        # winner's state when the service read the case (the trigger no longer exists there): both are clean.
        assert all(isinstance(o, str | Conflict | TriggerNotAllowed) for o in outcomes), outcomes
        successes += sum(isinstance(o, str) for o in outcomes)
    _, _, after = _snapshot(runtime, actors, reference)
    assert after - before == successes
    with runtime.transaction() as session:
        assert verify_audit_log(session).intact


def test_a_write_based_on_a_stale_read_is_refused_by_the_version_check(runtime, actors, make_case, database_url):
    """Interleave two sessions by hand: both read, one commits, the other's update finds nothing to update."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE, so the two reads cannot interleave")
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    first, second = runtime.sessions(), runtime.sessions()
    try:
        case_a = first.scalars(select(Case).where(Case.reference == reference)).one()
        case_b = second.scalars(select(Case).where(Case.reference == reference)).one()
        _ = case_a.participants, case_b.participants
        workflow.case_workflow().fire(case_a, "pause", reason="wellbeing")
        first.commit()
        workflow.case_workflow().fire(case_b, "conclude")
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    assert _snapshot(runtime, actors, reference)[0] == CaseState.PAUSED


def test_a_lost_update_surfaces_as_a_conflict_with_a_clear_message(runtime):
    with pytest.raises(Conflict, match="reload it and try again"), runtime.transaction():
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s); 0 were matched.")
