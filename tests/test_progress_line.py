"""The participant's progress line in every programme: each step of the workflow shows as exactly one phase."""

from __future__ import annotations

import pytest

from mediation.progress import PHASES, progress_line
from workflows.programmes import programmes

# States a person is told about in a sentence instead of a marked phase; a paused mediation shows the phase it
# was paused from (below).
UNMARKED = {"resocialisation": {"ended"}, "victim_offender_mediation": {"paused"}}


@pytest.mark.parametrize("programme", programmes(), ids=lambda p: p.name)
def test_every_step_of_every_programme_marks_exactly_one_phase(programme) -> None:
    definition = programme.definition()
    assert PHASES[programme.name], "a programme without a progress line"
    for state in definition.states:
        marked = [step.words.text for step in progress_line(definition.version, str(state)) if step.current]
        expected = 0 if str(state) in UNMARKED.get(programme.name, set()) else 1
        assert len(marked) == expected, (programme.name, state, marked)


def test_a_paused_circle_still_reads_as_meeting_and_a_completed_client_as_completed() -> None:
    def current(version: str, state: str) -> list[str]:
        return [step.words.text for step in progress_line(version, state) if step.current]

    assert current("cosa-1", "paused") == ["Circle meeting"]
    assert current("reso-1", "continuing") == ["Completed"]
    paused = [step.words.text for step in progress_line("vom-1", "paused", "dialogue_written") if step.current]
    assert paused == ["Dialogue"]
