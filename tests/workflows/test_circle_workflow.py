"""The Circles of Support and Accountability workflow (cosa-1): every transition, every guard on its own, the
three-to-four volunteer rule at its boundaries, withdrawal from every open state and renewal with consent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from workflows.circle_workflow import (
    CIRCLE_WORKFLOW,
    CIRCLE_WORKFLOW_VERSION,
    DECLINE_REASONS,
    END_REASONS,
    MAX_VOLUNTEERS,
    MIN_VOLUNTEERS,
    OPEN_STATES,
    CircleFacts,
    CircleOutcome,
    CircleState,
    VolunteerFacts,
    all_volunteers_ready,
    anniversary_reached,
    at_most_max_volunteers,
    can_add_volunteer,
    circle_workflow,
    core_member_consents,
    core_member_present,
    enough_volunteers,
    escalation_recorded,
    room_for_volunteer,
    supervisor_assigned,
    volunteer_can_join,
    volunteer_gaps,
    volunteer_not_in_circle,
    volunteer_ready,
)
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed, UnknownWorkflowVersion

S = CircleState


@dataclass
class FakeVolunteer:
    id: int
    screened: bool = True
    trained: bool = True


@dataclass
class FakeCircle:
    """By default: requested, a core member and a supervisor, no volunteers, first year, nothing escalated."""

    state: str = S.REQUESTED.value
    outcome: str | None = None
    engagement_year: int = 1
    volunteers: list[FakeVolunteer] = field(default_factory=list)
    core_member_present: bool = True
    supervisor_assigned: bool = True
    anniversary_reached: bool = False
    escalation_recorded: bool = False


def crew(count: int, *, first_id: int = 1, **facts: Any) -> list[FakeVolunteer]:
    return [FakeVolunteer(first_id + n, **facts) for n in range(count)]


def circle_in(state: str, volunteers: int = MIN_VOLUNTEERS, **facts: Any) -> FakeCircle:
    return FakeCircle(state=str(state), volunteers=crew(volunteers), **facts)


# Checked by mypy: the fakes satisfy the protocols the rules are written against.
_circle: CircleFacts = FakeCircle()
_volunteer: VolunteerFacts = FakeVolunteer(1)

VALID_ARGUMENTS: dict[str, dict[str, Any]] = {
    "assess": {},
    "decline": {"reason": "not_ready"},
    "form": {},
    "add_volunteer": {"volunteer": FakeVolunteer(90)},
    "activate": {},
    "pause": {"reason": "serious_concern"},
    "resume": {},
    "anniversary": {},
    "renew": {"core_member_consents": True},
    "end": {"reason": "not_renewed"},
    "withdraw": {},
}


@pytest.fixture
def machine():
    return circle_workflow()


def fire(machine, circle: FakeCircle, trigger: str, **arguments: Any) -> str:
    return machine.fire(circle, trigger, **(arguments or VALID_ARGUMENTS[trigger]))


def test_the_definition_names_its_version_and_states():
    assert CIRCLE_WORKFLOW.version == CIRCLE_WORKFLOW_VERSION == "cosa-1"
    assert CIRCLE_WORKFLOW.subject == "circle"
    assert list(CIRCLE_WORKFLOW.states) == ["requested", "assessment", "forming", "active", "renewal_due",
                                            "paused", "ended"]
    assert CIRCLE_WORKFLOW.initial == "requested"
    assert CIRCLE_WORKFLOW.final_states == ("ended",)
    assert set(VALID_ARGUMENTS) == set(CIRCLE_WORKFLOW.triggers)


def test_one_machine_per_version_and_an_unknown_version_is_refused():
    assert circle_workflow() is circle_workflow(CIRCLE_WORKFLOW_VERSION)
    with pytest.raises(UnknownWorkflowVersion, match=r"'cosa-0'.*known versions: cosa-1"):
        circle_workflow("cosa-0")


# ---------------------------------------------------------------------------------------------------------------
# The happy path, transition by transition


def test_a_circle_from_request_to_its_first_renewal_and_its_end(machine):
    circle = FakeCircle()
    assert fire(machine, circle, "assess") == "assessment"
    assert fire(machine, circle, "form") == "forming"
    for volunteer in crew(MIN_VOLUNTEERS):
        assert fire(machine, circle, "add_volunteer", volunteer=volunteer) == "forming"
    assert [v.id for v in circle.volunteers] == [1, 2, 3]
    assert fire(machine, circle, "activate") == "active"
    assert fire(machine, circle, "add_volunteer", volunteer=FakeVolunteer(4)) == "active"
    circle.anniversary_reached = True
    assert fire(machine, circle, "anniversary") == "renewal_due"
    assert fire(machine, circle, "renew") == "active"
    assert circle.engagement_year == 2
    assert fire(machine, circle, "anniversary") == "renewal_due"
    assert fire(machine, circle, "end", reason="not_renewed") == "ended"
    assert circle.outcome == CircleOutcome.ENDED


def test_a_request_declined_at_assessment_ends_with_the_outcome_declined(machine):
    circle = circle_in(S.ASSESSMENT)
    assert fire(machine, circle, "decline") == "ended"
    assert circle.outcome == CircleOutcome.DECLINED


@pytest.mark.parametrize("reason", DECLINE_REASONS)
def test_every_decline_reason_is_accepted(machine, reason):
    assert fire(machine, circle_in(S.ASSESSMENT), "decline", reason=reason) == "ended"


def test_decline_needs_a_reason_from_the_vocabulary(machine):
    with pytest.raises(InvalidArguments, match="'decline' needs a reason; choose one of: outside_criteria"):
        machine.fire(circle_in(S.ASSESSMENT), "decline")
    with pytest.raises(InvalidArguments, match="'bored' is not a reason for 'decline'"):
        machine.fire(circle_in(S.ASSESSMENT), "decline", reason="bored")


@pytest.mark.parametrize("reason", END_REASONS)
@pytest.mark.parametrize("state", [S.FORMING, S.ACTIVE, S.RENEWAL_DUE, S.PAUSED])
def test_a_circle_ends_from_forming_active_renewal_due_and_paused_with_any_end_reason(machine, state, reason):
    circle = circle_in(state)
    assert fire(machine, circle, "end", reason=reason) == "ended"
    assert circle.outcome == CircleOutcome.ENDED


def test_the_end_reasons_name_what_the_issue_lists():
    assert {"core_member_withdrew", "engagement_ended", "serious_concern", "not_renewed"} <= set(END_REASONS)


@pytest.mark.parametrize("state", [S.REQUESTED, S.ASSESSMENT, S.ENDED])
def test_a_circle_that_never_formed_cannot_be_ended_but_declined_or_withdrawn(machine, state):
    with pytest.raises(TriggerNotAllowed):
        fire(machine, circle_in(state), "end")


@pytest.mark.parametrize("state", OPEN_STATES)
def test_the_core_member_withdraws_from_every_open_state_without_a_reason(machine, state):
    circle = circle_in(state)
    assert machine.fire(circle, "withdraw") == "ended"
    assert circle.outcome == CircleOutcome.WITHDRAWN


def test_every_state_but_ended_is_open():
    assert set(OPEN_STATES) == set(CircleState) - {S.ENDED}


def test_nothing_happens_to_an_ended_circle(machine):
    circle = circle_in(S.ENDED, outcome="ended")
    assert machine.triggers_from("ended") == ()
    with pytest.raises(TriggerNotAllowed, match="while the circle is ended; possible now: nothing"):
        machine.fire(circle, "withdraw")


def test_the_triggers_of_each_state():
    machine = circle_workflow()
    assert machine.triggers_from("requested") == ("assess", "withdraw")
    assert machine.triggers_from("assessment") == ("decline", "form", "withdraw")
    assert machine.triggers_from("forming") == ("add_volunteer", "activate", "end", "withdraw")
    assert machine.triggers_from("active") == ("add_volunteer", "pause", "anniversary", "end", "withdraw")
    assert machine.triggers_from("renewal_due") == ("renew", "end", "withdraw")
    assert machine.triggers_from("paused") == ("resume", "end", "withdraw")


# ---------------------------------------------------------------------------------------------------------------
# Forming: the core member, the supervisor


@pytest.mark.parametrize(("missing", "guard"), [
    pytest.param("core_member_present", core_member_present, id="no-core-member"),
    pytest.param("supervisor_assigned", supervisor_assigned, id="no-supervisor"),
])
@pytest.mark.parametrize(("state", "trigger"), [(S.ASSESSMENT, "form"), (S.FORMING, "activate")])
def test_forming_and_activating_need_the_core_member_and_a_supervisor(machine, missing, guard, state, trigger):
    circle = circle_in(state, **{missing: False})
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, trigger)
    assert refused.value.unmet == (guard.name,)
    assert str(guard.explanation) in str(refused.value)
    assert circle.state == state


def test_the_circle_guards_read_the_plain_facts():
    assert core_member_present.holds(FakeCircle())
    assert not core_member_present.holds(FakeCircle(core_member_present=False))
    assert supervisor_assigned.holds(FakeCircle())
    assert not supervisor_assigned.holds(FakeCircle(supervisor_assigned=False))
    assert str(supervisor_assigned.explanation) == "no staff member has been assigned to supervise the circle"


# ---------------------------------------------------------------------------------------------------------------
# Volunteers: three or four, screened and trained


def test_the_limits_are_three_and_four():
    assert (MIN_VOLUNTEERS, MAX_VOLUNTEERS) == (3, 4)


@pytest.mark.parametrize(("count", "room"), [(0, True), (2, True), (3, True), (4, False), (5, False)])
def test_can_add_volunteer_while_there_are_fewer_than_four(count, room):
    circle = FakeCircle(volunteers=crew(count))
    assert can_add_volunteer(circle) is room
    assert room_for_volunteer.holds(circle) is room


@pytest.mark.parametrize("state", [S.FORMING, S.ACTIVE])
def test_a_fifth_volunteer_is_refused(machine, state):
    circle = circle_in(state, volunteers=MAX_VOLUNTEERS)
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "add_volunteer", volunteer=FakeVolunteer(5))
    assert refused.value.unmet == ("room_for_volunteer",)
    assert str(refused.value) == "'add_volunteer' cannot happen yet: the circle already has 4 volunteers."
    assert len(circle.volunteers) == MAX_VOLUNTEERS


@pytest.mark.parametrize(("facts", "gaps"), [
    pytest.param({"screened": False}, ["volunteer #7 has not been screened"], id="unscreened"),
    pytest.param({"trained": False}, ["volunteer #7 has not completed the training"], id="untrained"),
    pytest.param({"screened": False, "trained": False},
                 ["volunteer #7 has not been screened", "volunteer #7 has not completed the training"], id="neither"),
])
def test_an_unscreened_or_untrained_volunteer_cannot_join_and_the_refusal_says_what_is_missing(machine, facts, gaps):
    circle = circle_in(S.FORMING, volunteers=1)
    volunteer = FakeVolunteer(7, **facts)
    assert not volunteer_ready(volunteer)
    assert [str(gap) for gap in volunteer_gaps(volunteer)] == gaps
    assert not volunteer_can_join.holds(circle, {"volunteer": volunteer})
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "add_volunteer", volunteer=volunteer)
    assert refused.value.unmet == ("volunteer_screened_and_trained",)
    assert str(refused.value) == f"'add_volunteer' cannot happen yet: the volunteer cannot join yet: {'; '.join(gaps)}."
    assert [v.id for v in circle.volunteers] == [1]


def test_a_screened_and_trained_volunteer_is_ready():
    assert volunteer_ready(FakeVolunteer(1))
    assert volunteer_gaps(FakeVolunteer(1)) == ()
    assert volunteer_can_join.holds(FakeCircle(), {"volunteer": FakeVolunteer(1)})
    assert not volunteer_can_join.holds(FakeCircle(), {})


def test_the_add_volunteer_guards_judge_the_argument():
    assert volunteer_can_join.uses_arguments and volunteer_not_in_circle.uses_arguments


def test_the_same_volunteer_cannot_join_twice(machine):
    circle = circle_in(S.FORMING, volunteers=2)
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "add_volunteer", volunteer=FakeVolunteer(2))
    assert refused.value.unmet == ("volunteer_not_in_circle",)
    assert len(circle.volunteers) == 2


def test_add_volunteer_needs_the_volunteer(machine):
    with pytest.raises(InvalidArguments, match="'add_volunteer' needs volunteer"):
        machine.fire(circle_in(S.FORMING), "add_volunteer")


@pytest.mark.parametrize("state", [S.REQUESTED, S.ASSESSMENT, S.RENEWAL_DUE, S.PAUSED, S.ENDED])
def test_volunteers_join_only_a_forming_or_active_circle(machine, state):
    with pytest.raises(TriggerNotAllowed):
        fire(machine, circle_in(state, volunteers=1), "add_volunteer")


@pytest.mark.parametrize(("count", "can_activate"), [(0, False), (2, False), (3, True), (4, True)])
def test_activate_needs_at_least_three_volunteers(machine, count, can_activate):
    circle = circle_in(S.FORMING, volunteers=count)
    assert enough_volunteers.holds(circle) is can_activate
    if can_activate:
        assert fire(machine, circle, "activate") == "active"
        return
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "activate")
    assert refused.value.unmet == ("enough_volunteers",)
    assert str(refused.value) == (f"'activate' cannot happen yet: the circle has {count} screened and trained "
                                  "volunteer(s); it needs at least 3.")
    assert circle.state == "forming"


def test_five_volunteers_are_too_many_to_activate(machine):
    circle = circle_in(S.FORMING, volunteers=5)
    assert not at_most_max_volunteers.holds(circle)
    assert at_most_max_volunteers.holds(circle_in(S.FORMING, volunteers=4))
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "activate")
    assert refused.value.unmet == ("at_most_max_volunteers",)
    assert "a circle has at most 4 volunteers" in str(refused.value)


def test_only_screened_and_trained_volunteers_count_towards_the_three(machine):
    circle = FakeCircle(state="forming", volunteers=[*crew(2), FakeVolunteer(3, trained=False)])
    assert not enough_volunteers.holds(circle)
    assert not all_volunteers_ready.holds(circle)
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "activate")
    assert refused.value.unmet == ("enough_volunteers", "all_volunteers_ready")
    assert str(refused.value) == (
        "'activate' cannot happen yet: the circle has 2 screened and trained volunteer(s); it needs at least 3; "
        "not every volunteer is ready: volunteer #3 has not completed the training.")


def test_a_volunteer_not_ready_keeps_a_circle_of_four_from_activating(machine):
    circle = FakeCircle(state="forming", volunteers=[*crew(3), FakeVolunteer(4, screened=False)])
    assert enough_volunteers.holds(circle)
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "activate")
    assert refused.value.unmet == ("all_volunteers_ready",)
    assert "volunteer #4 has not been screened" in str(refused.value)


def test_all_volunteers_ready_holds_with_none_and_with_ready_ones():
    assert all_volunteers_ready.holds(FakeCircle())
    assert all_volunteers_ready.holds(FakeCircle(volunteers=crew(4)))
    assert all_volunteers_ready.explanation_for(FakeCircle()) == all_volunteers_ready.explanation


# ---------------------------------------------------------------------------------------------------------------
# A serious concern pauses the circle; it resumes once the escalation is recorded


def test_a_serious_concern_pauses_the_circle_until_its_escalation_is_recorded(machine):
    circle = circle_in(S.ACTIVE)
    assert fire(machine, circle, "pause", reason="serious_concern") == "paused"
    assert not escalation_recorded.holds(circle)
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "resume")
    assert refused.value.unmet == ("escalation_recorded",)
    assert str(refused.value) == ("'resume' cannot happen yet: whom the serious concern was escalated to has not "
                                  "been recorded.")
    circle.escalation_recorded = True
    assert fire(machine, circle, "resume") == "active"


def test_pause_needs_a_reason(machine):
    with pytest.raises(InvalidArguments, match="'pause' needs a reason; choose one of: serious_concern, other"):
        machine.fire(circle_in(S.ACTIVE), "pause")


@pytest.mark.parametrize("state", [S.REQUESTED, S.ASSESSMENT, S.FORMING, S.RENEWAL_DUE, S.PAUSED])
def test_only_an_active_circle_pauses(machine, state):
    with pytest.raises(TriggerNotAllowed):
        fire(machine, circle_in(state), "pause")


# ---------------------------------------------------------------------------------------------------------------
# The anniversary and the renewal


def test_the_renewal_question_waits_for_the_anniversary(machine):
    circle = circle_in(S.ACTIVE)
    assert not anniversary_reached.holds(circle)
    with pytest.raises(GuardNotMet) as refused:
        fire(machine, circle, "anniversary")
    assert refused.value.unmet == ("anniversary_reached",)
    assert "the year of engagement is not over yet" in str(refused.value)
    circle.anniversary_reached = True
    assert fire(machine, circle, "anniversary") == "renewal_due"


@pytest.mark.parametrize("consents", [False, "yes", 1])
def test_renewal_needs_the_core_member_s_consent(machine, consents):
    circle = circle_in(S.RENEWAL_DUE)
    assert not core_member_consents.holds(circle, {"core_member_consents": consents})
    with pytest.raises(GuardNotMet) as refused:
        machine.fire(circle, "renew", core_member_consents=consents)
    assert refused.value.unmet == ("core_member_consents",)
    assert "the core member has not consented to renew the circle" in str(refused.value)
    assert (circle.state, circle.engagement_year) == ("renewal_due", 1)


def test_renewal_without_the_consent_argument_is_refused_as_invalid(machine):
    with pytest.raises(InvalidArguments, match="'renew' needs core_member_consents"):
        machine.fire(circle_in(S.RENEWAL_DUE), "renew")


def test_a_renewal_starts_the_next_year(machine):
    circle = circle_in(S.RENEWAL_DUE, engagement_year=3)
    assert machine.fire(circle, "renew", core_member_consents=True) == "active"
    assert circle.engagement_year == 4


@pytest.mark.parametrize("state", [S.ACTIVE, S.FORMING, S.PAUSED])
def test_renew_is_asked_only_at_the_anniversary(machine, state):
    with pytest.raises(TriggerNotAllowed):
        fire(machine, circle_in(state), "renew")


# ---------------------------------------------------------------------------------------------------------------
# Unmet guards as a page would ask for them


def test_unmet_guards_before_arguments_are_known(machine):
    circle = circle_in(S.FORMING, volunteers=MAX_VOLUNTEERS)
    assert [g.name for g in machine.unmet_guards(circle, "add_volunteer", judge_arguments=False)] \
        == ["room_for_volunteer"]
    assert machine.unmet_guards(circle_in(S.FORMING, volunteers=1), "add_volunteer", judge_arguments=False) == ()
    assert machine.unmet_guards(circle_in(S.RENEWAL_DUE), "renew", judge_arguments=False) == ()
