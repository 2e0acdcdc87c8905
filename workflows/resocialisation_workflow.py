"""The resocialisation (social) training programme (seed 002, DESIGN.md section 7), as data for one shared machine.

A client is enrolled on a track whose numbers are data of the definition (``TRACKS`` by workflow version):
adults attend 15 sessions of at least 2 hours and at least 30 hours in all, minors 14 sessions of at least
2.5 hours and at least 35 hours in all. Durations are whole minutes, so no boundary is lost to floating point.

States (``ClientState``):

- ``enrolled``: on a track, not yet started.
- ``anamnesis``, ``focus``, ``evaluation``: the three phases, in order.
- ``completed``: the completion guard held (attendance met AND an individual plan recorded); ``outcome`` is
  ``completed``.
- ``continuing``: after completion, the client continues voluntarily (``outcome`` stays ``completed``).
- ``ended``: over without completing (``withdrawn`` by the client, or ``not_completed`` when ended by the
  worker) or after continuing voluntarily (``outcome`` stays ``completed``).

The client can withdraw from every open state without giving a reason; the worker ends with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Any, Protocol

from workflows.engine import (
    Arguments,
    Effect,
    Guard,
    SharedWorkflow,
    TransitionContext,
    TransitionSpec,
    TriggerSpec,
    Versions,
    WorkflowDefinition,
)
from workflows.errors import InvalidArguments, UnknownTrack, UnknownWorkflowVersion
from workflows.words import Words, codes

RESOCIALISATION_WORKFLOW_VERSION = "reso-1"


class ClientState(StrEnum):
    ENROLLED = "enrolled"
    ANAMNESIS = "anamnesis"
    FOCUS = "focus"
    EVALUATION = "evaluation"
    COMPLETED = "completed"
    CONTINUING = "continuing"
    ENDED = "ended"


class ClientOutcome(StrEnum):
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    NOT_COMPLETED = "not_completed"


PHASES: tuple[ClientState, ...] = (ClientState.ANAMNESIS, ClientState.FOCUS, ClientState.EVALUATION)
OPEN_STATES: tuple[ClientState, ...] = (ClientState.ENROLLED, *PHASES, ClientState.CONTINUING)

# Why the activation worker ends a client's programme.
END_REASONS = ("did_not_attend", "measure_revoked", "returned_to_custody", "moved_away",
               "voluntary_support_finished", "other")


@dataclass(frozen=True)
class Track:
    """What a track asks of a client: full sessions, the minimum length of one, and the minimum in all."""

    code: str
    sessions: int  # full sessions required
    session_minutes: int  # the least a session lasts to count as a full session
    total_minutes: int  # the least attended in all


ADULTS = Track("adults", sessions=15, session_minutes=120, total_minutes=30 * 60)
MINORS = Track("minors", sessions=14, session_minutes=150, total_minutes=35 * 60)

# The tracks of each version of the definition: a client keeps the numbers of the version they enrolled under.
TRACKS: Mapping[str, Mapping[str, Track]] = {
    RESOCIALISATION_WORKFLOW_VERSION: {track.code: track for track in (ADULTS, MINORS)},
}


def track(code: str, version: str = RESOCIALISATION_WORKFLOW_VERSION) -> Track:
    """The track ``code`` of the definition ``version``; an unknown one is refused with the known ones listed."""
    tracks = TRACKS.get(version)
    if tracks is None:
        raise UnknownWorkflowVersion(
            "this client's programme runs under workflow version %(version)s, which this installation does not "
            "know; known versions: %(known)s", version=repr(version), known=", ".join(TRACKS))
    if code not in tracks:
        raise UnknownTrack("%(value)s is not a track of this programme; choose one of: %(choices)s.",
                           value=repr(code)[:80], choices=codes(tuple(tracks)))
    return tracks[code]


class SessionFacts(Protocol):
    minutes: int  # how long the session lasted
    attended: bool  # whether the client attended it


def check_session_minutes(minutes: Any) -> int:
    """A session's duration as recorded: a whole, positive number of minutes, at most a day."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidArguments("A session's duration is a whole number of minutes.")
    if minutes <= 0:
        raise InvalidArguments("A session lasts more than 0 minutes, not %(minutes)s.", minutes=minutes)
    if minutes > 24 * 60:
        raise InvalidArguments("A session lasts at most a day (1440 minutes), not %(minutes)s.", minutes=minutes)
    return minutes


def check_session_date(held_on: date, today: date) -> date:
    """A session is recorded once held: never on a day still to come."""
    if held_on > today:
        raise InvalidArguments("A session on %(day)s has not happened yet; record it once it is held.",
                               day=held_on.isoformat())
    return held_on


