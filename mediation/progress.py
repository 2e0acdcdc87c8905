"""The participant's progress line: their case's step as a few plain words (no diagram, no internal state
names), e.g. "Request received > Preparing > Dialogue > Closing > Closed" with the current one marked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflows.programmes import VICTIM_OFFENDER_MEDIATION, programme_of_version
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
