"""The resocialisation training programme through its services, on SQLite and PostgreSQL: enrolment on a track,
the phases, sessions and what counts as a full one, the completion rule at its boundaries (naming what is
missing), the sealed plan and notes, voluntary continuation, withdrawal and ending, the certificate for the
referring officer, and every bad input refused with a clear message before anything is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Case, Enrolment, PhaseNote, TrainingSession
from mediation.services import training, training_sessions, training_views
from mediation.services.listing import ListQuery
from tests.integration.training_world import (
    YESTERDAY,
    attend,
    enrol,
    grant_training_roles,
    move,
    record_plan,
)
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed, UnknownTrack

PHASES = ("begin_anamnesis", "begin_focus", "begin_evaluation")
PAGE = ListQuery(size=20)


@pytest.fixture
def people(runtime, actors):
    return grant_training_roles(runtime, actors)


def tags(runtime, reference: str) -> list[str]:
    with runtime.transaction() as s:
        case_id = s.scalar(select(Case.id).where(Case.reference == reference))
        return list(s.scalars(select(AuditEntry.tag).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)))


def complete(runtime, people, reference: str) -> str:
    return move(runtime, people, reference, "complete")


def refusal(runtime, people, reference: str) -> str:
    with pytest.raises(GuardNotMet) as refused:
        complete(runtime, people, reference)
    return str(refused.value)


def test_an_adult_goes_through_the_phases_to_completion_and_continues_voluntarily(runtime, people):
    reference = enrol(runtime, people)
    assert reference.startswith("RT-")
    assert move(runtime, people, reference, *PHASES) == "evaluation"
    attend(runtime, people, reference, *[120] * 15)
    record_plan(runtime, people, reference)
    assert complete(runtime, people, reference) == "completed"
    assert move(runtime, people, reference, "continue_voluntarily") == "continuing"
    attend(runtime, people, reference, 60)  # sessions go on while continuing
    assert move(runtime, people, reference, "end", reason="voluntary_support_finished") == "ended"
    with runtime.transaction() as s:
        case = s.scalar(select(Case).where(Case.reference == reference))
        assert (case.outcome, case.closed_at is not None) == ("completed", True)  # completing stays completed
    assert tags(runtime, reference) == [
        AuditTag.CLIENT_ENROLLED, AuditTag.CLIENT_WORKER_ASSIGNED, AuditTag.CLIENT_BEGIN_ANAMNESIS,
        AuditTag.CLIENT_BEGIN_FOCUS, AuditTag.CLIENT_BEGIN_EVALUATION,
        *[AuditTag.CLIENT_SESSION_RECORDED] * 15, AuditTag.TRAINING_PLAN_RECORDED, AuditTag.CLIENT_COMPLETE,
        AuditTag.CLIENT_CONTINUE_VOLUNTARILY, AuditTag.CLIENT_SESSION_RECORDED, AuditTag.CLIENT_END]


def test_completion_needs_thirty_hours_for_adults_not_twenty_nine_point_nine(runtime, people):
    reference = enrol(runtime, people)
    move(runtime, people, reference, *PHASES)
    record_plan(runtime, people, reference)
    attend(runtime, people, reference, *[120] * 14, 114)  # 29.9 hours, the last session short
    said = refusal(runtime, people, reference)
    assert "0.1 more hours" in said and "one more full session" in said
    attend(runtime, people, reference, 6)  # 30 hours in all, but still 14 full sessions
    said = refusal(runtime, people, reference)
    assert "more hours" not in said and "one more full session" in said
    attend(runtime, people, reference, 120)
    assert complete(runtime, people, reference) == "completed"


def test_completion_needs_fifteen_full_sessions_for_adults_not_fourteen(runtime, people):
    reference = enrol(runtime, people)
    move(runtime, people, reference, *PHASES)
    record_plan(runtime, people, reference)
    attend(runtime, people, reference, *[130] * 14)  # 30.3 hours but 14 sessions
    assert "one more full session" in refusal(runtime, people, reference)
    attend(runtime, people, reference, 125, attended=False)  # a session the client missed counts for nothing
    assert "one more full session" in refusal(runtime, people, reference)
    attend(runtime, people, reference, 120)
    assert complete(runtime, people, reference) == "completed"


def test_a_minors_session_counts_as_full_from_two_and_a_half_hours(runtime, people):
    reference = enrol(runtime, people, track="minors")
    move(runtime, people, reference, *PHASES)
    record_plan(runtime, people, reference)
    attend(runtime, people, reference, *[150] * 13, 149)  # the last is a minute short of 2.5 hours
    said = refusal(runtime, people, reference)
    assert "one more full session" in said and "0.02 more hours" in said
    with runtime.transaction() as s:
        page = training_sessions.sessions_page(s, people.worker, reference, PAGE)
        assert (page.items[0].minutes, page.items[0].full, page.items[0].short) == (149, False, True)
        summary = training_views.client_summary(s, people.worker, reference)
        assert (summary.attendance.full_sessions, summary.attendance.short_sessions) == (13, 1)
        complete_action = next(a for a in summary.actions if a.trigger == "complete")
        assert not complete_action.ready and complete_action.waiting_for
    attend(runtime, people, reference, 150)
    assert complete(runtime, people, reference) == "completed"


def test_completion_without_an_individual_plan_is_refused_and_says_so(runtime, people):
    reference = enrol(runtime, people)
    move(runtime, people, reference, *PHASES)
    attend(runtime, people, reference, *[120] * 15)
    said = refusal(runtime, people, reference)
    assert "no individual plan" in said and "more hours" not in said
    with runtime.transaction() as s:
        assert s.scalar(select(Case.state).where(Case.reference == reference)) == "evaluation"


def test_phases_go_in_order_and_completion_only_from_the_evaluation(runtime, people):
    reference = enrol(runtime, people)
    with pytest.raises(TriggerNotAllowed):
        move(runtime, people, reference, "begin_focus")
    move(runtime, people, reference, "begin_anamnesis")
    with pytest.raises(TriggerNotAllowed):
        complete(runtime, people, reference)
    with pytest.raises(Forbidden):  # the client's withdrawal is theirs; a worker ends with a reason
        move(runtime, people, reference, "withdraw")
    with pytest.raises(InvalidArguments):
        move(runtime, people, reference, "end")
    with pytest.raises(InvalidArguments):
        move(runtime, people, reference, "end", reason="bored")
    assert move(runtime, people, reference, "end", reason="did_not_attend") == "ended"
    with runtime.transaction() as s:
        assert s.scalar(select(Case.outcome).where(Case.reference == reference)) == "not_completed"


def test_the_client_withdraws_and_nobody_else_can_withdraw_them(runtime, people):
    reference = enrol(runtime, people)
    move(runtime, people, reference, "begin_anamnesis")
    with runtime.transaction() as s, pytest.raises(NotFound):
        training.withdraw(s, people.other_client, reference)
    with runtime.transaction() as s, pytest.raises(Forbidden):
        training.withdraw(s, people.worker, reference)
    with runtime.transaction() as s:
        assert training.withdraw(s, people.client, reference) == "ended"
    with runtime.transaction() as s:
        assert s.scalar(select(Case.outcome).where(Case.reference == reference)) == "withdrawn"
        progress = training_views.my_progress(s, people.client)
        assert [(p.reference, p.can_withdraw) for p in progress] == [(reference, False)]


def test_sessions_are_refused_in_the_future_with_a_bad_duration_or_before_the_programme_begins(runtime, people):
    reference = enrol(runtime, people)

    def record(**changes):
        form = {"held_on": YESTERDAY.isoformat(), "minutes": "120", "attended": True, **changes}
        with runtime.transaction() as s:
            training_sessions.record_session(s, people.worker, reference, **form)

    with pytest.raises(WrongState):
        record()
    move(runtime, people, reference, "begin_anamnesis")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for bad, error, words in (({"minutes": "-30"}, InvalidArguments, "more than 0 minutes"),
                              ({"minutes": "0"}, InvalidArguments, "more than 0 minutes"),
                              ({"minutes": "1441"}, InvalidArguments, "at most a day"),
                              ({"minutes": "2.5"}, InvalidInput, "whole number of minutes"),
                              ({"minutes": "abc"}, InvalidInput, "whole number of minutes"),
                              ({"minutes": "\uff11\uff12\uff10"}, InvalidInput, "whole number of minutes"),
                              ({"held_on": tomorrow}, InvalidArguments, "has not happened yet"),
                              ({"held_on": "2026-02-30"}, InvalidInput, "not a date in the calendar"),
                              ({"held_on": "yesterday"}, InvalidInput, "year-month-day")):
        with pytest.raises(error) as refused:
            record(**bad)
        assert words in str(refused.value), bad
    record()
    with runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(TrainingSession)) == 1


def test_enrolment_refuses_an_unknown_track_client_worker_or_a_measure_without_officer(runtime, people, actors):
    def enrol_with(**changes):
        form = {"client_username": people.client.username, "track_code": "adults", "worker_id": people.worker.id,
                "officer_id": people.officer.id, "alternative_measure": True, **changes}
        with runtime.transaction() as s:
            training.enrol(s, people.coordinator, **form)

    for bad, error, words in (({"track_code": "seniors"}, UnknownTrack, "not a track"),
                              ({"client_username": "nobody"}, InvalidInput, "not an active participant"),
                              ({"client_username": actors.mediator.username}, InvalidInput, "participant"),
                              ({"client_username": ""}, InvalidInput, "cannot be empty"),
                              ({"worker_id": people.officer.id}, InvalidInput, "activation worker"),
                              ({"officer_id": people.worker.id}, InvalidInput, "referring officer"),
                              ({"officer_id": None}, InvalidInput, "alternative measure")):
        with pytest.raises(error) as refused:
            enrol_with(**bad)
        assert words in str(refused.value), bad
    with runtime.transaction() as s:  # nothing half-written
        assert s.scalar(select(func.count()).select_from(Case).where(Case.programme == "resocialisation")) == 0
    enrol_with()
    with pytest.raises(InvalidInput, match="already enrolled"):
        enrol_with()
    with runtime.transaction() as s, pytest.raises(Forbidden):
        training.enrol(s, people.worker, client_username=people.other_client.username, track_code="adults")


def test_each_role_reaches_only_its_own_clients(runtime, people):
    reference = enrol(runtime, people)
    with runtime.transaction() as s:
        with pytest.raises(NotFound):  # another worker's client is not found, like a missing one
            training_views.client_summary(s, people.other_worker, reference)
        with pytest.raises(NotFound):
            training_sessions.sessions_page(s, people.other_worker, reference, PAGE)
        with pytest.raises(Forbidden):  # the coordinator sees the client, not their content
            training.open_plan(s, runtime.vault, people.coordinator, reference)
        with pytest.raises(Forbidden):
            training_views.client_summary(s, people.officer, reference)
        with pytest.raises(NotFound):
            training_views.progress_of(s, people.other_client, reference)
        with pytest.raises(NotFound):  # a mediation reference is not a client of the programme
            training_views.client_summary(s, people.worker, "RO-2026-00001")
        assert [r.reference for r in training_views.clients_page(s, people.worker, PAGE).items] == [reference]
        assert training_views.clients_page(s, people.other_worker, PAGE).items == []
        assert [r.reference for r in training_views.clients_page(s, people.coordinator, PAGE).items] == [reference]
        coordinator_view = training_views.client_summary(s, people.coordinator, reference)
        assert not coordinator_view.is_worker and coordinator_view.actions == ()
        assert [(r.reference, r.status, r.certificate)
                for r in training_views.referrals_page(s, people.officer, PAGE).items] == \
            [(reference, "acknowledged", False)]
        assert training_views.referrals_page(s, people.other_officer, PAGE).items == []


def test_the_coordinator_reassigns_the_worker(runtime, people):
    reference = enrol(runtime, people)
    with runtime.transaction() as s:
        with pytest.raises(InvalidInput):
            training.assign_worker(s, people.coordinator, reference, people.officer.id)
        training.assign_worker(s, people.coordinator, reference, people.other_worker.id)
    with runtime.transaction() as s:
        assert training_views.client_summary(s, people.other_worker, reference).is_worker
        with pytest.raises(NotFound):
            training_views.client_summary(s, people.worker, reference)


def test_the_plan_and_phase_notes_are_sealed_and_opened_only_for_the_worker_with_an_audit(runtime, people):
    reference = enrol(runtime, people)
    with runtime.transaction() as s, pytest.raises(WrongState):  # notes belong to a phase
        training_sessions.add_phase_note(s, runtime.vault, people.worker, reference, text="Too early.")
    move(runtime, people, reference, "begin_anamnesis")
    with runtime.transaction() as s:
        training_sessions.add_phase_note(s, runtime.vault, people.worker, reference, text="Grew up in Leeds.")
        with pytest.raises(InvalidInput):
            training_sessions.add_phase_note(s, runtime.vault, people.worker, reference, text="   ")
    move(runtime, people, reference, "begin_focus")
    record_plan(runtime, people, reference, "Find a flat; repay the loan.")
    with runtime.transaction() as s:
        training_sessions.add_phase_note(s, runtime.vault, people.worker, reference, text="Debts are the focus.")
        sealed = [n.sealed_text for n in s.scalars(select(PhaseNote))]
        plan = s.scalar(select(Enrolment.sealed_plan))
    assert all(b"Leeds" not in blob and b"Debts" not in blob for blob in sealed) and b"flat" not in plan
    with runtime.transaction() as s:
        notes = training_sessions.notes_page(s, runtime.vault, people.worker, reference, PAGE)
        assert [(n.phase, n.text) for n in notes.items] == [("focus", "Debts are the focus."),
                                                            ("anamnesis", "Grew up in Leeds.")]
        assert training.open_plan(s, runtime.vault, people.worker, reference) == "Find a flat; repay the loan."
    assert AuditTag.TRAINING_NOTES_DECRYPTED in tags(runtime, reference)
    assert AuditTag.TRAINING_PLAN_DECRYPTED in tags(runtime, reference)


def test_the_certificate_says_completed_hours_and_dates_for_the_referring_officer_only(runtime, people):
    reference = enrol(runtime, people, track="minors")
    move(runtime, people, reference, *PHASES)
    attend(runtime, people, reference, *[150] * 14)
    with runtime.transaction() as s, pytest.raises(WrongState):  # not before the programme is settled
        training.issue_certificate(s, people.worker, reference)
    record_plan(runtime, people, reference)
    complete(runtime, people, reference)
    with runtime.transaction() as s, pytest.raises(NotFound):  # nothing to see before it is issued
        training_views.certificate(s, people.officer, reference)
    with runtime.transaction() as s:
        training.issue_certificate(s, people.worker, reference)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="already issued"):
        training.issue_certificate(s, people.worker, reference)
    move(runtime, people, reference, "continue_voluntarily")
    attend(runtime, people, reference, 150)  # later voluntary sessions do not change the certificate
    with runtime.transaction() as s:
        shown = training_views.certificate(s, people.officer, reference)
        assert (shown.completed, shown.hours, shown.enrolled_on) == (True, "35", date.today())
        assert training_views.referrals_page(s, people.officer, PAGE).items[0].certificate
        with pytest.raises(NotFound):
            training_views.certificate(s, people.other_officer, reference)
        with pytest.raises(Forbidden):
            training_views.certificate(s, people.client, reference)
    assert AuditTag.CLIENT_CERTIFICATE_VIEWED in tags(runtime, reference)


def test_a_certificate_says_not_completed_when_the_programme_ended_without(runtime, people):
    reference = enrol(runtime, people)
    move(runtime, people, reference, "begin_anamnesis")
    attend(runtime, people, reference, 120, 90)
    move(runtime, people, reference, "end", reason="measure_revoked")
    with runtime.transaction() as s:
        training.issue_certificate(s, people.worker, reference)
    with runtime.transaction() as s:
        shown = training_views.certificate(s, people.officer, reference)
        assert (shown.completed, shown.hours) == (False, "3.5")


def test_no_certificate_without_an_alternative_measure(runtime, people):
    reference = enrol(runtime, people, alternative_measure=False, officer=False)
    move(runtime, people, reference, "begin_anamnesis")
    move(runtime, people, reference, "end", reason="moved_away")
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="alternative measure"):
        training.issue_certificate(s, people.worker, reference)


def test_the_client_sees_their_progress_in_plain_numbers(runtime, people):
    reference = enrol(runtime, people)
    move(runtime, people, reference, "begin_anamnesis", "begin_focus")
    attend(runtime, people, reference, 120, 100)
    with runtime.transaction() as s:
        progress = training_views.progress_of(s, people.client, reference)
    assert (progress.attendance.full_sessions, progress.attendance.short_sessions, str(progress.attendance.hours)) \
        == (1, 1, "3.67")
    assert [(step.words.text, step.current) for step in progress.steps] == [
        ("Enrolled", False), ("Getting to know you", False), ("Working on your goals", True),
        ("Looking back together", False), ("Completed", False)]
    assert progress.can_withdraw


def test_a_purged_enrolment_anonymises_a_client_in_no_other_case_and_keeps_one_still_enrolled(runtime, people):
    from mediation.models import User
    from mediation.services import keys

    first = enrol(runtime, people)
    record_plan(runtime, people, first)  # sealed content: the enrolment has a data key to destroy
    move(runtime, people, first, "end", reason="moved_away")
    second = enrol(runtime, people)  # enrolled again: the first one is over, this one is live
    record_plan(runtime, people, second)
    later = utcnow() + timedelta(days=runtime.settings.retention_days + 1)
    with runtime.transaction() as s:
        purged = keys.purge_expired(s, runtime.vault, retention_days=runtime.settings.retention_days, now=later)
    assert (purged.cases, purged.accounts_anonymised, purged.accounts_kept) == ([first], 0, 1)
    with runtime.transaction() as s:
        assert s.get(User, people.client.id).username == people.client.username  # still theirs, in the second
    move(runtime, people, second, "end", reason="moved_away")
    with runtime.transaction() as s:
        purged = keys.purge_expired(s, runtime.vault, retention_days=runtime.settings.retention_days,
                                    now=later + timedelta(days=1))
    assert (purged.cases, purged.accounts_anonymised) == ([second], 1)
    with runtime.transaction() as s:
        client = s.get(User, people.client.id)
        assert client.username.startswith("purged-") and not client.is_active
