"""The resocialisation training workflow (reso-1): the phases, the tracks as data, attendance counted in whole
minutes at its boundaries, the completion guard and what it says is missing, withdrawal from every open state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed, UnknownTrack, UnknownWorkflowVersion
from workflows.resocialisation_workflow import (
    ADULTS,
    END_REASONS,
    MINORS,
    OPEN_STATES,
    RESOCIALISATION_WORKFLOW,
    RESOCIALISATION_WORKFLOW_VERSION,
    TRACKS,
    ClientFacts,
    ClientOutcome,
    ClientState,
    SessionFacts,
    Track,
    attendance,
    attendance_met,
    check_session_date,
    check_session_minutes,
    hours,
    individual_plan_recorded,
    on_a_known_track,
    resocialisation_workflow,
    track,
)

S = ClientState


@dataclass
class FakeSession:
    minutes: int
    attended: bool = True


@dataclass
class FakeClient:
    """By default: enrolled on the adults' track, no session, no plan."""

    state: str = S.ENROLLED.value
    outcome: str | None = None
    track: str = "adults"
    sessions: list[FakeSession] = field(default_factory=list)
    individual_plan_recorded: bool = False


def sessions(count: int, minutes: int, **facts: Any) -> list[FakeSession]:
    return [FakeSession(minutes, **facts) for _ in range(count)]


def finished(track_code: str = "adults", **facts: Any) -> FakeClient:
    """A client in evaluation who attended exactly the track's minimum and has a plan: completion can fire."""
    chosen = TRACKS[RESOCIALISATION_WORKFLOW_VERSION][track_code]
    facts.setdefault("sessions", sessions(chosen.sessions, chosen.session_minutes))
    facts.setdefault("individual_plan_recorded", True)
    facts.setdefault("state", S.EVALUATION.value)
    facts.setdefault("track", track_code)
    return FakeClient(**facts)


# Checked by mypy: the fakes satisfy the protocols the rules are written against.
_client: ClientFacts = FakeClient()
_session: SessionFacts = FakeSession(120)


@pytest.fixture
def machine():
    return resocialisation_workflow()


def test_the_definition_names_its_version_and_states():
    assert RESOCIALISATION_WORKFLOW.version == RESOCIALISATION_WORKFLOW_VERSION == "reso-1"
    assert RESOCIALISATION_WORKFLOW.subject == "client"
    assert list(RESOCIALISATION_WORKFLOW.states) == ["enrolled", "anamnesis", "focus", "evaluation", "completed",
                                                     "continuing", "ended"]
    assert RESOCIALISATION_WORKFLOW.initial == "enrolled"
    assert set(OPEN_STATES) == set(ClientState) - {S.COMPLETED, S.ENDED}


def test_one_machine_per_version_and_an_unknown_version_is_refused():
    assert resocialisation_workflow() is resocialisation_workflow("reso-1")
    with pytest.raises(UnknownWorkflowVersion, match=r"'reso-9'.*known versions: reso-1"):
        resocialisation_workflow("reso-9")


# ---------------------------------------------------------------------------------------------------------------
# Tracks as data


def test_the_tracks_are_the_seed_s_numbers():
    assert (ADULTS.sessions, ADULTS.session_minutes, ADULTS.total_minutes) == (15, 120, 1800)
    assert (MINORS.sessions, MINORS.session_minutes, MINORS.total_minutes) == (14, 150, 2100)
    assert TRACKS == {"reso-1": {"adults": ADULTS, "minors": MINORS}}
    assert track("adults") is ADULTS
    assert track("minors", "reso-1") is MINORS


@pytest.mark.parametrize("code", ["children", "", "Adults"])
def test_an_unknown_track_is_refused_with_the_known_ones(code):
    with pytest.raises(UnknownTrack) as refused:
        track(code)
    assert str(refused.value) == f"{code!r} is not a track of this programme; choose one of: adults, minors."


def test_a_track_of_an_unknown_version_is_refused():
    with pytest.raises(UnknownWorkflowVersion, match=r"'reso-0'"):
        track("adults", "reso-0")


# ---------------------------------------------------------------------------------------------------------------
# Attendance


