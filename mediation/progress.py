"""The participant's progress line: their case's step as a few plain words (no diagram, no internal state
names), e.g. "Request received > Preparing > Dialogue > Closing > Closed" with the current one marked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflows.circle_workflow import CircleState
from workflows.programmes import CIRCLES, RESOCIALISATION, VICTIM_OFFENDER_MEDIATION, programme_of_version
from workflows.resocialisation_workflow import ClientState
from workflows.vocabulary import CaseState
from workflows.words import Words

# Each programme's phases in order: the words a participant reads, and the workflow states that count as it.
PHASES: Mapping[str, tuple[tuple[Words, frozenset[str]], ...]] = {
    VICTIM_OFFENDER_MEDIATION: (
        (Words("Request received"), frozenset({CaseState.REQUESTED})),
        (Words("Preparing"), frozenset({CaseState.ASSESSMENT, CaseState.PREPARATION})),
        (Words("Dialogue"), frozenset({CaseState.DIALOGUE_FACE_TO_FACE, CaseState.DIALOGUE_WRITTEN,
                                       CaseState.DIALOGUE_VIDEO, CaseState.DIALOGUE_RELAY})),
        (Words("Closing"), frozenset({CaseState.CLOSING})),
        (Words("Closed"), frozenset({CaseState.CLOSED})),
    ),
    # A paused circle still meets in the core member's eyes: the pause is the staff's to explain.
    CIRCLES: (
        (Words("Request received"), frozenset({CircleState.REQUESTED})),
        (Words("Being assessed"), frozenset({CircleState.ASSESSMENT})),
        (Words("Circle forming"), frozenset({CircleState.FORMING})),
        (Words("Circle meeting"), frozenset({CircleState.ACTIVE, CircleState.RENEWAL_DUE, CircleState.PAUSED})),
        (Words("Ended"), frozenset({CircleState.ENDED})),
    ),
    # An ended enrolment marks no phase: the page says in a sentence how it ended.
    RESOCIALISATION: (
        (Words("Enrolled"), frozenset({ClientState.ENROLLED})),
        (Words("Getting to know you"), frozenset({ClientState.ANAMNESIS})),
        (Words("Working on your goals"), frozenset({ClientState.FOCUS})),
        (Words("Looking back together"), frozenset({ClientState.EVALUATION})),
        (Words("Completed"), frozenset({ClientState.COMPLETED, ClientState.CONTINUING})),
    ),
}


@dataclass(frozen=True)
class ProgressStep:
    words: Words
    current: bool


def progress_line(version: str, state: str, paused_from: str | None = None) -> list[ProgressStep]:
    """The phases of the case's programme with the one it is in marked; a paused case stays in the phase it
    was paused from. A programme without phases gives an empty line (the page then shows only its sentence)."""
    here = paused_from if state == CaseState.PAUSED and paused_from else state
    phases = PHASES.get(programme_of_version(version).name, ())
    return [ProgressStep(words, here in states) for words, states in phases]
