"""Circles of Support and Accountability (seed 001, DESIGN.md section 7), as data for one shared machine.

A core member (released after a sexual offence, at high risk of reoffending) asks for a circle; a coordinator
assesses the request; a circle forms around them with three or four screened and trained volunteers under the
supervision of a staff member, and runs for a year, renewable each year while the core member wishes.

States (``CircleState``):

- ``requested``: the core member asked for a circle; nobody has looked at it yet.
- ``assessment``: the coordinator assesses the request; it is accepted (``form``) or declined with a reason.
- ``forming``: volunteers join (only screened and trained ones, at most four); ``activate`` needs at least three,
  the core member and a supervising staff member.
- ``active``: the circle meets. A volunteer may still join (a replacement), up to four.
- ``renewal_due``: the year's anniversary came (``anniversary``, fired by a timer once timers exist): the circle
  is renewed for a year with the core member's consent (``renew``) or ended (``end``, e.g. ``not_renewed``).
- ``paused``: a serious concern paused the circle; it resumes only once the escalation (to whom the concern was
  taken) is recorded, or it ends.
- ``ended``: over; ``outcome`` says how (declined, ended, withdrawn), the audit trail keeps the reason.

The core member can withdraw from every open state, at any time and without giving a reason (taking part is
voluntary), like a participant in mediation.

Adding a volunteer is the reflexive trigger ``add_volunteer`` (forming -> forming, active -> active) with the
volunteer as its ``volunteer`` argument; its effect appends that volunteer to ``circle.volunteers``, so the
workflow is what refuses a fifth volunteer or one not yet screened and trained.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from workflows.errors import UnknownWorkflowVersion
from workflows.words import Words

CIRCLE_WORKFLOW_VERSION = "cosa-1"

MIN_VOLUNTEERS = 3
MAX_VOLUNTEERS = 4


class CircleState(StrEnum):
    REQUESTED = "requested"
    ASSESSMENT = "assessment"
    FORMING = "forming"
    ACTIVE = "active"
    RENEWAL_DUE = "renewal_due"
    PAUSED = "paused"
    ENDED = "ended"


class CircleOutcome(StrEnum):
    DECLINED = "declined"  # the request was declined at assessment
    ENDED = "ended"  # the circle was ended (not renewed, engagement over, a serious concern...)
    WITHDRAWN = "withdrawn"  # the core member ended their participation


OPEN_STATES: tuple[CircleState, ...] = (
    CircleState.REQUESTED, CircleState.ASSESSMENT, CircleState.FORMING, CircleState.ACTIVE,
    CircleState.RENEWAL_DUE, CircleState.PAUSED,
)
# Where a volunteer may join the circle.
VOLUNTEERS_JOIN_IN: tuple[CircleState, ...] = (CircleState.FORMING, CircleState.ACTIVE)

# Why the coordinator declines a request at assessment.
DECLINE_REASONS = ("outside_criteria", "not_ready", "risk_unmanageable", "no_volunteers_available", "other")
# Why a circle ends (other than the core member's own withdrawal, which needs no reason).
END_REASONS = ("engagement_ended", "not_renewed", "core_member_withdrew", "serious_concern",
               "returned_to_custody", "other")
# Why a circle is paused: a serious concern (a warning sign raised from the minutes), or something else.
PAUSE_REASONS = ("serious_concern", "other")


class VolunteerFacts(Protocol):
    id: int
    screened: bool  # references, police check and interview done
    trained: bool  # the volunteers' training completed


class CircleFacts(Protocol):
    state: str
    outcome: str | None
    engagement_year: int  # 1 in the first year; a renewal adds one

    @property
    def volunteers(self) -> Sequence[VolunteerFacts]: ...

    @property
    def core_member_present(self) -> bool: ...

    @property
    def supervisor_assigned(self) -> bool: ...

    @property
    def anniversary_reached(self) -> bool: ...

    @property
    def escalation_recorded(self) -> bool:
        """Whom the serious concern that paused the circle was escalated to has been recorded."""
        ...


# ---------------------------------------------------------------------------------------------------------------
# Volunteers: who counts, who may join


def volunteer_gaps(volunteer: VolunteerFacts) -> tuple[Words, ...]:
    """What this volunteer still lacks to take part in a circle: screening, training or both; empty if nothing."""
    gaps = []
    if not volunteer.screened:
        gaps.append(Words("volunteer #%(number)s has not been screened", number=str(volunteer.id)))
    if not volunteer.trained:
        gaps.append(Words("volunteer #%(number)s has not completed the training", number=str(volunteer.id)))
    return tuple(gaps)


def volunteer_ready(volunteer: VolunteerFacts) -> bool:
    """Screened AND trained: only such a volunteer counts in a circle or may join one."""
    return not volunteer_gaps(volunteer)


def ready_volunteers(circle: CircleFacts) -> list[VolunteerFacts]:
    return [v for v in circle.volunteers if volunteer_ready(v)]


def can_add_volunteer(circle: CircleFacts) -> bool:
    """Whether the circle has room for one more volunteer (it has fewer than MAX_VOLUNTEERS)."""
    return len(circle.volunteers) < MAX_VOLUNTEERS


def _room_for_volunteer(circle: CircleFacts, _: Arguments) -> bool:
    return can_add_volunteer(circle)


def _volunteer_argument_ready(_: CircleFacts, arguments: Arguments) -> bool:
    volunteer = arguments.get("volunteer")
    return volunteer is not None and volunteer_ready(volunteer)


def _explain_volunteer_argument(_: CircleFacts, arguments: Arguments) -> Words:
    volunteer = arguments.get("volunteer")
    if volunteer is None:
        return volunteer_can_join.explanation
    return Words("the volunteer cannot join yet: %(gaps)s", gaps=volunteer_gaps(volunteer))


def _volunteer_not_yet_in_circle(circle: CircleFacts, arguments: Arguments) -> bool:
    volunteer = arguments.get("volunteer")
    return volunteer is not None and all(v.id != volunteer.id for v in circle.volunteers)


def _enough_volunteers(circle: CircleFacts, _: Arguments) -> bool:
    return len(ready_volunteers(circle)) >= MIN_VOLUNTEERS


def _explain_enough_volunteers(circle: CircleFacts, _: Arguments) -> Words:
    return Words("the circle has %(count)s screened and trained volunteer(s); it needs at least %(minimum)s",
                 count=len(ready_volunteers(circle)), minimum=MIN_VOLUNTEERS)


def _at_most_max_volunteers(circle: CircleFacts, _: Arguments) -> bool:
    return len(circle.volunteers) <= MAX_VOLUNTEERS


def _all_volunteers_ready(circle: CircleFacts, _: Arguments) -> bool:
    return all(volunteer_ready(v) for v in circle.volunteers)


def _explain_all_volunteers_ready(circle: CircleFacts, _: Arguments) -> Words:
    gaps = tuple(gap for v in circle.volunteers for gap in volunteer_gaps(v))
    return Words("not every volunteer is ready: %(gaps)s", gaps=gaps) if gaps else all_volunteers_ready.explanation


room_for_volunteer = Guard(
    "room_for_volunteer", Words("the circle already has %(maximum)s volunteers", maximum=MAX_VOLUNTEERS),
    _room_for_volunteer)
volunteer_can_join = Guard(
    "volunteer_screened_and_trained", "only a screened and trained volunteer can join a circle",
    _volunteer_argument_ready, uses_arguments=True, explain=_explain_volunteer_argument)
volunteer_not_in_circle = Guard(
    "volunteer_not_in_circle", "the volunteer is already in this circle", _volunteer_not_yet_in_circle,
    uses_arguments=True)
enough_volunteers = Guard(
    "enough_volunteers", Words("a circle needs at least %(minimum)s screened and trained volunteers",
                               minimum=MIN_VOLUNTEERS),
    _enough_volunteers, explain=_explain_enough_volunteers)
at_most_max_volunteers = Guard(
    "at_most_max_volunteers", Words("a circle has at most %(maximum)s volunteers", maximum=MAX_VOLUNTEERS),
    _at_most_max_volunteers)
all_volunteers_ready = Guard(
    "all_volunteers_ready", "every volunteer in the circle must be screened and trained", _all_volunteers_ready,
    explain=_explain_all_volunteers_ready)

# ---------------------------------------------------------------------------------------------------------------
# The circle itself

core_member_present = Guard("core_member_present", "the circle has no core member",
                            lambda circle, _: bool(circle.core_member_present))
supervisor_assigned = Guard("supervisor_assigned", "no staff member has been assigned to supervise the circle",
                            lambda circle, _: bool(circle.supervisor_assigned))
anniversary_reached = Guard("anniversary_reached", "the year of engagement is not over yet",
                            lambda circle, _: bool(circle.anniversary_reached))
escalation_recorded = Guard(
    "escalation_recorded", "whom the serious concern was escalated to has not been recorded",
    lambda circle, _: bool(circle.escalation_recorded))
core_member_consents = Guard(
    "core_member_consents", "the core member has not consented to renew the circle",
    lambda _, arguments: arguments.get("core_member_consents") is True, uses_arguments=True)

CIRCLE_TRIGGERS: dict[str, TriggerSpec] = {
    spec.name: spec
    for spec in (
        TriggerSpec("assess", "Assess the request"),
        TriggerSpec("decline", "Decline the request", reasons=DECLINE_REASONS),
        TriggerSpec("form", "Accept and form the circle"),
        TriggerSpec("add_volunteer", "Add a volunteer", required=("volunteer",)),
        TriggerSpec("activate", "Start the circle"),
        TriggerSpec("pause", "Pause the circle", reasons=PAUSE_REASONS),
        TriggerSpec("resume", "Resume the circle"),
        TriggerSpec("anniversary", "Ask for the renewal decision"),
        TriggerSpec("renew", "Renew for a year", required=("core_member_consents",)),
        TriggerSpec("end", "End the circle", reasons=END_REASONS),
        TriggerSpec("withdraw", "Withdraw from the circle"),
    )
}


def _record(outcome: CircleOutcome) -> Effect:
    def record(circle: Any, _: TransitionContext) -> None:
        circle.outcome = outcome.value

    return record


def _join(circle: Any, context: TransitionContext) -> None:
    circle.volunteers.append(context.arguments["volunteer"])


def _next_year(circle: Any, _: TransitionContext) -> None:
    circle.engagement_year += 1


def _transitions() -> tuple[TransitionSpec, ...]:
    s = CircleState
    specs = [
        TransitionSpec("assess", s.REQUESTED, s.ASSESSMENT),
        TransitionSpec("decline", s.ASSESSMENT, s.ENDED, effects=(_record(CircleOutcome.DECLINED),)),
        TransitionSpec("form", s.ASSESSMENT, s.FORMING, guards=(core_member_present, supervisor_assigned)),
    ]
    specs += [TransitionSpec("add_volunteer", state, state,
                             guards=(room_for_volunteer, volunteer_not_in_circle, volunteer_can_join),
                             effects=(_join,))
              for state in VOLUNTEERS_JOIN_IN]
    specs += [
        TransitionSpec("activate", s.FORMING, s.ACTIVE,
                       guards=(core_member_present, supervisor_assigned, enough_volunteers, at_most_max_volunteers,
                               all_volunteers_ready)),
        TransitionSpec("pause", s.ACTIVE, s.PAUSED),
        TransitionSpec("resume", s.PAUSED, s.ACTIVE, guards=(escalation_recorded,)),
        TransitionSpec("anniversary", s.ACTIVE, s.RENEWAL_DUE, guards=(anniversary_reached,)),
        TransitionSpec("renew", s.RENEWAL_DUE, s.ACTIVE, guards=(core_member_consents,), effects=(_next_year,)),
    ]
    specs += [TransitionSpec("end", state, s.ENDED, effects=(_record(CircleOutcome.ENDED),))
              for state in (s.FORMING, s.ACTIVE, s.RENEWAL_DUE, s.PAUSED)]
    specs += [TransitionSpec("withdraw", state, s.ENDED, effects=(_record(CircleOutcome.WITHDRAWN),))
              for state in OPEN_STATES]
    return tuple(specs)


CIRCLE_WORKFLOW = WorkflowDefinition(
    name="circle of support and accountability",
    subject="circle",
    version=CIRCLE_WORKFLOW_VERSION,
    states=tuple(CircleState),
    initial=CircleState.REQUESTED,
    final_states=(CircleState.ENDED,),
    triggers=CIRCLE_TRIGGERS,
    transitions=_transitions(),
)

_VERSIONS = Versions(CIRCLE_WORKFLOW)
CIRCLE_DEFINITIONS = _VERSIONS.definitions


def circle_workflow(version: str = CIRCLE_WORKFLOW_VERSION) -> SharedWorkflow:
    """The process-wide machine for ``version``; a circle keeps the version it started under."""
    return _VERSIONS.machine(version, lambda: UnknownWorkflowVersion(
        "this circle runs under workflow version %(version)s, which this installation does not know; "
        "known versions: %(known)s", version=repr(version), known=_VERSIONS.known))