def test_attendance_counts_minutes_full_and_short_sessions():
    counted = attendance(ADULTS, [FakeSession(120), FakeSession(119), FakeSession(180), FakeSession(600, False)])
    assert (counted.minutes, counted.full_sessions, counted.short_sessions) == (419, 2, 1)
    assert counted.hours == Decimal("6.99")
    assert (counted.missing_minutes, counted.missing_sessions) == (1381, 13)
    assert not counted.met


def test_no_session_attended_misses_everything():
    counted = attendance(MINORS, [])
    assert (counted.minutes, counted.full_sessions, counted.short_sessions) == (0, 0, 0)
    assert [str(w) for w in counted.missing()] == ["35 more hours", "14 more full sessions"]


def test_adults_complete_at_fifteen_sessions_of_two_hours():
    counted = attendance(ADULTS, sessions(15, 120))
    assert (counted.minutes, counted.full_sessions, counted.met) == (1800, 15, True)
    assert counted.missing() == ()
    assert counted.hours == Decimal(30)


def test_fourteen_full_adult_sessions_are_one_short():
    counted = attendance(ADULTS, sessions(14, 120))
    assert (counted.missing_sessions, counted.met) == (1, False)
    assert [str(w) for w in counted.missing()] == ["2 more hours", "one more full session"]
    assert [str(w) for w in attendance(ADULTS, [*sessions(14, 120), FakeSession(60)]).missing()] \
        == ["one more hour", "one more full session"]


def test_29_9_hours_is_not_30():
    """1794 minutes (29.9 h) against 1800 (30 h): a short last session counts its hours, not as a full one."""
    short = attendance(ADULTS, [*sessions(14, 120), FakeSession(114)])
    assert (short.minutes, short.full_sessions, short.short_sessions) == (1794, 14, 1)
    assert (short.missing_minutes, short.missing_sessions) == (6, 1)
    assert [str(w) for w in short.missing()] == ["0.1 more hours", "one more full session"]
    enough = attendance(ADULTS, [*sessions(14, 120), FakeSession(120)])
    assert (enough.minutes, enough.met) == (1800, True)


def test_the_hours_minimum_is_judged_on_its_own():
    """With the seed's numbers the full sessions imply the hours; a track where they do not shows both rules."""
    lenient = Track("lenient", sessions=2, session_minutes=60, total_minutes=300)
    assert [str(w) for w in attendance(lenient, [FakeSession(60), FakeSession(60)]).missing()] == ["3 more hours"]
    assert attendance(lenient, [FakeSession(60), FakeSession(239)]).missing_minutes == 1
    assert attendance(lenient, [FakeSession(60), FakeSession(240)]).met


@pytest.mark.parametrize(("minutes", "full"), [(149, 0), (150, 1), (151, 1)])
def test_a_minor_s_session_is_full_from_two_and_a_half_hours(minutes, full):
    counted = attendance(MINORS, [FakeSession(minutes)])
    assert (counted.full_sessions, counted.short_sessions, counted.minutes) == (full, 1 - full, minutes)


@pytest.mark.parametrize(("minutes", "full"), [(119, 0), (120, 1)])
def test_an_adult_s_session_is_full_from_two_hours(minutes, full):
    assert attendance(ADULTS, [FakeSession(minutes)]).full_sessions == full


def test_minors_need_fourteen_full_sessions_and_35_hours():
    assert attendance(MINORS, sessions(14, 150)).met
    assert not attendance(MINORS, sessions(14, 149)).met
    thirteen = attendance(MINORS, [*sessions(13, 150), FakeSession(149)])
    assert (thirteen.minutes, thirteen.full_sessions) == (2099, 13)
    assert [str(w) for w in thirteen.missing()] == ["0.02 more hours", "one more full session"]
    many_short = attendance(MINORS, sessions(20, 149))
    assert (many_short.missing_minutes, many_short.missing_sessions) == (0, 14)


def test_unattended_sessions_count_for_nothing():
    assert attendance(ADULTS, sessions(15, 120, attended=False)).minutes == 0


@pytest.mark.parametrize("minutes", [-1, 0, 1441, 2.5, "120", True, None])
def test_a_session_with_an_impossible_duration_is_refused(minutes):
    with pytest.raises(InvalidArguments):
        check_session_minutes(minutes)
    with pytest.raises(InvalidArguments):
        attendance(ADULTS, [FakeSession(minutes)])


