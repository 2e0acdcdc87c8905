"""The services that open, assess and move a case, as the people using them see their effects."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from mediation.demo import DEMO_REFERRAL, DEMO_REQUEST
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Case, CaseReferenceCounter, HeldRequest, Origin
from mediation.services import assignment, intake, participants, safety, sentences, workflow
from mediation.services.listing import ListQuery
from mediation.services.lookup import find_case
from workflows.errors import GuardNotMet, InvalidArguments, InvalidSentence, TriggerNotAllowed, UnknownWorkflowVersion
from workflows.vocabulary import CaseState, Modality


def _case(runtime, actor, reference) -> Case:
    with runtime.transaction() as session:
        case = find_case(session, actor, reference)
        _ = case.participants, case.sentence
        return case


def _entries(runtime, reference) -> list[AuditEntry]:
    with runtime.transaction() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == reference))
        return list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.seq)))


def _count(runtime, column) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count(column))) or 0


def _numbers_taken(runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.coalesce(func.sum(CaseReferenceCounter.last_number), 0))) or 0


def test_a_harmed_persons_request_is_held_without_a_case_or_a_reference(runtime):
    with runtime.transaction() as session:
        held = intake.submit_harmed_party_request(session, runtime.vault, "victim_family", DEMO_REQUEST)
    assert re.fullmatch(r"HR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", held.receipt_code)
    with runtime.transaction() as session:
        row = session.get(HeldRequest, held.id)
        assert row is not None and (row.status, row.case_id) == ("pending", None)
    assert (_count(runtime, Case.id), _numbers_taken(runtime), _count(runtime, AuditEntry.id)) == (0, 0, 0)


def test_accepting_a_held_request_opens_exactly_one_case_with_the_next_reference(runtime, actors):
    with runtime.transaction() as session:
        held = intake.submit_harmed_party_request(session, runtime.vault, "victim_family", DEMO_REQUEST)
    with runtime.transaction() as session:
        case = intake.accept_held_request(session, runtime.vault, actors.admin, held.id)
    assert re.fullmatch(r"RO-\d{4}-00001", case.reference)
    assert case.state == CaseState.REQUESTED and case.origin == Origin.HARMED_PARTY_REQUEST
    assert [p.relationship_to_case for p in case.participants] == ["victim_family"]
    received, accepted, recorded = sorted(_entries(runtime, case.reference), key=lambda entry: entry.id)
    assert (received.tag, received.actor_id, received.actor_role) == ("case:request:received", None, "public")
    assert (accepted.tag, accepted.actor_id) == ("case:request:accepted", actors.admin.id)
    assert (recorded.tag, recorded.actor_id) == ("content:intake:recorded", actors.admin.id)  # ids only
    with pytest.raises(Conflict, match="already accepted"), runtime.transaction() as session:
        intake.accept_held_request(session, runtime.vault, actors.admin, held.id)
    assert (_count(runtime, Case.id), _numbers_taken(runtime)) == (1, 1)


def test_dismissing_a_held_request_opens_nothing_and_only_the_coordinator_decides(runtime, actors):
    with runtime.transaction() as session:
        spam = intake.submit_harmed_party_request(session, runtime.vault, "victim", DEMO_REQUEST)
    for outsider in (actors.mediator, actors.staff, actors.harmed_user):
        with pytest.raises(Forbidden), runtime.transaction() as session:
            intake.accept_held_request(session, runtime.vault, outsider, spam.id)
        with pytest.raises(Forbidden), runtime.transaction() as session:
            intake.dismiss_held_request(session, outsider, spam.id)
        with pytest.raises(Forbidden), runtime.transaction() as session:
            intake.pending_requests(session, outsider, ListQuery(size=10))
    with runtime.transaction() as session:
        [pending] = intake.pending_requests(session, actors.admin, ListQuery(size=10)).items
        assert (pending.id, pending.receipt_code) == (spam.id, spam.receipt_code)
    with runtime.transaction() as session:
        intake.dismiss_held_request(session, actors.admin, spam.id)
    with pytest.raises(Conflict, match="already dismissed"), runtime.transaction() as session:
        intake.accept_held_request(session, runtime.vault, actors.admin, spam.id)
    with pytest.raises(NotFound), runtime.transaction() as session:
        intake.dismiss_held_request(session, actors.admin, spam.id + 1000)
    with runtime.transaction() as session:
        assert intake.pending_requests(session, actors.admin, ListQuery(size=10)).items == []
    assert (_count(runtime, Case.id), _numbers_taken(runtime)) == (0, 0)


def test_references_count_up_within_the_year_and_only_for_accepted_requests(runtime, actors):
    with runtime.transaction() as session:
        first, spam, second = (intake.submit_harmed_party_request(session, runtime.vault, "victim", DEMO_REQUEST)
                               for _ in range(3))
    with runtime.transaction() as session:
        intake.dismiss_held_request(session, actors.admin, spam.id)
    with runtime.transaction() as session:
        one = intake.accept_held_request(session, runtime.vault, actors.admin, first.id).reference
    with runtime.transaction() as session:
        two = intake.accept_held_request(session, runtime.vault, actors.admin, second.id).reference
    assert int(two[-5:]) == int(one[-5:]) + 1


@pytest.mark.parametrize("relationship", ["offender", "neighbour", ""])
def test_intake_refuses_a_relationship_that_cannot_ask(runtime, relationship):
    with pytest.raises(InvalidInput, match="how you are connected"), runtime.transaction() as session:
        intake.submit_harmed_party_request(session, runtime.vault, relationship, DEMO_REQUEST)


def test_staff_forward_an_offenders_request_only_with_the_statement_of_willingness(runtime, actors):
    with pytest.raises(InvalidInput, match="willing to take responsibility"), runtime.transaction() as session:
        intake.forward_offender_request(session, runtime.vault, actors.staff, willing_to_take_responsibility=False,
                                        referral=DEMO_REFERRAL)
    with runtime.transaction() as session:
        case = intake.forward_offender_request(session, runtime.vault, actors.staff,
                                               willing_to_take_responsibility=True, referral=DEMO_REFERRAL,
                                               sentence={"kind": "fixed", "years": 4})
    assert case.origin == Origin.OFFENDER_REQUEST
    assert [p.willing_to_take_responsibility for p in case.participants] == [True]
    assert case.sentence is not None and case.sentence.eligible


def test_only_staff_may_forward_an_offenders_request(runtime, actors):
    with pytest.raises(Forbidden), runtime.transaction() as session:
        intake.forward_offender_request(session, runtime.vault, actors.mediator, willing_to_take_responsibility=True,
                                        referral=DEMO_REFERRAL)


def test_referring_staff_see_received_then_acknowledged_and_nothing_more(runtime, actors, make_case):
    reference = make_case(origin=Origin.OFFENDER_REQUEST, steps=[("unassigned", None)])
    with runtime.transaction() as session:
        [status] = intake.list_referrals(session, actors.staff, ListQuery(size=10)).items
    assert (status.reference, status.status) == (reference, "received")
    with runtime.transaction() as session:
        assignment.assign_mediator(session, actors.admin, reference, actors.mediator.id)
    with runtime.transaction() as session:
        [status] = intake.list_referrals(session, actors.staff, ListQuery(size=10)).items
        assert status.status == "acknowledged"
        assert set(vars(status)) == {"reference", "received_at", "status"}
        assert intake.list_referrals(session, actors.other_staff, ListQuery(size=10)).items == []


def test_a_sentence_of_two_years_or_more_passes_screening_with_its_explanation(runtime, actors, make_case):
    reference = make_case(steps=[])
    with runtime.transaction() as session:
        record = sentences.record_sentence(session, actors.mediator, reference, "fixed", years="2")
    assert record.eligible
    assert "2 years" in record.explanation and "at least two years" in record.explanation
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.mediator, reference, "screen")
    assert case.state == CaseState.ASSESSMENT


def test_a_short_sentence_closes_the_case_as_ineligible(runtime, actors, make_case):
    reference = make_case(steps=[("sentence", "1"), ("screen", None)])
    case = _case(runtime, actors.mediator, reference)
    assert (case.state, case.outcome) == (CaseState.CLOSED, "ineligible")
    assert case.closed_at is not None


def test_screening_without_sentence_data_says_so(runtime, actors, make_case):
    reference = make_case(steps=[])
    with pytest.raises(GuardNotMet, match="no sentence data"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "screen")
    assert _case(runtime, actors.mediator, reference).state == CaseState.REQUESTED


def test_invalid_sentence_data_is_refused_and_nothing_is_stored(runtime, actors, make_case):
    reference = make_case(steps=[])
    with pytest.raises(InvalidSentence) as error, runtime.transaction() as session:
        sentences.record_sentence(session, actors.mediator, reference, "fixed", years="-1", months="abc")
    assert set(error.value.problems) == {"years", "months"}
    assert _case(runtime, actors.mediator, reference).sentence is None


def test_sentence_data_cannot_change_after_screening(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with pytest.raises(WrongState, match="requested"), runtime.transaction() as session:
        sentences.record_sentence(session, actors.mediator, reference, "life")


def test_the_coordinator_overrides_eligibility_with_a_rationale_and_screening_follows_it(runtime, actors, make_case):
    reference = make_case(steps=[("sentence", "1")])
    with pytest.raises(InvalidInput, match="rationale"), runtime.transaction() as session:
        sentences.override_eligibility(session, runtime.vault, actors.admin, reference, eligible=True,
            rationale="   ")
    with pytest.raises(Forbidden), runtime.transaction() as session:
        sentences.override_eligibility(session, runtime.vault, actors.mediator, reference, eligible=True,
            rationale="the mediator cannot")
    with runtime.transaction() as session:
        record = sentences.override_eligibility(session, runtime.vault, actors.admin, reference, eligible=True,
            rationale="Warrant of committal shows consecutive sentences.")
    assert record.effective_eligible and not record.eligible and record.override_by_id == actors.admin.id
    with runtime.transaction() as session:
        assert workflow.fire(session, actors.mediator, reference, "screen").state == CaseState.ASSESSMENT
    assert [e.tag for e in _entries(runtime, reference)][-2:] == ["case:eligibility:overridden",
                                                                  "case:workflow:screen"]


def test_preparation_waits_for_both_sides_consent_and_safety(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with pytest.raises(GuardNotMet) as refused, runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "prepare")
    assert set(refused.value.unmet) == {"both_sides_present", "all_consented", "safety_cleared"}
    with runtime.transaction() as session:
        offender = participants.add_participant(session, actors.mediator, reference, "offender")
    case = _case(runtime, actors.mediator, reference)
    for person in case.participants:
        with runtime.transaction() as session:
            participants.record_consent(session, actors.mediator, reference, person.id, "given")
    with pytest.raises(GuardNotMet) as refused, runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "prepare")
    assert refused.value.unmet == ("safety_cleared",)
    for person in case.participants:
        with runtime.transaction() as session:
            safety.record_assessment(session, runtime.vault, actors.mediator, reference, participant_id=person.id,
                                     outcome="cleared")
    with runtime.transaction() as session:
        assert workflow.fire(session, actors.mediator, reference, "prepare").state == CaseState.PREPARATION
    assert offender.side == "responsible"


def test_a_case_has_one_offender(runtime, actors, make_case):
    reference = make_case(CaseState.PREPARATION)
    with pytest.raises(InvalidInput, match="already has its offender"), runtime.transaction() as session:
        participants.add_participant(session, actors.mediator, reference, "offender")


def test_consent_cannot_be_set_to_withdrawn_outside_the_workflow(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    person = _case(runtime, actors.mediator, reference).participants[0]
    with pytest.raises(InvalidInput, match="withdraw action"), runtime.transaction() as session:
        participants.record_consent(session, actors.mediator, reference, person.id, "withdrawn")


def test_a_participant_id_from_another_case_is_not_found(runtime, actors, make_case):
    first, second = make_case(CaseState.ASSESSMENT), make_case(CaseState.ASSESSMENT)
    stranger = _case(runtime, actors.mediator, second).participants[0]
    with pytest.raises(Exception, match="no such participant"), runtime.transaction() as session:
        participants.record_consent(session, actors.mediator, first, stranger.id, "given")


def test_safety_is_assessed_throughout_and_concerns_block_the_dialogue(runtime, actors, make_case):
    reference = make_case(CaseState.PREPARATION)
    person = _case(runtime, actors.mediator, reference).participants[0]
    with runtime.transaction() as session:
        safety.record_assessment(session, runtime.vault, actors.mediator, reference, participant_id=person.id,
                                 outcome="concerns", risk_factors=("threats",))
    with pytest.raises(GuardNotMet, match="safety"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "begin")


@pytest.mark.parametrize("modality", list(Modality))
def test_the_dialogue_begins_in_the_chosen_modality(runtime, actors, make_case, modality):
    reference = make_case(CaseState.PREPARATION, modality=modality)
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.mediator, reference, "begin")
    assert case.state == modality.dialogue_state


def test_the_modality_is_chosen_only_between_assessment_and_the_dialogue(runtime, actors, make_case):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    with pytest.raises(WrongState), runtime.transaction() as session:
        workflow.choose_modality(session, actors.mediator, reference, "video")
    with pytest.raises(InvalidInput, match="Unknown modality"), runtime.transaction() as session:
        workflow.choose_modality(session, actors.mediator, reference, "carrier pigeon")
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.mediator, reference, "change_modality", modality="video")
    assert (case.state, case.modality) == (CaseState.DIALOGUE_VIDEO, "video")


def test_pause_and_resume_through_the_service_return_to_the_same_step(runtime, actors, make_case):
    reference = make_case(CaseState.PREPARATION)
    with pytest.raises(InvalidArguments, match="needs a reason"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "pause")
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.mediator, reference, "pause", reason="safety_concern")
    assert (case.state, case.paused_from) == (CaseState.PAUSED, CaseState.PREPARATION)
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.mediator, reference, "resume")
    assert (case.state, case.paused_from) == (CaseState.PREPARATION, None)
    pause, resume = _entries(runtime, reference)[-2:]
    assert (pause.from_state, pause.to_state, pause.reason) == ("preparation", "paused", "safety_concern")
    assert (resume.from_state, resume.to_state, resume.actor_id) == ("paused", "preparation", actors.mediator.id)


def test_closing_records_completion_and_reopening_is_only_for_withdrawn_cases(runtime, actors, make_case):
    reference = make_case(CaseState.CLOSED)
    case = _case(runtime, actors.mediator, reference)
    assert (case.outcome, case.closed_at is not None) == ("completed", True)
    with pytest.raises(GuardNotMet, match="withdrawn"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "reopen", participant_id=case.participants[0].id)
    with pytest.raises(TriggerNotAllowed, match="possible now: reopen"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "pause", reason="wellbeing")


def test_a_participant_withdraws_in_one_step_and_a_reopened_case_asks_consent_again(runtime, actors, make_case):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    harmed = _case(runtime, actors.mediator, reference).participants[0]
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        case.participants[0].user_id = actors.harmed_user.id
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.harmed_user, reference, "withdraw", reason="participant_choice")
    assert (case.state, case.outcome, case.withdrawn_by_participant_id) == ("closed", "withdrawn", harmed.id)
    withdrawal = _entries(runtime, reference)[-1]
    assert (withdrawal.actor_role, withdrawal.reason) == ("participant", "participant_choice")
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.mediator, reference, "reopen", participant_id=harmed.id)
    assert (case.state, case.outcome, case.closed_at) == (CaseState.ASSESSMENT, None, None)
    assert case.participants[0].consent == "pending"


def test_a_stale_page_gets_a_conflict_not_a_silent_overwrite(runtime, actors, make_case):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    seen = _case(runtime, actors.mediator, reference).version
    with runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "pause", reason="wellbeing", expected_version=seen)
    with pytest.raises(Conflict, match="changed by someone else"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "conclude", expected_version=seen)
    assert _case(runtime, actors.mediator, reference).state == CaseState.PAUSED


def test_an_unknown_action_is_refused_by_name(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with pytest.raises(InvalidInput, match="Unknown action 'explode'"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "explode")


def test_a_case_keeps_its_workflow_version_and_an_unknown_one_is_named(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    assert _case(runtime, actors.mediator, reference).workflow_version == "vom-1"
    with runtime.transaction() as session:
        session.execute(update(Case).where(Case.reference == reference).values(workflow_version="vom-0"))
    with pytest.raises(UnknownWorkflowVersion, match="vom-0"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "pause", reason="wellbeing")


_REFUSE_AUDIT_INSERTS = {
    "sqlite": ["CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_entries "
               "BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
    "postgresql": ["CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'disk full'; END; $$",
                   "CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_entries "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"],
}


def test_a_transition_and_its_audit_entry_commit_together_or_not_at_all(runtime, actors, make_case):
    """The case row is updated first; when the audit INSERT then fails, the update is rolled back too."""
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    before = len(_entries(runtime, reference))
    with runtime.engine.begin() as connection:
        for statement in _REFUSE_AUDIT_INSERTS[runtime.engine.dialect.name]:
            connection.exec_driver_sql(statement)
    with pytest.raises(DBAPIError, match="disk full"), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "pause", reason="wellbeing")
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse_insert" if runtime.engine.dialect.name == "sqlite"
                                   else "DROP TRIGGER refuse_insert ON audit_entries")
    case = _case(runtime, actors.mediator, reference)
    assert (case.state, case.paused_from) == (CaseState.DIALOGUE_WRITTEN, None)
    assert len(_entries(runtime, reference)) == before


def test_mediators_are_assigned_and_reassigned_by_the_coordinator_only(runtime, actors, make_case):
    reference = make_case(steps=[("unassigned", None)])
    with pytest.raises(Forbidden), runtime.transaction() as session:
        assignment.assign_mediator(session, actors.mediator, reference, actors.mediator.id)
    with pytest.raises(InvalidInput, match="active mediator"), runtime.transaction() as session:
        assignment.assign_mediator(session, actors.admin, reference, actors.staff.id)
    with runtime.transaction() as session:
        assignment.assign_mediator(session, actors.admin, reference, actors.mediator.id)
    with runtime.transaction() as session:
        assignment.assign_mediator(session, actors.admin, reference, actors.other_mediator.id)
    tags = [e.tag for e in _entries(runtime, reference)]
    assert tags[-2:] == ["case:assignment:assigned", "case:assignment:reassigned"]
    assert _case(runtime, actors.other_mediator, reference).assigned_mediator_id == actors.other_mediator.id
