"""What the case workflow offers in each state, what it refuses, and how it says why: the table of triggers per
state, every trigger that does not exist in a state, argument validation, and ``unmet_guards``."""

from __future__ import annotations

import copy

import pytest

from tests.workflows.fakes import HARMED_ID, STRANGER_ID, VALID_ARGUMENTS, FakeCase, case_in, harmed, responsible
from workflows.case_workflow import CASE_WORKFLOW, TRIGGERS, case_workflow
from workflows.engine import Guard, SharedWorkflow, TransitionSpec, TriggerSpec, WorkflowDefinition
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed
from workflows.vocabulary import CaseState, Consent, Modality, Outcome, Safety

S = CaseState
WORKFLOW = case_workflow()

# The design's table, written out by hand: the triggers that exist in each state, in definition order.
ALLOWED: dict[CaseState, tuple[str, ...]] = {
    S.REQUESTED: ("screen", "pause", "withdraw"),
    S.ASSESSMENT: ("prepare", "decline", "pause", "withdraw"),
    S.PREPARATION: ("begin", "pause", "withdraw"),
    S.DIALOGUE_FACE_TO_FACE: ("change_modality", "conclude", "pause", "withdraw"),
    S.DIALOGUE_WRITTEN: ("change_modality", "conclude", "pause", "withdraw"),
    S.DIALOGUE_VIDEO: ("change_modality", "conclude", "pause", "withdraw"),
    S.DIALOGUE_RELAY: ("change_modality", "conclude", "pause", "withdraw"),
    S.CLOSING: ("close", "pause", "withdraw"),
    S.PAUSED: ("resume", "withdraw"),
    S.CLOSED: ("reopen",),
}
NOT_ALLOWED = [
    pytest.param(state, trigger, id=f"{state}-{trigger}")
    for state in CaseState for trigger in TRIGGERS if trigger not in ALLOWED[state]
]


def test_each_state_offers_exactly_the_triggers_of_the_design():
    assert {state: WORKFLOW.triggers_from(state) for state in CaseState} == ALLOWED


def test_a_reason_is_required_for_pause_decline_withdraw_and_close_only():
    assert {name for name, spec in TRIGGERS.items() if spec.needs_reason} == {"pause", "decline", "withdraw", "close"}


def test_the_definition_knows_every_state_and_trigger_it_uses():
    assert set(CASE_WORKFLOW.states) == set(CaseState)
    assert {spec.trigger for spec in CASE_WORKFLOW.transitions} == set(TRIGGERS)
    assert {spec.source for spec in CASE_WORKFLOW.transitions} | {spec.dest for spec in CASE_WORKFLOW.transitions} \
        == set(CaseState)


# --- triggers that do not exist in a state ------------------------------------------------------------------

@pytest.mark.parametrize(("state", "trigger"), NOT_ALLOWED)
def test_a_trigger_that_does_not_exist_in_the_state_is_refused(state, trigger):
    case = case_in(state)
    before = copy.deepcopy(case)
    with pytest.raises(TriggerNotAllowed) as refusal:
        WORKFLOW.fire(case, trigger, **VALID_ARGUMENTS[trigger])
    assert (refusal.value.state, refusal.value.trigger) == (state, trigger)
    assert refusal.value.allowed == ALLOWED[state]
    assert f"'{trigger}' is not possible while the case is {state}" in str(refusal.value)
    assert ", ".join(ALLOWED[state]) in str(refusal.value)
    assert case == before


@pytest.mark.parametrize("trigger", [t for t in TRIGGERS if t != "reopen"])
@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_closed_case_accepts_nothing_but_reopen(outcome, trigger):
    case = case_in(S.CLOSED, outcome=outcome.value)
    with pytest.raises(TriggerNotAllowed, match="possible now: reopen"):
        WORKFLOW.fire(case, trigger, **VALID_ARGUMENTS[trigger])
    assert case.state == S.CLOSED


def test_an_unknown_trigger_is_refused_like_one_that_does_not_exist_here():
    case = case_in(S.ASSESSMENT)
    with pytest.raises(TriggerNotAllowed, match="'frobnicate' is not possible while the case is assessment"):
        WORKFLOW.fire(case, "frobnicate")
    assert case.state == S.ASSESSMENT


def test_a_model_in_a_state_the_workflow_does_not_know_can_do_nothing():
    case = FakeCase(state="limbo")
    with pytest.raises(TriggerNotAllowed, match="possible now: nothing"):
        WORKFLOW.fire(case, "screen")