@pytest.mark.parametrize("minutes", [1, 150, 1440])
def test_a_session_lasts_whole_minutes(minutes):
    assert check_session_minutes(minutes) == minutes


def test_a_session_in_the_future_is_refused():
    today = date(2026, 12, 4)
    assert check_session_date(today, today) == today
    with pytest.raises(InvalidArguments, match="A session on 2026-12-05 has not happened yet"):
        check_session_date(date(2026, 12, 5), today)


@pytest.mark.parametrize(("minutes", "said"), [(6, "0.1"), (1, "0.02"), (750, "12.5"), (1800, "30"), (7, "0.12"),
                                               (0, "0")])
def test_hours_round_up_to_the_hundredth(minutes, said):
    assert str(hours(minutes)) == said


# ---------------------------------------------------------------------------------------------------------------
# The phases, transition by transition


def test_a_client_through_the_phases_to_completion_and_voluntary_continuation(machine):
    client = FakeClient()
    assert machine.fire(client, "begin_anamnesis") == "anamnesis"
    assert machine.fire(client, "begin_focus") == "focus"
    assert machine.fire(client, "begin_evaluation") == "evaluation"
    client.sessions = sessions(15, 120)
    client.individual_plan_recorded = True
    assert machine.fire(client, "complete") == "completed"
    assert client.outcome == ClientOutcome.COMPLETED
    assert machine.fire(client, "continue_voluntarily") == "continuing"
    assert machine.fire(client, "end", reason="voluntary_support_finished") == "ended"
    assert client.outcome == ClientOutcome.COMPLETED


def test_the_triggers_of_each_state(machine):
    assert machine.triggers_from("enrolled") == ("begin_anamnesis", "end", "withdraw")
    assert machine.triggers_from("anamnesis") == ("begin_focus", "end", "withdraw")
    assert machine.triggers_from("focus") == ("begin_evaluation", "end", "withdraw")
    assert machine.triggers_from("evaluation") == ("complete", "end", "withdraw")
    assert machine.triggers_from("completed") == ("continue_voluntarily",)
    assert machine.triggers_from("continuing") == ("end", "withdraw")
    assert machine.triggers_from("ended") == ()


def test_an_enrolment_on_an_unknown_track_cannot_start(machine):
    client = FakeClient(track="children")
    assert not on_a_known_track.holds(client)
    with pytest.raises(GuardNotMet) as refused:
        machine.fire(client, "begin_anamnesis")
    assert refused.value.unmet == ("on_a_known_track",)
    assert "the client is not enrolled on a track of this programme" in str(refused.value)


@pytest.mark.parametrize(("state", "trigger"), [
    (S.ENROLLED, "begin_focus"), (S.ENROLLED, "complete"), (S.ANAMNESIS, "begin_evaluation"),
    (S.ANAMNESIS, "complete"), (S.FOCUS, "complete"), (S.FOCUS, "begin_anamnesis"),
    (S.EVALUATION, "continue_voluntarily"), (S.COMPLETED, "complete"), (S.COMPLETED, "withdraw"),
])
def test_the_phases_go_in_order(machine, state, trigger):
    with pytest.raises(TriggerNotAllowed):
        machine.fire(finished(state=state.value), trigger)


# ---------------------------------------------------------------------------------------------------------------
# The completion guard


@pytest.mark.parametrize("track_code", ["adults", "minors"])
def test_completion_at_exactly_the_minimum(machine, track_code):
    client = finished(track_code)
    assert attendance_met.holds(client)
    assert machine.fire(client, "complete") == "completed"


def test_completion_without_a_plan_is_refused(machine):
    client = finished(individual_plan_recorded=False)
    assert not individual_plan_recorded.holds(client)
    with pytest.raises(GuardNotMet) as refused:
        machine.fire(client, "complete")
    assert refused.value.unmet == ("individual_plan_recorded",)
    assert str(refused.value) == "'complete' cannot happen yet: no individual plan."
    assert (client.state, client.outcome) == ("evaluation", None)


