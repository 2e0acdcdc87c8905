"""Plain stand-ins for a case, its participants and a message: just the facts the rules read and write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.case_guards import CaseFacts, ParticipantFacts
from workflows.message_workflow import MessageFacts, MessageState
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState, Consent, Modality, Outcome, ParticipantRole, Safety, Side, modality_of

HARMED_ID = 1
RESPONSIBLE_ID = 2
STRANGER_ID = 99  # on no case

# An argument set each trigger accepts, so a refusal in a test is about the state, not the arguments.
VALID_ARGUMENTS: dict[str, dict[str, Any]] = {
    "screen": {},
    "prepare": {},
    "decline": {"reason": "participant_not_ready", "outcome": Outcome.DECLINED.value},
    "begin": {},
    "change_modality": {"modality": Modality.RELAY.value},
    "conclude": {},
    "close": {"reason": "dialogue_completed"},
    "pause": {"reason": "wellbeing"},
    "resume": {},
    "withdraw": {"reason": "participant_choice", "participant_id": HARMED_ID},
    "reopen": {"participant_id": HARMED_ID},
}


@dataclass
class FakeParticipant:
    id: int
    side: str
    consent: str = Consent.GIVEN.value
    safety: str = Safety.CLEARED.value
    role: str = ParticipantRole.PRIMARY.value
    takes_part_in_meetings: bool = False
    supports_participant_id: int | None = None
    confidentiality_acknowledged: str | None = CONFIDENTIALITY_VERSION


def harmed(**facts: Any) -> FakeParticipant:
    return FakeParticipant(HARMED_ID, Side.HARMED.value, **facts)


def responsible(**facts: Any) -> FakeParticipant:
    return FakeParticipant(RESPONSIBLE_ID, Side.RESPONSIBLE.value, **facts)


@dataclass
class FakeCase:
    """By default: requested, a qualifying sentence, both sides consented and cleared, no modality yet."""

    state: str = CaseState.REQUESTED.value
    modality: str | None = None
    paused_from: str | None = None
    outcome: str | None = None
    withdrawn_by_participant_id: int | None = None
    withdrawn_from: str | None = None
    sentence_recorded: bool = True
    sentence_qualifies: bool = True
    participant_facts: list[FakeParticipant] = field(default_factory=lambda: [harmed(), responsible()])
    open_agreement_items: int = 0

    def participant(self, participant_id: int) -> FakeParticipant:
        [person] = [p for p in self.participant_facts if p.id == participant_id]
        return person


def case_in(state: str, *, paused_from: str = CaseState.ASSESSMENT.value,
            modality: str | None = Modality.WRITTEN.value, **facts: Any) -> FakeCase:
    """A consistent case in ``state``: a paused case remembers where it was, a dialogue runs in its modality,
    a modality is chosen once past the request, and a closed case was withdrawn (so reopen can fire)."""
    facts.setdefault("outcome", Outcome.WITHDRAWN.value if state == CaseState.CLOSED else None)
    case = FakeCase(state=str(state), paused_from=str(paused_from) if state == CaseState.PAUSED else None, **facts)
    where = case.paused_from or case.state
    if where != CaseState.REQUESTED:
        chosen = modality_of(where)
        case.modality = chosen.value if chosen is not None else modality
    return case


@dataclass
class FakeMessage:
    state: str = MessageState.SUBMITTED.value
    case_state: str = CaseState.DIALOGUE_WRITTEN.value
    case_facts: FakeCase = field(default_factory=lambda: case_in(CaseState.DIALOGUE_WRITTEN))


# Checked by mypy: the fakes satisfy the protocols the rules are written against.
_case_facts: CaseFacts = FakeCase()
_participant_facts: ParticipantFacts = harmed()
_message_facts: MessageFacts = FakeMessage()
