"""The message-review workflow: nothing reaches the other side without a mediator, and only while the case is in
a dialogue whose modality carries messages."""

from __future__ import annotations

import copy

import pytest

from tests.workflows.fakes import FakeMessage
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed
from workflows.message_workflow import (
    MESSAGE_TRIGGERS,
    PENDING_MESSAGE_STATES,
    WITHHOLD_REASONS,
    MessageState,
    case_carries_messages,
    message_workflow,
)
from workflows.vocabulary import CaseState, Modality

M = MessageState
WORKFLOW = message_workflow()
CARRYING = [m.dialogue_state for m in Modality if m.carries_messages]
NOT_CARRYING = [state for state in CaseState if state not in CARRYING]
VALID_ARGUMENTS: dict[str, dict[str, str]] = {
    "return": {"note": "Please leave out the street name."},
    "redact": {"redacted_text": "I think about that day often."},
    "withhold": {"reason": "safety_risk"},
}
ALLOWED: dict[MessageState, tuple[str, ...]] = {
    M.SUBMITTED: ("approve", "return", "redact", "withhold"),
    M.RETURNED: ("revise", "withhold"),
    M.AWAITING_AUTHOR: ("accept", "refuse", "withhold"),
    M.DELIVERED: ("open",),
    M.READ: (),
    M.WITHHELD: (),
}


def fire(message: FakeMessage, trigger: str, **arguments: object) -> str:
    return WORKFLOW.fire(message, trigger, **arguments)


def test_each_message_state_offers_exactly_the_triggers_of_the_design():
    assert {state: WORKFLOW.triggers_from(state) for state in MessageState} == ALLOWED


def test_pending_messages_are_those_a_mediator_still_has_to_decide_on():
    assert set(PENDING_MESSAGE_STATES) == {state for state in MessageState if "withhold" in ALLOWED[state]}


@pytest.mark.parametrize(("start", "trigger", "arguments", "end"), [
    (M.SUBMITTED, "approve", {}, M.DELIVERED),
    (M.SUBMITTED, "return", VALID_ARGUMENTS["return"], M.RETURNED),
    (M.RETURNED, "revise", {}, M.SUBMITTED),
    (M.SUBMITTED, "redact", VALID_ARGUMENTS["redact"], M.AWAITING_AUTHOR),
    (M.AWAITING_AUTHOR, "accept", {}, M.DELIVERED),
    (M.AWAITING_AUTHOR, "refuse", {}, M.RETURNED),
    (M.DELIVERED, "open", {}, M.READ),
])
@pytest.mark.parametrize("case_state", CARRYING)
def test_every_message_transition(start, trigger, arguments, end, case_state):
    message = FakeMessage(state=start.value, case_state=case_state)
    assert fire(message, trigger, **arguments) == end
    assert message.state == end


@pytest.mark.parametrize("trigger", ["approve", "accept"])
@pytest.mark.parametrize("case_state", NOT_CARRYING)
def test_delivery_is_blocked_unless_the_case_is_in_a_dialogue_that_carries_messages(trigger, case_state):
    start = M.SUBMITTED if trigger == "approve" else M.AWAITING_AUTHOR
    message = FakeMessage(state=start.value, case_state=case_state)
    with pytest.raises(GuardNotMet) as refusal:
        fire(message, trigger)
    assert refusal.value.unmet == ("case_carries_messages",)
    assert "not in a dialogue that carries messages" in str(refusal.value)
    assert message.state == start


def test_delivery_resumes_once_a_paused_case_is_back_in_its_written_dialogue():
    message = FakeMessage(case_state=CaseState.PAUSED.value)
    with pytest.raises(GuardNotMet, match="it may be paused"):
        fire(message, "approve")
    message.case_state = CaseState.DIALOGUE_WRITTEN.value
    assert fire(message, "approve") == M.DELIVERED


@pytest.mark.parametrize(("case_state", "holds"), [(state, state in CARRYING) for state in CaseState])
def test_case_carries_messages_alone(case_state, holds):
    assert case_carries_messages.holds(FakeMessage(case_state=case_state)) is holds


@pytest.mark.parametrize("start", PENDING_MESSAGE_STATES)
@pytest.mark.parametrize("reason", WITHHOLD_REASONS)
def test_withhold_from_every_pending_state_with_a_reason(start, reason):
    # Withholding is how closing or withdrawing a case stops its messages, so no dialogue is needed.
    message = FakeMessage(state=start.value, case_state=CaseState.CLOSED.value)
    assert fire(message, "withhold", reason=reason) == M.WITHHELD


@pytest.mark.parametrize(("trigger", "start", "arguments", "message_text"), [
    ("withhold", M.SUBMITTED, {}, "'withhold' needs a reason; choose one of: safety_risk, harmful_content"),
    ("withhold", M.RETURNED, {"reason": "rude"}, "'rude' is not a reason for 'withhold'"),
    ("return", M.SUBMITTED, {}, "'return' needs note"),
    ("return", M.SUBMITTED, {"note": ""}, "'return' needs note"),
    ("redact", M.SUBMITTED, {}, "'redact' needs redacted text"),
    ("approve", M.SUBMITTED, {"note": "fine"}, "'approve' does not take note"),
    ("revise", M.RETURNED, {"text": "new"}, "'revise' does not take text"),
    ("open", M.DELIVERED, {"reason": "other"}, "'open' does not take reason"),
])
def test_invalid_message_arguments_are_refused_and_change_nothing(trigger, start, arguments, message_text):
    message = FakeMessage(state=start.value)
    before = copy.deepcopy(message)
    with pytest.raises(InvalidArguments) as refusal:
        fire(message, trigger, **arguments)
    assert str(refusal.value).startswith(message_text)
    assert message == before


@pytest.mark.parametrize(("state", "trigger"), [
    pytest.param(state, trigger, id=f"{state}-{trigger}")
    for state in MessageState for trigger in MESSAGE_TRIGGERS if trigger not in ALLOWED[state]
])
def test_a_trigger_that_does_not_exist_in_the_message_state_is_refused(state, trigger):
    message = FakeMessage(state=state.value)
    with pytest.raises(TriggerNotAllowed) as refusal:
        fire(message, trigger, **VALID_ARGUMENTS.get(trigger, {}))
    assert (refusal.value.state, refusal.value.trigger) == (state, trigger)
    assert str(refusal.value).startswith(f"'{trigger}' is not possible while ")
    assert f" {state}; possible now: " in str(refusal.value)
    assert message.state == state


def test_a_returned_message_goes_round_again_until_it_is_delivered_and_read():
    message = FakeMessage()
    fire(message, "redact", redacted_text="...")
    fire(message, "refuse")
    fire(message, "revise")
    fire(message, "return", note="too identifying")
    fire(message, "revise")
    fire(message, "redact", redacted_text="...")
    fire(message, "accept")
    assert fire(message, "open") == M.READ