def test_completion_says_exactly_what_is_missing(machine):
    """Thirteen full sessions of two hours and one of 45 minutes: 26.75 h, 2 sessions short, and no plan."""
    client = finished(sessions=[*sessions(13, 120), FakeSession(45)], individual_plan_recorded=False)
    with pytest.raises(GuardNotMet) as refused:
        machine.fire(client, "complete")
    assert refused.value.unmet == ("attendance_met", "individual_plan_recorded")
    assert str(refused.value) == ("'complete' cannot happen yet: attendance is short: 3.25 more hours; 2 more full "
                                  "sessions; no individual plan.")
    assert client.state == "evaluation"


def test_completion_names_12_5_more_hours(machine):
    client = finished(sessions=[*sessions(8, 120), FakeSession(90)])
    with pytest.raises(GuardNotMet) as refused:
        machine.fire(client, "complete")
    assert "attendance is short: 12.5 more hours; 7 more full sessions." in str(refused.value)


@pytest.mark.parametrize(("track_code", "attended", "met"), [
    pytest.param("adults", [*sessions(14, 120), FakeSession(114)], False, id="adults-1794-minutes"),
    pytest.param("adults", [*sessions(14, 120), FakeSession(120)], True, id="adults-1800-minutes"),
    pytest.param("adults", sessions(14, 130), False, id="adults-14-sessions-30-hours"),
    pytest.param("adults", sessions(15, 120), True, id="adults-15-sessions"),
    pytest.param("minors", [*sessions(13, 150), FakeSession(149), FakeSession(149)], False,
                 id="minors-a-149-minute-session"),
    pytest.param("minors", sessions(14, 150), True, id="minors-14-of-150-minutes"),
    pytest.param("minors", sessions(13, 180), False, id="minors-13-sessions-39-hours"),
])
def test_the_completion_boundaries(machine, track_code, attended, met):
    client = finished(track_code, sessions=attended)
    assert attendance_met.holds(client) is met
    if met:
        assert machine.fire(client, "complete") == "completed"
    else:
        with pytest.raises(GuardNotMet) as refused:
            machine.fire(client, "complete")
        assert refused.value.unmet == ("attendance_met",)


def test_the_adults_track_asks_more_sessions_than_the_minors(machine):
    client = finished("adults", sessions=sessions(14, 150))
    assert not attendance_met.holds(client)
    client.track = "minors"
    assert attendance_met.holds(client)


def test_completion_on_an_unknown_track_is_a_clear_error(machine):
    client = finished(track="children")
    with pytest.raises(UnknownTrack, match="'children' is not a track of this programme"):
        machine.fire(client, "complete")
    assert client.state == "evaluation"


# ---------------------------------------------------------------------------------------------------------------
# Ending and withdrawing


@pytest.mark.parametrize("state", [s for s in OPEN_STATES if s != S.CONTINUING])
def test_the_client_withdraws_from_every_open_state_without_a_reason(machine, state):
    client = FakeClient(state=state.value)
    assert machine.fire(client, "withdraw") == "ended"
    assert client.outcome == ClientOutcome.WITHDRAWN


def test_withdrawing_while_continuing_voluntarily_keeps_the_completion(machine):
    client = FakeClient(state=S.CONTINUING.value, outcome=ClientOutcome.COMPLETED.value)
    assert machine.fire(client, "withdraw") == "ended"
    assert client.outcome == ClientOutcome.COMPLETED


@pytest.mark.parametrize("reason", END_REASONS)
@pytest.mark.parametrize("state", [s for s in OPEN_STATES if s != S.CONTINUING])
def test_the_worker_ends_from_every_open_state_with_a_reason(machine, state, reason):
    client = FakeClient(state=state.value)
    assert machine.fire(client, "end", reason=reason) == "ended"
    assert client.outcome == ClientOutcome.NOT_COMPLETED


def test_end_needs_a_reason_from_the_vocabulary(machine):
    with pytest.raises(InvalidArguments, match="'end' needs a reason; choose one of: did_not_attend"):
        machine.fire(FakeClient(), "end")
    with pytest.raises(InvalidArguments, match="'moody' is not a reason for 'end'"):
        machine.fire(FakeClient(), "end", reason="moody")
