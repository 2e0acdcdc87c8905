"""Named predicates over a case that decide whether a trigger may fire. Each is testable on its own."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Protocol

from workflows.engine import Arguments, Guard
from workflows.vocabulary import CaseState, Consent, Modality, Outcome, ParticipantRole, Safety, Side
from workflows.words import Code, Words


class ParticipantFacts(Protocol):
    id: int
    side: str
    role: str
    takes_part_in_meetings: bool
    consent: str
    safety: str


def gates_dialogue(person: ParticipantFacts) -> bool:
    """Whether this person's consent and safety decide if the dialogue may go on: everyone but a support
    person, who gates it only when they take part in a meeting."""
    return person.role != ParticipantRole.SUPPORT or bool(person.takes_part_in_meetings)


def dialogue_members(case: CaseFacts) -> list[ParticipantFacts]:
    """The people whose consent and safety the dialogue's guards read."""
    return [p for p in case.participant_facts if gates_dialogue(p)]


class CaseFacts(Protocol):
    state: str
    modality: str | None
    paused_from: str | None
    outcome: str | None
    withdrawn_from: str | None

    @property
    def sentence_recorded(self) -> bool: ...

    @property
    def sentence_qualifies(self) -> bool: ...

    @property
    def participant_facts(self) -> Sequence[ParticipantFacts]: ...

    @property
    def open_agreement_items(self) -> int: ...


def _sentence_recorded(case: CaseFacts, _: Arguments) -> bool:
    return case.sentence_recorded


def _sentence_qualifies(case: CaseFacts, _: Arguments) -> bool:
    return case.sentence_recorded and case.sentence_qualifies


def _both_sides_present(case: CaseFacts, _: Arguments) -> bool:
    sides = {p.side for p in case.participant_facts if p.role != ParticipantRole.SUPPORT}
    return {Side.HARMED.value, Side.RESPONSIBLE.value} <= sides


def _all_consented(case: CaseFacts, _: Arguments) -> bool:
    people = dialogue_members(case)
    return bool(people) and all(p.consent == Consent.GIVEN for p in people)


def _safety_cleared(case: CaseFacts, _: Arguments) -> bool:
    people = dialogue_members(case)
    return bool(people) and all(p.safety == Safety.CLEARED for p in people)


def _modality_chosen(case: CaseFacts, _: Arguments) -> bool:
    return case.modality is not None


def _was_withdrawn(case: CaseFacts, _: Arguments) -> bool:
    return case.outcome == Outcome.WITHDRAWN


def _withdrawn_after_screening(case: CaseFacts, _: Arguments) -> bool:
    return case.withdrawn_from not in (None, CaseState.REQUESTED)


def _modality_changes(case: CaseFacts, arguments: Arguments) -> bool:
    return arguments.get("modality") != case.modality


def _named_participant_on_case(case: CaseFacts, arguments: Arguments) -> bool:
    wanted = arguments.get("participant_id")
    return any(p.id == wanted for p in case.participant_facts)


sentence_recorded = Guard("sentence_recorded", "no sentence data has been recorded", _sentence_recorded)
sentence_qualifies = Guard(
    "sentence_qualifies", "the sentence is not two years or more (and no override says otherwise)",
    _sentence_qualifies)
both_sides_present = Guard(
    "both_sides_present", "the case needs at least one harmed party and the person responsible",
    _both_sides_present)
all_consented = Guard("all_consented", "not every participant has given consent", _all_consented)
safety_cleared = Guard("safety_cleared", "the safety assessment has not cleared every participant",
                       _safety_cleared)
modality_chosen = Guard("modality_chosen", "no modality has been chosen", _modality_chosen)
was_withdrawn = Guard("was_withdrawn", "only a withdrawn case can be reopened", _was_withdrawn)
withdrawn_after_screening = Guard(
    "withdrawn_after_screening", "the case was withdrawn before its eligibility was checked",
    _withdrawn_after_screening)
modality_changes = Guard("modality_changes", "the dialogue already runs in that modality", _modality_changes,
                         uses_arguments=True)
participant_on_case = Guard(
    "participant_on_case", "the participant named is not part of this case", _named_participant_on_case,
    uses_arguments=True)


@cache
def modality_is(modality: Modality) -> Guard:
    """The modality chosen for the case is ``modality``."""
    return Guard(f"modality_is_{modality}", Words("the chosen modality is not %(modality)s", modality=Code(modality)),
                 lambda case, _: case.modality == modality)


@cache
def requested_modality_is(modality: Modality) -> Guard:
    """The caller asks to switch the dialogue to ``modality``."""
    return Guard(f"requested_modality_is_{modality}",
                 Words("the new modality asked for is not %(modality)s", modality=Code(modality)),
                 lambda _, arguments: arguments.get("modality") == modality, uses_arguments=True)


@cache
def paused_from_is(state: CaseState) -> Guard:
    """The case was paused while it was in ``state``."""
    return Guard(f"paused_from_{state}", Words("the case was not paused from %(state)s", state=Code(state)),
                 lambda case, _: case.paused_from == state)
