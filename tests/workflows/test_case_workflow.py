"""The case workflow, transition by transition, as a mediator drives it: where each trigger leads, and which
guard holds it back when it cannot fire yet."""

from __future__ import annotations

import contextlib
import copy
import itertools

import pytest

from tests.workflows.fakes import HARMED_ID, RESPONSIBLE_ID, STRANGER_ID, FakeCase, case_in, harmed, responsible
from workflows.case_workflow import TRIGGERS, case_workflow
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed
from workflows.vocabulary import (
    DIALOGUE_STATES,
    OPEN_STATES,
    PAUSABLE_STATES,
    CaseState,
    Consent,
    Modality,
    Outcome,
    Safety,
)

S = CaseState
WORKFLOW = case_workflow()
NOT_WITHDRAWN = [o.value for o in Outcome if o is not Outcome.WITHDRAWN]


def fire(case: FakeCase, trigger: str, **arguments: object) -> str:
    return WORKFLOW.fire(case, trigger, **arguments)


def refused_by_guard(case: FakeCase, trigger: str, **arguments: object) -> GuardNotMet:
    """Fire, expect a guard to refuse it, and check the case did not change at all."""
    before = copy.deepcopy(case)
    with pytest.raises(GuardNotMet) as refusal:
        fire(case, trigger, **arguments)
    assert case == before
    assert refusal.value.trigger == trigger
    return refusal.value


# --- screen -------------------------------------------------------------------------------------------------

def test_screen_moves_a_case_with_a_qualifying_sentence_to_assessment():
    case = FakeCase(sentence_recorded=True, sentence_qualifies=True)
    assert fire(case, "screen") == S.ASSESSMENT
    assert case.state == S.ASSESSMENT
    assert case.outcome is None


def test_screen_closes_a_case_whose_sentence_does_not_qualify_as_ineligible():
    case = FakeCase(sentence_recorded=True, sentence_qualifies=False)
    assert fire(case, "screen") == S.CLOSED
    assert case.outcome == Outcome.INELIGIBLE


@pytest.mark.parametrize("qualifies", [True, False])
def test_screen_without_a_recorded_sentence_is_refused_naming_sentence_recorded(qualifies):
    case = FakeCase(sentence_recorded=False, sentence_qualifies=qualifies)
    refusal = refused_by_guard(case, "screen")
    assert refusal.unmet == ("sentence_recorded",)
    assert "no sentence data has been recorded" in str(refusal)


# --- prepare ------------------------------------------------------------------------------------------------

def test_prepare_moves_to_preparation_when_both_sides_consented_and_safety_cleared():
    case = case_in(S.ASSESSMENT)
    assert fire(case, "prepare") == S.PREPARATION


@pytest.mark.parametrize(("participants", "unmet"), [
    pytest.param([harmed()], ("both_sides_present",), id="no person responsible"),
    pytest.param([responsible()], ("both_sides_present",), id="no harmed party"),
    pytest.param([harmed(consent=Consent.PENDING), responsible()], ("all_consented",), id="consent pending"),
    pytest.param([harmed(), responsible(consent=Consent.DECLINED)], ("all_consented",), id="consent declined"),
    pytest.param([harmed(), responsible(consent=Consent.WITHDRAWN)], ("all_consented",), id="consent withdrawn"),
    pytest.param([harmed(safety=Safety.NOT_ASSESSED), responsible()], ("safety_cleared",), id="not assessed"),
    pytest.param([harmed(), responsible(safety=Safety.CONCERNS)], ("safety_cleared",), id="safety concerns"),
    pytest.param([harmed(consent=Consent.PENDING, safety=Safety.CONCERNS)],
                 ("both_sides_present", "all_consented", "safety_cleared"), id="everything missing"),
    pytest.param([], ("both_sides_present", "all_consented", "safety_cleared"), id="nobody on the case"),
])
def test_prepare_names_each_missing_condition(participants, unmet):
    case = case_in(S.ASSESSMENT, participant_facts=participants)
    assert refused_by_guard(case, "prepare").unmet == unmet


# --- decline ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome", [Outcome.DECLINED.value, Outcome.UNSUITABLE.value])
@pytest.mark.parametrize("reason", TRIGGERS["decline"].reasons)
def test_decline_closes_the_case_with_the_outcome_given(outcome, reason):
    case = case_in(S.ASSESSMENT)
    assert fire(case, "decline", reason=reason, outcome=outcome) == S.CLOSED
    assert case.outcome == outcome


@pytest.mark.parametrize(("arguments", "message"), [
    ({"reason": "other"}, "'decline' needs outcome"),
    ({"reason": "other", "outcome": Outcome.COMPLETED.value}, "'completed' is not a valid outcome for 'decline'"),
    ({"reason": "other", "outcome": Outcome.WITHDRAWN.value}, "'withdrawn' is not a valid outcome for 'decline'"),
    ({"outcome": Outcome.DECLINED.value}, "'decline' needs a reason"),
    ({"outcome": Outcome.DECLINED.value, "reason": "bored"}, "'bored' is not a reason for 'decline'"),
])
def test_decline_needs_an_outcome_and_a_reason_from_the_vocabulary(arguments, message):
    case = case_in(S.ASSESSMENT)
    before = copy.deepcopy(case)
    with pytest.raises(InvalidArguments, match=message):
        fire(case, "decline", **arguments)
    assert case == before