def hours(minutes: int) -> Decimal:
    """Minutes as hours, rounded up to the hundredth so that a shortfall never reads as none (6 min: 0.1)."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))


@dataclass(frozen=True)
class Attendance:
    """What a client attended against their track: hours in all, full and short sessions, what is missing."""

    track: Track
    minutes: int  # every attended session's minutes, short ones included
    full_sessions: int  # attended sessions at least the track's minimum long
    short_sessions: int  # attended sessions shorter than that: they count for their hours only

    @property
    def hours(self) -> Decimal:
        return hours(self.minutes)

    @property
    def missing_minutes(self) -> int:
        return max(0, self.track.total_minutes - self.minutes)

    @property
    def missing_sessions(self) -> int:
        return max(0, self.track.sessions - self.full_sessions)

    @property
    def met(self) -> bool:
        return self.missing_minutes == 0 and self.missing_sessions == 0

    def missing(self) -> tuple[Words, ...]:
        """What is still missing, e.g. "12.5 more hours" and "2 more full sessions"; empty when met."""
        said: list[Words] = []
        if self.missing_minutes == 60:
            said.append(Words("one more hour"))
        elif self.missing_minutes:
            said.append(Words("%(hours)s more hours", hours=str(hours(self.missing_minutes))))
        if self.missing_sessions == 1:
            said.append(Words("one more full session"))
        elif self.missing_sessions:
            said.append(Words("%(count)s more full sessions", count=self.missing_sessions))
        return tuple(said)


def attendance(track: Track, sessions: Sequence[SessionFacts]) -> Attendance:
    """Count the sessions the client attended: all their minutes, and as full sessions only those at least the
    track's minimum long. A negative or absurd duration is refused, not counted."""
    attended = [check_session_minutes(s.minutes) for s in sessions if s.attended]
    full = sum(1 for minutes in attended if minutes >= track.session_minutes)
    return Attendance(track, sum(attended), full, len(attended) - full)


class ClientFacts(Protocol):
    state: str
    outcome: str | None
    track: str  # a track code of the definition's version

    @property
    def sessions(self) -> Sequence[SessionFacts]: ...

    @property
    def individual_plan_recorded(self) -> bool: ...


def _tracks_guards(version: str) -> tuple[Guard, Guard]:
    """The guards that read the client's track in the numbers of ``version``."""

    def attendance_of(client: ClientFacts) -> Attendance:
        return attendance(track(client.track, version), client.sessions)

    def explain(client: ClientFacts, _: Arguments) -> Words:
        missing = attendance_of(client).missing()
        return Words("attendance is short: %(missing)s", missing=missing) if missing else attendance_met.explanation

    on_a_track = Guard("on_a_known_track", "the client is not enrolled on a track of this programme",
                       lambda client, _: client.track in TRACKS[version])
    attendance_met = Guard(
        "attendance_met", "the client has not attended the track's minimum hours and full sessions",
        lambda client, _: attendance_of(client).met, explain=explain)
    return on_a_track, attendance_met


on_a_known_track, attendance_met = _tracks_guards(RESOCIALISATION_WORKFLOW_VERSION)
individual_plan_recorded = Guard("individual_plan_recorded", "no individual plan",
                                 lambda client, _: bool(client.individual_plan_recorded))

RESOCIALISATION_TRIGGERS: dict[str, TriggerSpec] = {
    spec.name: spec
    for spec in (
        TriggerSpec("begin_anamnesis", "Begin the anamnesis"),
        TriggerSpec("begin_focus", "Move to the focus phase"),
        TriggerSpec("begin_evaluation", "Move to the evaluation"),
        TriggerSpec("complete", "Record completion"),
        TriggerSpec("continue_voluntarily", "Continue voluntarily"),
        TriggerSpec("end", "End the programme", reasons=END_REASONS),
        TriggerSpec("withdraw", "Withdraw from the programme"),
    )
}


def _record(outcome: ClientOutcome) -> Effect:
    """Record how it ended, unless the client had completed: completing stays completed."""

    def record(client: Any, _: TransitionContext) -> None:
        if client.outcome != ClientOutcome.COMPLETED:
            client.outcome = outcome.value

    return record


def _transitions() -> tuple[TransitionSpec, ...]:
    s = ClientState
    specs = [
        TransitionSpec("begin_anamnesis", s.ENROLLED, s.ANAMNESIS, guards=(on_a_known_track,)),
        TransitionSpec("begin_focus", s.ANAMNESIS, s.FOCUS),
        TransitionSpec("begin_evaluation", s.FOCUS, s.EVALUATION),
        TransitionSpec("complete", s.EVALUATION, s.COMPLETED, guards=(attendance_met, individual_plan_recorded),
                       effects=(_record(ClientOutcome.COMPLETED),)),
        TransitionSpec("continue_voluntarily", s.COMPLETED, s.CONTINUING),
    ]
    specs += [TransitionSpec("end", state, s.ENDED, effects=(_record(ClientOutcome.NOT_COMPLETED),))
              for state in OPEN_STATES]
    specs += [TransitionSpec("withdraw", state, s.ENDED, effects=(_record(ClientOutcome.WITHDRAWN),))
              for state in OPEN_STATES]
    return tuple(specs)


RESOCIALISATION_WORKFLOW = WorkflowDefinition(
    name="resocialisation training",
    subject="client",
    version=RESOCIALISATION_WORKFLOW_VERSION,
    states=tuple(ClientState),
    initial=ClientState.ENROLLED,
    final_states=(ClientState.COMPLETED, ClientState.ENDED),
    triggers=RESOCIALISATION_TRIGGERS,
    transitions=_transitions(),
)

_VERSIONS = Versions(RESOCIALISATION_WORKFLOW)
RESOCIALISATION_DEFINITIONS = _VERSIONS.definitions


def resocialisation_workflow(version: str = RESOCIALISATION_WORKFLOW_VERSION) -> SharedWorkflow:
    """The process-wide machine for ``version``; a client keeps the version they enrolled under."""
    return _VERSIONS.machine(version, lambda: UnknownWorkflowVersion(
        "this client's programme runs under workflow version %(version)s, which this installation does not "
        "know; known versions: %(known)s", version=repr(version), known=_VERSIONS.known))
