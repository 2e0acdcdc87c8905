"""The message-review workflow (DESIGN.md section 2): nothing reaches the other side without a mediator."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Protocol

from workflows.case_guards import CaseFacts
from workflows.engine import Arguments, Guard, SharedWorkflow, TransitionSpec, TriggerSpec, WorkflowDefinition
from workflows.safety import no_safety_concern
from workflows.vocabulary import carries_messages

MESSAGE_WORKFLOW_VERSION = "message-review-1"


class MessageState(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    AWAITING_AUTHOR = "awaiting_author"
    DELIVERED = "delivered"
    READ = "read"
    WITHHELD = "withheld"


WITHHOLD_REASONS = ("safety_risk", "harmful_content", "identifying_information", "case_withdrawn",
                    "case_closed", "other")


class MessageFacts(Protocol):
    state: str

    @property
    def case_state(self) -> str: ...

    @property
    def case_facts(self) -> CaseFacts: ...


def _case_carries_messages(message: MessageFacts, _: Arguments) -> bool:
    return carries_messages(message.case_state)


case_carries_messages = Guard(
    "case_carries_messages",
    "the case is not in a dialogue that carries messages (written, video or relay); it may be paused",
    _case_carries_messages)

# Nothing is delivered while anyone in the dialogue has a safety concern: the message stays pending.
dialogue_is_safe = Guard(
    no_safety_concern.name, no_safety_concern.explanation,
    lambda message, arguments: no_safety_concern.holds(message.case_facts, arguments),
    explain=lambda message, arguments: no_safety_concern.explanation_for(message.case_facts, arguments))

MESSAGE_TRIGGERS: dict[str, TriggerSpec] = {
    spec.name: spec
    for spec in (
        TriggerSpec("approve", "Approve and deliver"),
        TriggerSpec("return", "Return to the author with a note", required=("note",)),
        TriggerSpec("revise", "Resubmit a revised message"),
        TriggerSpec("redact", "Propose a redacted version", required=("redacted_text",)),
        TriggerSpec("accept", "Accept the redacted version"),
        TriggerSpec("refuse", "Refuse the redacted version"),
        TriggerSpec("withhold", "Withhold", reasons=WITHHOLD_REASONS),
        TriggerSpec("open", "Open"),
    )
}

_M = MessageState
MESSAGE_WORKFLOW = WorkflowDefinition(
    name="message review",
    subject="message",
    version=MESSAGE_WORKFLOW_VERSION,
    states=tuple(MessageState),
    initial=MessageState.SUBMITTED,
    final_states=(MessageState.READ, MessageState.WITHHELD),
    triggers=MESSAGE_TRIGGERS,
    transitions=(
        TransitionSpec("approve", _M.SUBMITTED, _M.DELIVERED, guards=(case_carries_messages, dialogue_is_safe)),
        TransitionSpec("return", _M.SUBMITTED, _M.RETURNED),
        TransitionSpec("revise", _M.RETURNED, _M.SUBMITTED),
        TransitionSpec("redact", _M.SUBMITTED, _M.AWAITING_AUTHOR),
        TransitionSpec("accept", _M.AWAITING_AUTHOR, _M.DELIVERED, guards=(case_carries_messages, dialogue_is_safe)),
        TransitionSpec("refuse", _M.AWAITING_AUTHOR, _M.RETURNED),
        TransitionSpec("withhold", _M.SUBMITTED, _M.WITHHELD),
        TransitionSpec("withhold", _M.AWAITING_AUTHOR, _M.WITHHELD),
        TransitionSpec("withhold", _M.RETURNED, _M.WITHHELD),
        TransitionSpec("open", _M.DELIVERED, _M.READ),
    ),
)

PENDING_MESSAGE_STATES = (MessageState.SUBMITTED, MessageState.AWAITING_AUTHOR, MessageState.RETURNED)


@cache
def message_workflow() -> SharedWorkflow:
    """The process-wide message-review machine."""
    return SharedWorkflow(MESSAGE_WORKFLOW)