# --- begin --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("modality", list(Modality))
def test_begin_enters_the_dialogue_of_the_chosen_modality(modality):
    case = case_in(S.PREPARATION, modality=modality.value)
    assert fire(case, "begin") == modality.dialogue_state
    assert case.modality == modality


def test_begin_without_a_chosen_modality_is_refused_naming_modality_chosen():
    case = case_in(S.PREPARATION, modality=None)
    refusal = refused_by_guard(case, "begin")
    assert refusal.unmet == ("modality_chosen",)
    assert "no modality has been chosen" in str(refusal)


@pytest.mark.parametrize(("participants", "unmet"), [
    pytest.param([harmed(consent=Consent.WITHDRAWN), responsible()], ("all_consented",), id="consent withdrawn"),
    pytest.param([harmed(), responsible(safety=Safety.CONCERNS)], ("safety_cleared", "no_safety_concern"),
                 id="safety concerns"),
    pytest.param([harmed(), responsible(safety=Safety.NOT_ASSESSED)], ("safety_cleared",), id="not assessed"),
    pytest.param([harmed(confidentiality_acknowledged=None), responsible()], ("confidentiality_acknowledged",),
                 id="not acknowledged"),
])
def test_begin_still_needs_every_consent_and_safety_clearance(participants, unmet):
    case = case_in(S.PREPARATION, modality=Modality.VIDEO.value, participant_facts=participants)
    assert refused_by_guard(case, "begin").unmet == unmet


# --- change_modality ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "target"), [
    pytest.param(source, target, id=f"{source}->{target}")
    for source, target in itertools.permutations(Modality, 2)
])
def test_change_modality_moves_between_every_pair_of_dialogues(source, target):
    case = case_in(source.dialogue_state)
    assert fire(case, "change_modality", modality=target.value) == target.dialogue_state
    assert case.modality == target


@pytest.mark.parametrize("modality", list(Modality))
def test_change_modality_to_the_modality_in_use_is_refused(modality):
    case = case_in(modality.dialogue_state)
    refusal = refused_by_guard(case, "change_modality", modality=modality.value)
    assert refusal.unmet == ("modality_changes",)
    assert "already runs in that modality" in str(refusal)


def test_change_modality_refuses_a_modality_outside_the_vocabulary():
    case = case_in(S.DIALOGUE_WRITTEN)
    with pytest.raises(InvalidArguments, match="'carrier_pigeon' is not a valid modality for 'change_modality'"):
        fire(case, "change_modality", modality="carrier_pigeon")
    assert case.state == S.DIALOGUE_WRITTEN


# --- conclude and close -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dialogue", DIALOGUE_STATES)
def test_conclude_moves_every_dialogue_to_closing(dialogue):
    case = case_in(dialogue)
    assert fire(case, "conclude") == S.CLOSING
    assert case.outcome is None


@pytest.mark.parametrize("reason", TRIGGERS["close"].reasons)
def test_close_ends_the_case_as_completed(reason):
    case = case_in(S.CLOSING)
    assert fire(case, "close", reason=reason) == S.CLOSED
    assert case.outcome == Outcome.COMPLETED


def test_close_needs_a_reason():
    case = case_in(S.CLOSING)
    with pytest.raises(InvalidArguments, match="'close' needs a reason"):
        fire(case, "close")
    assert case.state == S.CLOSING


def test_a_case_runs_from_request_to_completion():
    case = FakeCase(modality=None)
    assert fire(case, "screen") == S.ASSESSMENT
    case.modality = Modality.RELAY.value  # chosen after assessment
    assert fire(case, "prepare") == S.PREPARATION
    assert fire(case, "begin") == S.DIALOGUE_RELAY
    assert fire(case, "change_modality", modality=Modality.FACE_TO_FACE.value) == S.DIALOGUE_FACE_TO_FACE
    assert fire(case, "conclude") == S.CLOSING
    assert fire(case, "close", reason="needs_addressed") == S.CLOSED
    assert (case.outcome, case.modality) == (Outcome.COMPLETED, Modality.FACE_TO_FACE)


# --- pause and resume ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", PAUSABLE_STATES)
def test_resume_returns_to_the_state_the_case_was_paused_in(origin):
    case = case_in(origin)
    assert fire(case, "pause", reason="safety_concern") == S.PAUSED
    assert case.paused_from == origin
    assert fire(case, "resume") == origin
    assert case.state == origin
    assert case.paused_from is None


@pytest.mark.parametrize("origin", PAUSABLE_STATES)
def test_pausing_a_paused_case_is_refused(origin):
    case = case_in(origin)
    fire(case, "pause", reason="wellbeing")
    with pytest.raises(TriggerNotAllowed):
        fire(case, "pause", reason="wellbeing")
    assert (case.state, case.paused_from) == (S.PAUSED, origin)