def test_state_is_checked_before_arguments():
    with pytest.raises(TriggerNotAllowed):
        WORKFLOW.fire(case_in(S.CLOSED), "pause", reason="not a reason at all")


# --- argument validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "trigger", "arguments", "message"), [
    # a reason is missing or empty
    (S.ASSESSMENT, "pause", {}, r"'pause' needs a reason; choose one of: safety_concern, wellbeing, "),
    (S.ASSESSMENT, "pause", {"reason": ""}, "'pause' needs a reason"),
    (S.ASSESSMENT, "pause", {"reason": None}, "'pause' needs a reason"),
    (S.ASSESSMENT, "decline", {"outcome": "declined"}, "'decline' needs a reason; choose one of: participant_not_"),
    (S.DIALOGUE_WRITTEN, "withdraw", {"participant_id": HARMED_ID}, "'withdraw' needs a reason"),
    (S.CLOSING, "close", {}, "'close' needs a reason; choose one of: dialogue_completed"),
    # a reason outside the trigger's vocabulary, including another trigger's reason
    (S.ASSESSMENT, "pause", {"reason": "bored"}, "'bored' is not a reason for 'pause'; choose one of: "),
    (S.ASSESSMENT, "pause", {"reason": "dialogue_completed"}, "'dialogue_completed' is not a reason for 'pause'"),
    (S.CLOSING, "close", {"reason": "Wellbeing"}, "'Wellbeing' is not a reason for 'close'"),
    (S.PREPARATION, "withdraw", {"reason": "changed my mind", "participant_id": HARMED_ID},
     "'changed my mind' is not a reason for 'withdraw'"),
    # an argument the trigger does not take
    (S.PAUSED, "resume", {"reason": "wellbeing"}, "'resume' does not take reason"),
    (S.REQUESTED, "screen", {"override": True}, "'screen' does not take override"),
    (S.PREPARATION, "begin", {"modality": "written"}, "'begin' does not take modality"),
    (S.DIALOGUE_VIDEO, "conclude", {"reason": "other"}, "'conclude' does not take reason"),
    (S.CLOSED, "reopen", {"participant_id": HARMED_ID, "reason": "other"}, "'reopen' does not take reason"),
    (S.ASSESSMENT, "pause", {"reason": "other", "note": "x", "by": 1}, "'pause' does not take by, note"),
    # a required argument is missing
    (S.DIALOGUE_WRITTEN, "withdraw", {"reason": "wellbeing"}, "'withdraw' needs participant id"),
    (S.DIALOGUE_WRITTEN, "withdraw", {"reason": "wellbeing", "participant_id": ""}, "'withdraw' needs participant id"),
    (S.CLOSED, "reopen", {}, "'reopen' needs participant id"),
    (S.DIALOGUE_RELAY, "change_modality", {}, "'change_modality' needs modality"),
    (S.DIALOGUE_RELAY, "change_modality", {"modality": None}, "'change_modality' needs modality"),
])
def test_invalid_arguments_are_refused_with_a_clear_message_and_change_nothing(state, trigger, arguments, message):
    case = case_in(state)
    before = copy.deepcopy(case)
    with pytest.raises(InvalidArguments) as refusal:
        WORKFLOW.fire(case, trigger, **arguments)
    assert str(refusal.value).startswith(message)
    assert case == before


@pytest.mark.parametrize("trigger", [t for t, spec in TRIGGERS.items() if spec.needs_reason])
def test_the_refusal_lists_every_allowed_reason(trigger):
    with pytest.raises(InvalidArguments) as refusal:
        WORKFLOW.validate_arguments(trigger, {})
    assert all(reason in str(refusal.value) for reason in TRIGGERS[trigger].reasons)


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_the_sample_arguments_are_valid(trigger):
    WORKFLOW.validate_arguments(trigger, VALID_ARGUMENTS[trigger])


# --- unmet_guards -------------------------------------------------------------------------------------------

def names(guards: tuple) -> tuple[str, ...]:
    return tuple(g.name for g in guards)


@pytest.mark.parametrize(("case", "trigger", "arguments"), [
    (FakeCase(), "screen", {}),
    (FakeCase(sentence_qualifies=False), "screen", {}),
    (case_in(S.ASSESSMENT), "prepare", {}),
    (case_in(S.PREPARATION, modality="video"), "begin", {}),
    (case_in(S.DIALOGUE_VIDEO), "change_modality", {"modality": "relay"}),
    (case_in(S.PAUSED, paused_from=S.CLOSING), "resume", {}),
    (case_in(S.PAUSED), "withdraw", {"participant_id": HARMED_ID}),
    (case_in(S.CLOSED), "reopen", {"participant_id": HARMED_ID}),
])
def test_unmet_guards_is_empty_when_the_trigger_can_fire_and_changes_nothing(case, trigger, arguments):
    before = copy.deepcopy(case)
    assert WORKFLOW.unmet_guards(case, trigger, arguments) == ()
    assert case == before


