"""Every kind of timer of issue 10, through the services and the worker's runner, on SQLite and PostgreSQL.

Each is armed in the transaction of the change that starts it (a rolled-back change leaves none), cancelled by
the change that makes it moot, fires once when due (a notice to whoever must act, never content), and is a
no-op audited as the system when the case moved on. Retention ends in a purge through the worker; the audit
checkpoint lands in its folder and verifies.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from config import SettingsError, load_settings
from mediation.audit import AuditTag
from mediation.audit.checkpoint import read_checkpoint
from mediation.audit.verify import verify_audit_log
from mediation.db import utcnow
from mediation.demo import load_demo
from mediation.keyfiles import ensure_instance, load_audit_signing_key
from mediation.models import AuditEntry, Case, CaseKey, Notice, NoticeKind, Timer, TimerKind, TimerState, User
from mediation.moments import aware
from mediation.runtime import open_runtime
from mediation.services import (
    activities,
    agreements,
    closure,
    invitations,
    keys,
    messages,
    reminders_upkeep,
    safety,
    timer_views,
    workflow,
)
from mediation.services import notices as notices_service
from mediation.services.listing import ListQuery
from mediation.services.lookup import find_case
from mediation.timers import registry, runner
from mediation.worker import Worker
from tests.integration.dialogue_steps import dialogue_of
from tests.integration.test_activities import later
from tests.integration.test_messages import link_accounts
from workflows.vocabulary import CaseState

DAY = timedelta(days=1)


def timers(runtime, kind: TimerKind, state: TimerState | None = TimerState.PENDING) -> list[Timer]:
    with runtime.transaction(read_only=True) as s:
        query = select(Timer).where(Timer.kind == kind.value).order_by(Timer.id)
        return list(s.scalars(query if state is None else query.where(Timer.state == state.value)))


def notices(runtime, kind: NoticeKind) -> list[tuple[int, int | None]]:
    """(recipient, case) of every notice of ``kind``."""
    with runtime.transaction(read_only=True) as s:
        rows = s.execute(select(Notice.user_id, Notice.case_id).where(Notice.kind == kind.value).order_by(Notice.id))
        return [(user_id, case_id) for user_id, case_id in rows]


def fire(runtime, after: timedelta):
    return runner.fire_due(runtime, limit=1000, now=utcnow() + after)


def case_id_of(runtime, actors, reference: str) -> int:
    with runtime.transaction(read_only=True) as s:
        return find_case(s, actors.mediator, reference).id


def moot_reasons(runtime) -> list[tuple[str | None, str]]:
    with runtime.transaction(read_only=True) as s:
        rows = s.execute(select(AuditEntry.reason, AuditEntry.actor_role)
                         .where(AuditEntry.tag == AuditTag.TIMER_MOOT.value).order_by(AuditEntry.id))
        return [(reason, role) for reason, role in rows]


# --- a case without activity ------------------------------------------------------------------------------------

def test_a_stale_case_tells_its_mediator_then_the_coordinator_and_activity_starts_it_again(runtime, actors,
                                                                                           make_case):
    reference = make_case(CaseState.ASSESSMENT)
    case_id = case_id_of(runtime, actors, reference)
    [stale] = timers(runtime, TimerKind.CASE_STALE)
    with runtime.transaction(read_only=True) as s:
        updated = aware(s.get(Case, case_id).updated_at)
    assert stale.case_id == case_id and aware(stale.due_at) == updated + 14 * DAY

    assert fire(runtime, 13 * DAY).total == 0
    assert fire(runtime, 15 * DAY).done == 1
    assert notices(runtime, NoticeKind.CASE_STALE) == [(actors.mediator.id, case_id)]
    assert len(timers(runtime, TimerKind.CASE_STALE_ESCALATION)) == 1
    assert fire(runtime, 15 * DAY).total == 0  # told once
    assert fire(runtime, 23 * DAY).done == 1
    assert notices(runtime, NoticeKind.CASE_STALE_ESCALATION) == [(actors.admin.id, case_id)]
    assert notices(runtime, NoticeKind.CASE_STALE) == [(actors.mediator.id, case_id)]

    with runtime.transaction() as s:  # activity: a new stale timer, from now
        workflow.fire(s, actors.mediator, reference, "pause", reason="participant_request")
    assert len(timers(runtime, TimerKind.CASE_STALE)) == 1


def test_the_escalation_is_cancelled_by_activity(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    fire(runtime, 15 * DAY)
    assert len(timers(runtime, TimerKind.CASE_STALE_ESCALATION)) == 1
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "pause", reason="participant_request")
    assert timers(runtime, TimerKind.CASE_STALE_ESCALATION) == []
    assert [t.outcome for t in timers(runtime, TimerKind.CASE_STALE_ESCALATION, TimerState.CANCELLED)] == [
        "cancelled"]


def test_a_stale_timer_whose_case_moved_on_is_a_no_op_audited_as_the_system(runtime, actors, make_case):
    make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as s:  # the timer came due while the case had activity (a race with the worker)
        s.execute(update(Timer).values(due_at=utcnow() - DAY))
    report = runner.fire_due(runtime, limit=10)
    assert (report.moot, report.done) == (1, 0)
    assert notices(runtime, NoticeKind.CASE_STALE) == []
    assert moot_reasons(runtime) == [("activity_since", "system")]
    [again] = timers(runtime, TimerKind.CASE_STALE)  # armed again for the stale period from the last activity
    assert aware(again.due_at) > utcnow() + 13 * DAY
    with runtime.transaction(read_only=True) as s:
        assert verify_audit_log(s).intact


def test_a_rolled_back_change_leaves_no_timer(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction(read_only=True) as s:
        harmed = find_case(s, actors.mediator, reference).participants[0].id

    def assess_then_fail() -> None:
        with runtime.transaction() as s:
            safety.record_assessment(s, runtime.vault, actors.mediator, reference, participant_id=harmed,
                                     outcome="cleared")
            raise RuntimeError("the request failed after the service")

    with pytest.raises(RuntimeError):
        assess_then_fail()
    assert timers(runtime, TimerKind.REASSESSMENT_DUE, state=None) == []


# --- messages, assessments, activities, agreement items, invitations ------------------------------------------

def test_a_message_waiting_for_review_tells_the_mediator_once_and_a_review_cancels_it(runtime, actors, make_case):
    relay = link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    waiting, reviewed = relay.submit(actors.harmed_user), relay.submit(actors.harmed_user, "Another few words.")
    assert {t.subject_key for t in timers(runtime, TimerKind.REVIEW_WAITING)} == {waiting, reviewed}
    relay.review(reviewed, "approve")
    [left] = timers(runtime, TimerKind.REVIEW_WAITING)
    assert left.subject_key == waiting
    assert fire(runtime, 2 * DAY).total == 0
    assert fire(runtime, 4 * DAY).done == 1
    case_id = case_id_of(runtime, actors, relay.reference)
    assert notices(runtime, NoticeKind.REVIEW_WAITING) == [(actors.mediator.id, case_id)]
    fire(runtime, 30 * DAY)  # told once per message, however long it waits
    assert notices(runtime, NoticeKind.REVIEW_WAITING) == [(actors.mediator.id, case_id)]


def test_a_reassessment_is_due_after_the_last_assessment(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction(read_only=True) as s:
        harmed = find_case(s, actors.mediator, reference).participants[0].id

    def assess() -> None:
        with runtime.transaction() as s:
            safety.record_assessment(s, runtime.vault, actors.mediator, reference, participant_id=harmed,
                                     outcome="cleared")

    assess()
    first = timers(runtime, TimerKind.REASSESSMENT_DUE)
    assess()
    [timer] = timers(runtime, TimerKind.REASSESSMENT_DUE)  # moved, not doubled
    assert timer.id == first[0].id and timer.subject_id == harmed
    assert aware(timer.due_at) > utcnow() + 89 * DAY
    assert fire(runtime, 91 * DAY).done >= 1
    assert notices(runtime, NoticeKind.REASSESSMENT_DUE) == [(actors.mediator.id,
                                                              case_id_of(runtime, actors, reference))]


def test_a_planned_activity_is_reminded_the_day_before_and_cancelling_it_cancels_the_reminder(runtime, actors,
                                                                                              make_case):
    reference = make_case(CaseState.PREPARATION)

    def plan(days: int) -> str:
        with runtime.transaction() as s:
            return activities.plan_activity(s, runtime.vault, actors.mediator, reference, kind="call", duration=30,
                                            **later(days)).id

    kept, dropped = plan(3), plan(5)
    with runtime.transaction() as s:
        activities.cancel(s, actors.mediator, reference, dropped)
    [timer] = timers(runtime, TimerKind.ACTIVITY_DUE)
    assert timer.subject_key == kept
    assert fire(runtime, DAY).total == 0
    assert fire(runtime, 3 * DAY).done == 1
    assert notices(runtime, NoticeKind.ACTIVITY_DUE) == [(actors.mediator.id, case_id_of(runtime, actors, reference))]


def test_an_agreement_item_is_reminded_before_its_due_date_unless_followed_up(runtime, actors, make_case):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    dialogue.agreement()
    done, open_item = dialogue.item(), dialogue.item("Repaint the fence.")
    dialogue.sealed(agreements.follow_up, item_id=done, status="completed", note="")
    [timer] = timers(runtime, TimerKind.AGREEMENT_ITEM_DUE)
    assert timer.subject_key == open_item
    fire(runtime, 12 * DAY)
    assert notices(runtime, NoticeKind.AGREEMENT_ITEM_DUE) == []
    fire(runtime, 14 * DAY)
    assert notices(runtime, NoticeKind.AGREEMENT_ITEM_DUE) == [(actors.mediator.id, timer.case_id)]


def test_an_invitation_expiring_unused_is_audited_and_a_replaced_one_is_cancelled(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction(read_only=True) as s:
        harmed = find_case(s, actors.mediator, reference).participants[0].id

    def invite() -> None:
        with runtime.transaction() as s:
            invitations.invite_participant(s, actors.mediator, reference, participant_id=harmed, hours=24)

    invite()
    invite()
    assert [t.outcome for t in timers(runtime, TimerKind.INVITATION_EXPIRES, TimerState.CANCELLED)] == ["cancelled"]
    [pending] = timers(runtime, TimerKind.INVITATION_EXPIRES)
    assert fire(runtime, 2 * DAY).done >= 1
    with runtime.transaction(read_only=True) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.INVITATION_EXPIRED.value)).one()
        assert (entry.actor_role, entry.case_id) == ("system", pending.case_id)
        assert f'"invitation_id":{pending.subject_id}' in entry.details


# --- closing, retention, checkpoints, failures ------------------------------------------------------------------

def test_closing_cancels_every_reminder_and_retention_ends_in_a_purge_by_the_worker(runtime, actors, make_case):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    case_id = case_id_of(runtime, actors, dialogue.reference)
    assert timers(runtime, TimerKind.CASE_STALE)
    dialogue.close()
    with runtime.transaction(read_only=True) as s:
        left = list(s.scalars(select(Timer.kind).where(Timer.case_id == case_id,
                                                       Timer.state == TimerState.PENDING.value)))
    assert left == [TimerKind.RETENTION_ENDS.value]
    retention = runtime.settings.retention_days
    assert fire(runtime, (retention - 1) * DAY).total == 0
    assert fire(runtime, (retention + 1) * DAY).done == 1
    with runtime.transaction(read_only=True) as s:
        assert s.get(CaseKey, case_id).destroyed_at is not None
        destroyed = s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.DATA_KEY_DESTROYED.value)).one()
        assert (destroyed.case_id, destroyed.actor_role) == (case_id, "system")
        assert verify_audit_log(s).intact


def test_a_withdrawal_closes_the_case_and_reopening_cancels_the_retention_timer(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction(read_only=True) as s:
        harmed = find_case(s, actors.mediator, reference).participants[0].id
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "withdraw", reason="participant_choice", participant_id=harmed,
                      confirmed=True)
    assert len(timers(runtime, TimerKind.RETENTION_ENDS)) == 1
    assert timers(runtime, TimerKind.CASE_STALE) == []
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "reopen", participant_id=harmed)
    assert timers(runtime, TimerKind.RETENTION_ENDS) == []
    assert len(timers(runtime, TimerKind.CASE_STALE)) == 1


@pytest.fixture
def checkpointing(environment, tmp_path):
    folder = tmp_path / "offsite"
    settings = load_settings({**environment, "MEDIATION_AUDIT_CHECKPOINT_DIR": str(folder)}, cwd=tmp_path)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    yield runtime, folder
    runtime.close()


def test_the_worker_writes_a_signed_checkpoint_that_verifies_and_keeps_one_pending(checkpointing, make_case):
    runtime, folder = checkpointing
    make_case(CaseState.ASSESSMENT)
    Worker(runtime).drain()
    [written] = list(folder.glob("audit-checkpoint-*.json"))
    key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
    heads = read_checkpoint(json.loads(written.read_text()), key.public_key())
    with runtime.transaction(read_only=True) as s:
        assert verify_audit_log(s, heads).intact
    [following] = timers(runtime, TimerKind.AUDIT_CHECKPOINT)
    assert aware(following.due_at) > utcnow() + timedelta(hours=23)
    Worker(runtime).drain()  # nothing new is due: still one file, one pending timer
    assert len(list(folder.glob("audit-checkpoint-*.json"))) == 1
    assert len(timers(runtime, TimerKind.AUDIT_CHECKPOINT)) == 1


def test_workers_starting_together_arm_one_checkpoint_and_one_digest(checkpointing):
    runtime, _ = checkpointing
    start = threading.Barrier(4)

    def arrange() -> None:
        start.wait()
        runner.arrange_recurring(runtime)

    threads = [threading.Thread(target=arrange) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(timers(runtime, TimerKind.AUDIT_CHECKPOINT)) == 1
    assert len(timers(runtime, TimerKind.MEDIATOR_DIGEST)) == 1


def test_production_refuses_a_checkpoint_folder_inside_the_instance(tmp_path: Path):
    env = {"MEDIATION_ENV": "production", "MEDIATION_INSTANCE_DIR": str(tmp_path / "instance"),
           "MEDIATION_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "secrets" / "audit.key")}
    with pytest.raises(SettingsError, match="MEDIATION_AUDIT_CHECKPOINT_DIR must not be inside the instance"):
        load_settings({**env, "MEDIATION_AUDIT_CHECKPOINT_DIR": str(tmp_path / "instance" / "checkpoints")})
    elsewhere = load_settings({**env, "MEDIATION_AUDIT_CHECKPOINT_DIR": str(tmp_path / "offsite")})
    assert elsewhere.timing.checkpoint_dir == tmp_path / "offsite"


def test_a_timer_that_fails_for_good_is_told_to_the_coordinators(runtime, actors, make_case, monkeypatch):
    reference = make_case(CaseState.ASSESSMENT)

    def broken(session, timer, firing):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(registry._HANDLERS, TimerKind.CASE_STALE.value, broken)
    moment = utcnow() + 15 * DAY
    for _ in range(runner.MAX_ATTEMPTS):
        runner.fire_due(runtime, limit=10, now=moment)
        moment += timedelta(hours=7)
    assert [t.state for t in timers(runtime, TimerKind.CASE_STALE, state=None)] == [TimerState.FAILED]
    assert notices(runtime, NoticeKind.TIMER_FAILED) == [(actors.admin.id, case_id_of(runtime, actors, reference))]


def test_the_demo_has_overdue_and_upcoming_reminders_and_the_worker_turns_the_overdue_into_notices(runtime):
    assert load_demo(runtime)
    with runtime.transaction(read_only=True) as s:
        ada = s.scalars(select(User).where(User.username == "mediator.ada")).one()
        admin = s.scalars(select(User).where(User.username == "coordinator")).one()
        overdue = timer_views.my_reminders(s, ada, ListQuery(size=50), "overdue")
        upcoming = timer_views.my_reminders(s, ada, ListQuery(size=50), "upcoming")
        failed = timer_views.all_timers(s, admin, ListQuery(size=50), "failed")
    assert {row.kind for row in overdue.items} >= {TimerKind.CASE_STALE.value}
    assert len(upcoming.items) > 3
    assert [row.kind for row in failed.items] == [TimerKind.AUDIT_CHECKPOINT.value]
    Worker(runtime).drain()
    with runtime.transaction(read_only=True) as s:
        assert timer_views.my_reminders(s, ada, ListQuery(size=50), "overdue").items == []
        told = {n.kind for n in notices_service.my_notices(s, ada)}
    assert NoticeKind.CASE_STALE.value in told


def test_many_notices_show_the_newest_and_dismissing_brings_older_ones_up(runtime, actors, make_case):
    case_id = case_id_of(runtime, actors, make_case(CaseState.ASSESSMENT))
    with runtime.transaction() as s:
        for _ in range(notices_service.NOTICES_SHOWN + 5):
            notices_service.tell(s, actors.admin.id, NoticeKind.CASE_STALE_ESCALATION, case_id, utcnow())
    with runtime.transaction(read_only=True) as s:
        shown = notices_service.my_notices(s, actors.admin)
    assert len(shown) == notices_service.NOTICES_SHOWN
    assert [n.id for n in shown] == sorted((n.id for n in shown), reverse=True)
    with runtime.transaction() as s:
        notices_service.dismiss(s, actors.admin, shown[0].id)
    with runtime.transaction(read_only=True) as s:
        again = notices_service.my_notices(s, actors.admin)
    assert shown[0].id not in {n.id for n in again} and len(again) == notices_service.NOTICES_SHOWN
    assert min(n.id for n in again) < min(n.id for n in shown)


def test_mediation_purge_cancels_the_retention_timer_it_made_moot(runtime, actors, make_case):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    dialogue.close()
    with runtime.transaction() as s:
        purged = keys.purge_expired(s, runtime.vault, retention_days=1, now=utcnow() + 2 * DAY)
    assert purged.cases == [dialogue.reference]
    assert timers(runtime, TimerKind.RETENTION_ENDS) == []
    assert fire(runtime, (runtime.settings.retention_days + 1) * DAY).total == 0


def test_cases_older_than_the_timers_get_theirs_once(runtime, actors, make_case):
    open_reference = make_case(CaseState.ASSESSMENT)
    closed = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    closed.close()
    with runtime.transaction() as s:  # as before migration 0023: no timer at all
        s.execute(delete(Timer))
    with runtime.transaction() as s:
        assert reminders_upkeep.arm_missing(s, runtime.settings, utcnow(), limit=10) == 2
    with runtime.transaction() as s:
        assert reminders_upkeep.arm_missing(s, runtime.settings, utcnow(), limit=10) == 0  # never twice
    [stale] = timers(runtime, TimerKind.CASE_STALE)
    [retention] = timers(runtime, TimerKind.RETENTION_ENDS)
    assert stale.case_id == case_id_of(runtime, actors, open_reference)
    assert retention.case_id == case_id_of(runtime, actors, closed.reference)
    fire(runtime, 30 * DAY)  # the stale one fired (its mediator told): it is not armed again until activity
    with runtime.transaction() as s:
        assert reminders_upkeep.arm_missing(s, runtime.settings, utcnow(), limit=10) == 0


def snapshot(runtime) -> list[tuple]:
    with runtime.transaction(read_only=True) as s:
        return [tuple(row) for row in s.execute(select(Timer.id, Timer.kind, Timer.state, Timer.due_at)
                                                .order_by(Timer.id))]


def test_every_change_that_arms_or_moves_a_timer_leaves_none_when_rolled_back(runtime, actors, make_case):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    dialogue.agreement()
    closing = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    vault, mediator = runtime.vault, actors.mediator
    soon = later(3)
    changes = {
        "a message submitted": lambda s: messages.submit_message(s, vault, actors.harmed_user, dialogue.reference,
                                                                 text="A few words."),
        "a safety assessment": lambda s: safety.record_assessment(s, vault, mediator, dialogue.reference,
                                                                  participant_id=dialogue.harmed_id,
                                                                  outcome="cleared"),
        "an activity planned": lambda s: activities.plan_activity(s, vault, mediator, dialogue.reference,
                                                                  kind="call", duration=30, **soon),
        "an agreement item": lambda s: agreements.add_item(s, vault, mediator, dialogue.reference, kind="apology",
                                                           responsible=str(dialogue.offender_id), what="Write.",
                                                           due_on=utcnow().date() + 14 * DAY),
        "a case closed (retention armed)": lambda s: closure.close_case(s, vault, mediator, closing.reference,
                                                                        summary="Done.", reason="dialogue_completed"),
        "a step (stale-case timer moved)": lambda s: workflow.fire(s, mediator, dialogue.reference, "pause",
                                                                   reason="participant_request"),
    }
    for name, change in changes.items():
        before = snapshot(runtime)

        def change_then_fail(change=change) -> None:
            with runtime.transaction() as s:
                change(s)
                raise RuntimeError("the request failed after the service")

        with pytest.raises(RuntimeError):
            change_then_fail()
        assert snapshot(runtime) == before, name
    for name, change in changes.items():  # the same changes committed do arm or move one
        before = snapshot(runtime)
        with runtime.transaction() as s:
            change(s)
        assert snapshot(runtime) != before, name