def test_pause_and_resume_leave_everything_else_as_it_was():
    case = case_in(S.DIALOGUE_VIDEO)
    before = copy.deepcopy(case)
    fire(case, "pause", reason="mediator_unavailable")
    fire(case, "resume")
    assert case == before


# --- withdraw and reopen ------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", OPEN_STATES)
@pytest.mark.parametrize("who", [HARMED_ID, RESPONSIBLE_ID])
def test_withdraw_closes_the_case_from_every_open_state(origin, who):
    case = case_in(origin, paused_from=S.DIALOGUE_RELAY)
    assert fire(case, "withdraw", reason="participant_choice", participant_id=who) == S.CLOSED
    assert case.outcome == Outcome.WITHDRAWN
    assert case.withdrawn_by_participant_id == who
    assert case.participant(who).consent == Consent.WITHDRAWN
    assert case.paused_from is None
    [other] = [p for p in case.participant_facts if p.id != who]
    assert other.consent == Consent.GIVEN


@pytest.mark.parametrize("origin", OPEN_STATES)
def test_withdraw_by_someone_not_on_the_case_is_refused(origin):
    case = case_in(origin)
    refusal = refused_by_guard(case, "withdraw", reason="participant_choice", participant_id=STRANGER_ID)
    assert refusal.unmet == ("participant_on_case",)
    assert "not part of this case" in str(refusal)


def test_a_closed_case_cannot_be_withdrawn_from_again():
    case = case_in(S.CLOSED)
    with pytest.raises(TriggerNotAllowed):
        fire(case, "withdraw", reason="participant_choice", participant_id=HARMED_ID)


@pytest.mark.parametrize("origin", OPEN_STATES)
def test_reopen_after_a_withdrawal_returns_to_assessment_and_asks_the_withdrawer_to_consent_again(origin):
    case = case_in(origin, paused_from=S.PREPARATION)
    fire(case, "withdraw", reason="wellbeing", participant_id=RESPONSIBLE_ID)
    expected = S.REQUESTED if origin == S.REQUESTED else S.ASSESSMENT  # never screened: screen it first
    assert fire(case, "reopen", participant_id=RESPONSIBLE_ID) == expected
    assert case.outcome is None
    assert case.withdrawn_by_participant_id is None
    assert case.participant(RESPONSIBLE_ID).consent == Consent.PENDING
    assert case.participant(HARMED_ID).consent == Consent.GIVEN
    # Everyone is assessed again: a reopened case starts its safety assessment over.
    assert {p.safety for p in case.participant_facts} == {Safety.NOT_ASSESSED}
    if expected == S.ASSESSMENT:
        assert refused_by_guard(case, "prepare").unmet == ("all_consented", "safety_cleared")


def test_reopen_may_be_asked_by_a_participant_other_than_the_one_who_withdrew():
    case = case_in(S.DIALOGUE_WRITTEN)
    fire(case, "withdraw", reason="participant_choice", participant_id=HARMED_ID)
    assert fire(case, "reopen", participant_id=RESPONSIBLE_ID) == S.ASSESSMENT
    assert case.participant(HARMED_ID).consent == Consent.PENDING


@pytest.mark.parametrize("outcome", NOT_WITHDRAWN)
def test_reopen_is_refused_for_a_closure_that_was_not_a_withdrawal(outcome):
    case = case_in(S.CLOSED, outcome=outcome)
    refusal = refused_by_guard(case, "reopen", participant_id=HARMED_ID)
    assert refusal.unmet == ("was_withdrawn",)
    assert "only a withdrawn case can be reopened" in str(refusal)


def test_reopen_by_someone_not_on_the_case_is_refused():
    case = case_in(S.CLOSED)
    assert refused_by_guard(case, "reopen", participant_id=STRANGER_ID).unmet == ("participant_on_case",)


def test_closing_after_a_screen_ineligible_cannot_be_reopened():
    case = FakeCase(sentence_qualifies=False)
    fire(case, "screen")
    assert refused_by_guard(case, "reopen", participant_id=HARMED_ID).unmet == ("was_withdrawn",)


@pytest.mark.parametrize("origin", [S.REQUESTED, S.PAUSED])
def test_reopening_a_case_withdrawn_before_screening_does_not_skip_the_eligibility_check(origin):
    case = case_in(origin, paused_from=S.REQUESTED, sentence_recorded=True, sentence_qualifies=False)
    fire(case, "withdraw", reason="participant_choice", participant_id=HARMED_ID)
    with contextlib.suppress(GuardNotMet):
        fire(case, "reopen", participant_id=HARMED_ID)
    assert case.state in (S.CLOSED, S.REQUESTED)


@pytest.mark.parametrize("origin", [S.ASSESSMENT, S.PREPARATION, S.DIALOGUE_RELAY, S.CLOSING])
def test_reopening_a_case_withdrawn_after_screening_resumes_at_assessment(origin):
    case = case_in(origin)
    fire(case, "withdraw", reason="participant_choice", participant_id=HARMED_ID)
    assert case.withdrawn_from == origin
    fire(case, "reopen", participant_id=HARMED_ID)
    assert (case.state, case.withdrawn_from) == (S.ASSESSMENT, None)