def test_unmet_guards_reports_the_candidate_closest_to_firing():
    # screen has two candidates: qualifies (needs 2 guards) and ineligible (needs 1 guard + 1 negated guard).
    assert names(WORKFLOW.unmet_guards(FakeCase(sentence_recorded=False), "screen")) == ("sentence_recorded",)
    # begin has one candidate per modality; the chosen one lacks only consent.
    case = case_in(S.PREPARATION, modality="written", participant_facts=[harmed(consent=Consent.PENDING),
                                                                          responsible()])
    assert names(WORKFLOW.unmet_guards(case, "begin")) == ("all_consented",)


def test_unmet_guards_on_a_tie_reports_what_every_closest_candidate_lacks():
    case = case_in(S.PREPARATION, modality=None,
                   participant_facts=[harmed(consent=Consent.PENDING), responsible(safety=Safety.CONCERNS)])
    assert names(WORKFLOW.unmet_guards(case, "begin")) == ("modality_chosen", "all_consented", "safety_cleared",
                                                           "no_safety_concern")


def test_unmet_guards_on_a_tie_with_nothing_in_common_reports_the_first_candidate():
    never = Guard("never", "never holds", lambda _model, _arguments: False)
    also_never = Guard("also_never", "never holds either", lambda _model, _arguments: False)
    tiny = SharedWorkflow(WorkflowDefinition(
        name="tiny", subject="thing", version="t-1", states=("a", "b", "c"), initial="a", final_states=("c",),
        triggers={"go": TriggerSpec("go", "Go")},
        transitions=(TransitionSpec("go", "a", "b", guards=(never,)),
                     TransitionSpec("go", "a", "c", guards=(also_never,)))))
    assert names(tiny.unmet_guards(FakeCase(state="a"), "go")) == ("never",)


@pytest.mark.parametrize(("case", "trigger", "judged", "unjudged"), [
    pytest.param(case_in(S.ASSESSMENT), "withdraw", ("participant_on_case",), (), id="withdraw"),
    pytest.param(case_in(S.DIALOGUE_RELAY), "change_modality", ("requested_modality_is_face_to_face",), (),
                 id="change_modality"),
    pytest.param(case_in(S.CLOSED, outcome="completed"), "reopen", ("was_withdrawn", "participant_on_case"),
                 ("was_withdrawn",), id="reopen after completion"),
    pytest.param(case_in(S.ASSESSMENT, participant_facts=[harmed()]), "prepare", ("both_sides_present",),
                 ("both_sides_present",), id="prepare uses no arguments"),
])
def test_judge_arguments_false_skips_the_guards_that_need_arguments(case, trigger, judged, unjudged):
    assert names(WORKFLOW.unmet_guards(case, trigger)) == judged
    assert names(WORKFLOW.unmet_guards(case, trigger, judge_arguments=False)) == unjudged


def test_unmet_guards_with_the_arguments_given_judges_them():
    case = case_in(S.ASSESSMENT)
    assert names(WORKFLOW.unmet_guards(case, "withdraw", {"participant_id": STRANGER_ID})) \
        == ("participant_on_case",)
    assert WORKFLOW.unmet_guards(case, "withdraw", {"participant_id": HARMED_ID}) == ()


def test_unmet_guards_for_a_trigger_that_does_not_exist_here_raises():
    with pytest.raises(TriggerNotAllowed) as refusal:
        WORKFLOW.unmet_guards(case_in(S.CLOSED), "pause")
    assert (refusal.value.state, refusal.value.trigger) == (S.CLOSED, "pause")


def test_the_guards_a_ui_would_show_match_what_firing_says():
    case = case_in(S.PREPARATION, modality=Modality.WRITTEN.value, participant_facts=[harmed(safety="concerns")])
    expected = names(WORKFLOW.unmet_guards(case, "begin", judge_arguments=False))
    with pytest.raises(GuardNotMet) as refusal:
        WORKFLOW.fire(case, "begin")
    assert refusal.value.unmet == expected == ("safety_cleared", "no_safety_concern")
