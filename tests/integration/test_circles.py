"""Circles of Support and Accountability through the services, on SQLite and PostgreSQL: every transition and
guard of the circle workflow (the three-to-four volunteer rule at its boundaries), who may fire what, the
renewal at one year (by its timer), and bad input refused with a clear message with nothing half-written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Case, Circle, CircleMember, Timer, TimerKind, TimerState, User
from mediation.services.circles import concerns, lifecycle, meetings, requests, roster, views
from mediation.services.listing import ListQuery
from mediation.timers import runner
from tests.integration.circles_steps import circle_in, circle_people, make_user, new_circle
from workflows.circle_workflow import CircleState
from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed

PAGE = ListQuery(size=20)


@pytest.fixture
def people(runtime, actors):
    return circle_people(runtime, actors.admin, actors.staff)


def state_of(runtime, reference: str) -> tuple[str, str | None]:
    with runtime.transaction() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        return case.state, case.outcome


def tags(runtime, reference: str) -> list[str]:
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        return list(s.scalars(select(AuditEntry.tag).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)))


def move(runtime, actor, reference: str, trigger: str, **kwargs) -> str:
    with runtime.transaction() as s:
        return lifecycle.move(s, actor, reference, trigger, **kwargs)


def add(runtime, people, reference: str, volunteer) -> None:
    with runtime.transaction() as s:
        lifecycle.add_volunteer(s, people.coordinator, reference, volunteer.id)


def members(runtime, reference: str) -> int:
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        return s.scalar(select(func.count()).select_from(CircleMember).where(CircleMember.case_id == case_id))


# --- from the request to an active circle ------------------------------------------------------------------------

def test_a_circle_goes_from_the_request_to_active_with_three_volunteers(runtime, people):
    reference = circle_in(runtime, people, CircleState.FORMING, volunteers_count=3)
    assert reference.startswith("CS-")
    assert move(runtime, people.coordinator, reference, "activate") == CircleState.ACTIVE
    assert tags(runtime, reference) == [
        "circle:request:received", "circle:workflow:assess", "circle:core_member:linked",
        "circle:supervisor:assigned", "circle:workflow:form", *["circle:workflow:add_volunteer"] * 3,
        "circle:workflow:activate"]
    with runtime.transaction() as s:
        circle = s.get(Circle, s.scalars(select(Case.id).where(Case.reference == reference)).one())
        assert circle.engagement_year == 1 and circle.year_ends_at is not None
        timer = s.scalars(select(Timer).where(Timer.kind == TimerKind.CIRCLE_ANNIVERSARY.value)).one()
        assert timer.state == TimerState.PENDING and timer.case_id == circle.case_id


def test_forming_needs_the_core_member_and_a_supervisor(runtime, people):
    reference = circle_in(runtime, people, CircleState.ASSESSMENT)
    with pytest.raises(GuardNotMet, match=r"no core member.*no staff member"):
        move(runtime, people.coordinator, reference, "form")
    with runtime.transaction() as s:
        roster.link_core_member(s, people.coordinator, reference, people.core.username)
    with pytest.raises(GuardNotMet, match="supervise"):
        move(runtime, people.coordinator, reference, "form")
    assert state_of(runtime, reference) == (CircleState.ASSESSMENT, None)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_a_circle_does_not_start_with_fewer_than_three_volunteers(runtime, people, count):
    reference = circle_in(runtime, people, CircleState.FORMING, volunteers_count=count)
    with pytest.raises(GuardNotMet, match=f"has {count} screened and trained volunteer"):
        move(runtime, people.coordinator, reference, "activate")
    assert state_of(runtime, reference) == (CircleState.FORMING, None)


def test_four_volunteers_start_and_a_fifth_is_refused_in_forming_and_active(runtime, people):
    reference = circle_in(runtime, people, CircleState.FORMING, volunteers_count=4)
    before = tags(runtime, reference)
    with pytest.raises(GuardNotMet, match="already has 4 volunteers"):
        add(runtime, people, reference, people.volunteers[4])
    assert members(runtime, reference) == 4 and tags(runtime, reference) == before  # nothing half-written
    assert move(runtime, people.coordinator, reference, "activate") == CircleState.ACTIVE
    with pytest.raises(GuardNotMet, match="already has 4 volunteers"):
        add(runtime, people, reference, people.volunteers[4])
    assert members(runtime, reference) == 4


def test_a_replacement_joins_an_active_circle_of_three(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE, volunteers_count=3)
    add(runtime, people, reference, people.volunteers[3])
    assert members(runtime, reference) == 4 and state_of(runtime, reference)[0] == CircleState.ACTIVE


def test_only_screened_and_trained_volunteers_join_once(runtime, people):
    reference = circle_in(runtime, people, CircleState.FORMING, volunteers_count=1)
    with pytest.raises(GuardNotMet, match="has not completed the training"):
        add(runtime, people, reference, people.untrained)
    with pytest.raises(GuardNotMet, match="has not been screened"):
        add(runtime, people, reference, people.unscreened)
    with pytest.raises(GuardNotMet, match="already in this circle"):
        add(runtime, people, reference, people.volunteers[0])
    never_applied = make_user(runtime, "vol.never", "volunteer")
    with pytest.raises(InvalidInput, match="has not applied"):
        add(runtime, people, reference, never_applied)
    with pytest.raises(InvalidInput, match="Choose the volunteer"):
        add(runtime, people, reference, people.core)  # a participant account is no volunteer
    assert members(runtime, reference) == 1


def test_volunteers_are_added_only_while_forming_or_active(runtime, people):
    reference = circle_in(runtime, people, CircleState.ASSESSMENT)
    with pytest.raises(TriggerNotAllowed):
        add(runtime, people, reference, people.volunteers[0])


# --- declining, ending, withdrawing ------------------------------------------------------------------------------

def test_a_request_is_declined_with_a_reason_of_the_vocabulary(runtime, people):
    reference = circle_in(runtime, people, CircleState.ASSESSMENT)
    with pytest.raises(InvalidArguments, match="needs a reason"):
        move(runtime, people.coordinator, reference, "decline")
    with pytest.raises(InvalidInput, match="is not a reason for 'decline'"):
        move(runtime, people.coordinator, reference, "decline", reason="because")
    assert move(runtime, people.coordinator, reference, "decline", reason="not_ready") == CircleState.ENDED
    assert state_of(runtime, reference) == (CircleState.ENDED, "declined")
    with runtime.transaction() as s:
        assert s.scalars(select(Case).where(Case.reference == reference)).one().closed_at is not None


def test_an_unknown_action_is_refused_before_anything(runtime, people):
    reference = circle_in(runtime, people, CircleState.REQUESTED)
    with pytest.raises(InvalidInput, match="Unknown action"):
        move(runtime, people.coordinator, reference, "explode")
    with pytest.raises(InvalidInput, match="form of its own"):
        move(runtime, people.coordinator, reference, "anniversary")


@pytest.mark.parametrize("state", [CircleState.FORMING, CircleState.ACTIVE])
def test_the_coordinator_ends_a_circle_with_a_reason_and_its_timers_stop(runtime, people, state):
    reference = circle_in(runtime, people, state)
    assert move(runtime, people.coordinator, reference, "end", reason="returned_to_custody") == CircleState.ENDED
    assert state_of(runtime, reference) == (CircleState.ENDED, "ended")
    with runtime.transaction() as s:
        pending = s.scalars(select(Timer.kind).where(Timer.state == TimerState.PENDING.value,
                                                    Timer.kind.like("circle_%"))).all()
    assert pending == []


@pytest.mark.parametrize("state", [CircleState.ASSESSMENT, CircleState.FORMING, CircleState.ACTIVE])
def test_the_core_member_withdraws_at_any_time_without_a_reason(runtime, people, state):
    reference = circle_in(runtime, people, state)
    if state == CircleState.ASSESSMENT:
        with runtime.transaction() as s:
            roster.link_core_member(s, people.coordinator, reference, people.core.username)
    assert move(runtime, people.core, reference, "withdraw") == CircleState.ENDED
    assert state_of(runtime, reference) == (CircleState.ENDED, "withdrawn")


def test_only_the_core_member_withdraws_and_only_the_coordinator_assesses(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    for someone in (people.coordinator, people.supervisor, people.volunteers[0]):
        with pytest.raises(Forbidden):
            move(runtime, someone, reference, "withdraw")
    with pytest.raises(Forbidden):
        move(runtime, people.supervisor, reference, "end", reason="other")
    with pytest.raises(Forbidden):
        move(runtime, people.volunteers[0], reference, "pause", reason="other")
    with pytest.raises(Forbidden):
        move(runtime, people.core, reference, "end", reason="other")


def test_a_stale_version_is_refused(runtime, people):
    reference = circle_in(runtime, people, CircleState.REQUESTED)
    with pytest.raises(Conflict):
        move(runtime, people.coordinator, reference, "assess", expected_version=999)


# --- who sees a circle ------------------------------------------------------------------------------------------

def test_nobody_without_a_place_in_the_circle_finds_it(runtime, people, actors):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    other_volunteer = people.volunteers[4]  # screened and trained, in no circle
    outsiders = (actors.mediator, actors.staff, actors.harmed_user, other_volunteer, people.other_core)
    for outsider in outsiders:
        with pytest.raises(NotFound), runtime.transaction() as s:
            views.circle_page(s, outsider, reference, PAGE)
        with runtime.transaction() as s:
            assert views.circles_list(s, outsider, PAGE).items == []
    # a supervising staff member of another circle does not see this one
    other_supervisor = make_user(runtime, "sup.two", "mediator")
    from tests.integration.circles_steps import grant
    grant(runtime, actors.admin, other_supervisor, "supervising_staff")
    with pytest.raises(NotFound), runtime.transaction() as s:
        views.circle_page(s, other_supervisor, reference, PAGE)
    with pytest.raises(NotFound), runtime.transaction() as s:  # a mediation reference is not a circle
        views.circle_page(s, people.coordinator, "RO-2026-00001", PAGE)


def test_the_team_lists_its_circles_and_the_core_member_sees_plain_terms(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    for member in (people.coordinator, people.supervisor, people.volunteers[0]):
        with runtime.transaction() as s:
            assert [row.reference for row in views.circles_list(s, member, PAGE).items] == [reference]
    with runtime.transaction() as s:
        mine = views.core_member_view(s, people.core, reference, PAGE)
        assert mine.state == CircleState.ACTIVE and mine.can_withdraw
        assert views.my_circle_references(s, people.core) == [reference]
    with pytest.raises(Forbidden), runtime.transaction() as s:
        views.circle_page(s, people.core, reference, PAGE)


def test_forwarding_staff_see_only_received_and_acknowledged(runtime, people, actors):
    with runtime.transaction() as s:
        reference = requests.forward_request(s, runtime.vault, actors.staff, note="J. asks for a circle").reference
    with runtime.transaction() as s:
        [row] = views.forwarded_requests(s, actors.staff, PAGE).items
        assert (row.reference, row.acknowledged) == (reference, False)
        assert views.forwarded_requests(s, actors.other_staff, PAGE).items == []
    move(runtime, people.coordinator, reference, "assess")
    with runtime.transaction() as s:
        [row] = views.forwarded_requests(s, actors.staff, PAGE).items
        assert row.acknowledged and set(vars(row)) == {"reference", "received_at", "acknowledged"}
    with pytest.raises(NotFound), runtime.transaction() as s:
        views.circle_page(s, actors.staff, reference, PAGE)
    with runtime.transaction() as s:
        assert requests.open_request(s, runtime.vault, people.coordinator, reference) == "J. asks for a circle"
    with pytest.raises(InvalidInput), runtime.transaction() as s:
        requests.forward_request(s, runtime.vault, actors.staff, note="  ")


# --- meetings and minutes ---------------------------------------------------------------------------------------

def plan(runtime, actor, reference: str, when, now=None) -> str:
    with runtime.transaction() as s:
        return meetings.plan_meeting(s, actor, reference, day=when.strftime("%Y-%m-%d"),
                                     at=when.strftime("%H:%M"), now=now).id


def held_meeting(runtime, people, reference: str, hours_ago: int = 1) -> str:
    """A meeting planned earlier for ``hours_ago`` hours ago, recorded as held with two of the circle."""
    starts = (utcnow() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    meeting_id = plan(runtime, people.volunteers[0], reference, starts, now=starts - timedelta(days=1))
    with runtime.transaction() as s:
        meetings.hold_meeting(s, people.volunteers[0], reference, meeting_id,
                              attendees=[people.volunteers[0].id, people.core.id])
    return meeting_id


def write_minutes(runtime, actor, reference: str, meeting_id: str, text: str = "We met and talked.") -> None:
    with runtime.transaction() as s:
        meetings.submit_minutes(s, runtime.vault, actor, reference, meeting_id, text=text)


def test_minutes_are_refused_for_a_meeting_that_did_not_happen(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    volunteer = people.volunteers[0]
    future = plan(runtime, volunteer, reference, utcnow() + timedelta(days=3))
    with pytest.raises(WrongState, match="took place; this one is"):
        write_minutes(runtime, volunteer, reference, future)
    with pytest.raises(WrongState, match="not taken place yet"), runtime.transaction() as s:
        meetings.hold_meeting(s, volunteer, reference, future, attendees=[volunteer.id])
    with runtime.transaction() as s:
        meetings.cancel_meeting(s, volunteer, reference, future)
    with pytest.raises(WrongState):
        write_minutes(runtime, volunteer, reference, future)
    with pytest.raises(InvalidInput, match="in the past"):
        plan(runtime, volunteer, reference, utcnow() - timedelta(days=1))
    with pytest.raises(NotFound):
        write_minutes(runtime, volunteer, reference, "0" * 32)


def test_held_meetings_take_only_the_circles_people_and_minutes_are_written_once(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    volunteer = people.volunteers[0]
    starts = (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)
    meeting_id = plan(runtime, volunteer, reference, starts, now=starts - timedelta(days=1))
    for wrong in ([], [people.volunteers[4].id], [people.other_core.id]):
        with pytest.raises(InvalidInput), runtime.transaction() as s:
            meetings.hold_meeting(s, volunteer, reference, meeting_id, attendees=wrong)
    with runtime.transaction() as s:
        meetings.hold_meeting(s, volunteer, reference, meeting_id, attendees=[volunteer.id, people.core.id])
    with pytest.raises(Forbidden):
        write_minutes(runtime, people.core, reference, meeting_id)
    with pytest.raises(InvalidInput, match="cannot be empty"):
        write_minutes(runtime, volunteer, reference, meeting_id, text="   ")
    write_minutes(runtime, volunteer, reference, meeting_id, "Talked about the new job.")
    with pytest.raises(WrongState, match="already submitted"):
        write_minutes(runtime, people.volunteers[1], reference, meeting_id)
    with runtime.transaction() as s:
        opened = meetings.open_minutes(s, runtime.vault, people.supervisor, reference, meeting_id)
        assert opened.text == "Talked about the new job."
    with pytest.raises(Forbidden), runtime.transaction() as s:
        meetings.open_minutes(s, runtime.vault, people.core, reference, meeting_id)
    assert "content:circle_minutes:decrypted" in tags(runtime, reference)
    with runtime.transaction() as s:  # submitting cancelled the minutes' timer
        timer = s.scalars(select(Timer).where(Timer.kind == TimerKind.CIRCLE_MINUTES_DUE.value)).one()
        assert timer.state == TimerState.CANCELLED


def test_minutes_overdue_after_48_hours_tell_the_coordinator(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    meeting_id = held_meeting(runtime, people, reference, hours_ago=1)
    with runtime.transaction() as s:
        assert views.overdue_minutes(s, people.coordinator, PAGE).items == []
        [row] = views.circle_page(s, people.coordinator, reference, PAGE).meetings.items
        assert not row.overdue and row.minutes_due_at is not None
    later = utcnow() + timedelta(hours=48)
    assert runner.fire_due(runtime, limit=10, now=later).done == 1
    with runtime.transaction() as s:
        from mediation.services import notices
        assert [n.kind for n in notices.my_notices(s, people.coordinator)] == ["circle_minutes_overdue"]
        assert notices.my_notices(s, people.volunteers[0]) == []
        [late] = views.overdue_minutes(s, people.coordinator, PAGE, now=later).items
        assert (late.reference, late.meeting_id) == (reference, meeting_id)
        assert views.circle_page(s, people.coordinator, reference, PAGE, now=later).meetings.items[0].overdue
        with pytest.raises(Forbidden):
            views.overdue_minutes(s, people.volunteers[0], PAGE)
    write_minutes(runtime, people.volunteers[1], reference, meeting_id)
    with runtime.transaction() as s:
        assert views.overdue_minutes(s, people.coordinator, PAGE, now=later).items == []


# --- concerns, pausing and resuming ----------------------------------------------------------------------------

def test_a_serious_concern_pauses_the_circle_until_its_escalation_is_recorded(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    meeting_id = held_meeting(runtime, people, reference)
    write_minutes(runtime, people.volunteers[0], reference, meeting_id)
    with runtime.transaction() as s:
        concern = concerns.raise_concern(s, runtime.vault, people.volunteers[1], reference, meeting_id,
                                         text="He spoke of going to the school.", serious=True).id
    assert state_of(runtime, reference)[0] == CircleState.PAUSED
    with pytest.raises(GuardNotMet, match="escalated"):
        move(runtime, people.supervisor, reference, "resume")
    with pytest.raises(Forbidden), runtime.transaction() as s:  # the supervising staff member acknowledges
        concerns.acknowledge_concern(s, runtime.vault, people.volunteers[0], reference, concern, escalated_to="x")
    with pytest.raises(InvalidInput, match="to whom"), runtime.transaction() as s:
        concerns.acknowledge_concern(s, runtime.vault, people.supervisor, reference, concern, escalated_to="")
    with runtime.transaction() as s:
        concerns.acknowledge_concern(s, runtime.vault, people.supervisor, reference, concern,
                                     escalated_to="Parole officer on duty")
    with pytest.raises(WrongState, match="already acknowledged"), runtime.transaction() as s:
        concerns.acknowledge_concern(s, runtime.vault, people.supervisor, reference, concern, escalated_to="y")
    assert move(runtime, people.supervisor, reference, "resume") == CircleState.ACTIVE
    with runtime.transaction() as s:
        [seen] = concerns.open_concerns(s, runtime.vault, people.coordinator, reference, PAGE).items
        assert (seen.serious, seen.escalated_to) == (True, "Parole officer on duty")
    with pytest.raises(Forbidden), runtime.transaction() as s:
        concerns.open_concerns(s, runtime.vault, people.core, reference, PAGE)


def test_an_ordinary_concern_is_acknowledged_without_pausing(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    meeting_id = held_meeting(runtime, people, reference)
    with runtime.transaction() as s:
        concern = concerns.raise_concern(s, runtime.vault, people.volunteers[0], reference, meeting_id,
                                         text="Seemed tired.", serious=False).id
    assert state_of(runtime, reference)[0] == CircleState.ACTIVE
    with runtime.transaction() as s:
        concerns.acknowledge_concern(s, runtime.vault, people.supervisor, reference, concern)
    with runtime.transaction() as s:
        assert views.circle_page(s, people.supervisor, reference, PAGE).concerns[0].acknowledged


def test_the_supervisor_pauses_with_a_reason_and_resumes(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    with pytest.raises(InvalidArguments):
        move(runtime, people.supervisor, reference, "pause")
    assert move(runtime, people.supervisor, reference, "pause", reason="other") == CircleState.PAUSED
    with pytest.raises(WrongState, match="while it is active"), runtime.transaction() as s:
        meetings.plan_meeting(s, people.volunteers[0], reference, day="2099-01-01", at="10:00")
    assert move(runtime, people.supervisor, reference, "resume") == CircleState.ACTIVE


# --- the year of engagement and its renewal ---------------------------------------------------------------------

def test_the_anniversary_asks_for_renewal_which_needs_the_core_members_consent(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    assert runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=300)).total == 0
    assert runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=366)).done == 1
    assert state_of(runtime, reference)[0] == CircleState.RENEWAL_DUE
    with runtime.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.CIRCLE_ANNIVERSARY.value)).one()
        assert (entry.actor_id, entry.actor_role) == (None, "system")
    with pytest.raises(GuardNotMet, match="not consented"):
        with runtime.transaction() as s:
            lifecycle.renew(s, people.coordinator, reference)
    with pytest.raises(Forbidden), runtime.transaction() as s:
        lifecycle.say_renewal_wish(s, people.volunteers[0], reference, "renew")
    with pytest.raises(InvalidInput), runtime.transaction() as s:
        lifecycle.say_renewal_wish(s, people.core, reference, "maybe")
    with runtime.transaction() as s:
        lifecycle.say_renewal_wish(s, people.core, reference, "renew")
    with runtime.transaction() as s:
        assert lifecycle.renew(s, people.coordinator, reference) == CircleState.ACTIVE
    with runtime.transaction() as s:
        circle = s.get(Circle, s.scalars(select(Case.id).where(Case.reference == reference)).one())
        assert circle.engagement_year == 2 and circle.renewal_wish is None
        pending = s.scalars(select(Timer).where(Timer.kind == TimerKind.CIRCLE_ANNIVERSARY.value,
                                                Timer.state == TimerState.PENDING.value)).one()
        assert pending.due_at is not None


def test_a_core_member_who_does_not_wish_to_renew_ends_the_circle(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=366))
    with runtime.transaction() as s:
        lifecycle.say_renewal_wish(s, people.core, reference, "end")
    with pytest.raises(GuardNotMet), runtime.transaction() as s:
        lifecycle.renew(s, people.coordinator, reference)
    assert move(runtime, people.coordinator, reference, "end", reason="not_renewed") == CircleState.ENDED


def test_the_anniversary_is_moot_for_a_paused_circle_and_asked_on_resuming(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    move(runtime, people.supervisor, reference, "pause", reason="other")
    assert runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=366)).moot == 1
    assert state_of(runtime, reference)[0] == CircleState.PAUSED
    with runtime.transaction() as s:  # the year ended while paused (as if): resuming asks at once
        circle = s.get(Circle, s.scalars(select(Case.id).where(Case.reference == reference)).one())
        circle.year_ends_at = utcnow() - timedelta(days=1)
    move(runtime, people.supervisor, reference, "resume")
    assert runner.fire_due(runtime, limit=10).done == 1
    assert state_of(runtime, reference)[0] == CircleState.RENEWAL_DUE


def test_the_anniversary_trigger_cannot_be_fired_by_hand_or_early(runtime, people):
    reference = circle_in(runtime, people, CircleState.ACTIVE)
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        assert lifecycle.reach_anniversary(s, case_id, utcnow()) is None
    assert state_of(runtime, reference)[0] == CircleState.ACTIVE


def test_new_requests_are_the_coordinators(runtime, people, actors):
    with pytest.raises(Forbidden), runtime.transaction() as s:
        requests.record_request(s, runtime.vault, actors.mediator, note="")
    assert new_circle(runtime, people).startswith("CS-")


def test_the_core_member_is_invited_to_an_account_of_their_own(runtime, people):
    from mediation.passwords import new_password
    from mediation.services import invitations

    reference = circle_in(runtime, people, CircleState.ASSESSMENT)
    with runtime.transaction() as s:
        first = roster.invite_core_member(s, people.coordinator, reference, hours=24)[1]
    with runtime.transaction() as s:
        member, code = roster.invite_core_member(s, people.coordinator, reference, hours=24)  # replaces it
    assert member.role == "participant" and member.display_name.startswith("Participant ")
    with pytest.raises(invitations.InvitationRefused), runtime.transaction() as s:
        invitations.redeem(s, first)
    chosen = new_password("a quiet long password here", username=member.username, display_name=member.display_name)
    with runtime.transaction() as s:
        user = invitations.activate_account(s, invitations.code_key(code), password=chosen)
    with runtime.transaction() as s:
        assert views.my_circle_references(s, user) == [reference]
        assert views.core_member_view(s, user, reference, PAGE).state == CircleState.ASSESSMENT
    with pytest.raises(InvalidInput, match="already has an account"), runtime.transaction() as s:
        roster.invite_core_member(s, people.coordinator, reference, hours=24)
    with pytest.raises(NotFound), runtime.transaction() as s:  # no place in this circle yet
        roster.invite_core_member(s, people.supervisor, reference, hours=24)


# --- the volunteers' registry and the outer circle --------------------------------------------------------------

def test_screening_steps_are_dated_never_in_the_future_nor_before_the_application(runtime, people, actors):
    from datetime import date

    from mediation.services.circles import volunteers

    newcomer = make_user(runtime, "vol.newcomer", "volunteer")
    tomorrow = date.today() + timedelta(days=1)

    def record(call, *args, **kwargs):
        with runtime.transaction() as s:
            return call(s, people.coordinator, *args, **kwargs)

    with pytest.raises(InvalidInput, match="in the future"):
        record(volunteers.record_application, newcomer.id, applied_on=tomorrow.isoformat())
    with pytest.raises(InvalidInput, match="look like 2026-03-31"):
        record(volunteers.record_application, newcomer.id, applied_on="31/03/2026")
    with pytest.raises(InvalidInput, match="application first"):
        record(volunteers.record_step, newcomer.id, step="interview", on=date.today().isoformat())
    record(volunteers.record_application, newcomer.id, applied_on=(date.today() - timedelta(days=5)).isoformat())
    with pytest.raises(InvalidInput, match="already recorded"):
        record(volunteers.record_application, newcomer.id, applied_on=date.today().isoformat())
    with pytest.raises(InvalidInput, match="in the future"):
        record(volunteers.record_step, newcomer.id, step="training", on=tomorrow.isoformat())
    with pytest.raises(InvalidInput, match="before the application"):
        record(volunteers.record_step, newcomer.id, step="interview", on=(date.today() - timedelta(days=6)))
    with pytest.raises(InvalidInput, match="Unknown step"):
        record(volunteers.record_step, newcomer.id, step="vibes", on=date.today().isoformat())
    with pytest.raises(InvalidInput, match="volunteer's account"):
        record(volunteers.record_application, actors.mediator.id, applied_on=date.today().isoformat())
    with pytest.raises(Forbidden), runtime.transaction() as s:
        volunteers.record_step(s, people.supervisor, newcomer.id, step="interview", on=date.today().isoformat())
    for step in ("references", "police_check", "interview"):
        record(volunteers.record_step, newcomer.id, step=step, on=date.today().isoformat())
    with runtime.transaction() as s:
        row = next(r for r in volunteers.registry(s, people.coordinator, PAGE).items if r.user_id == newcomer.id)
        assert (row.screened, row.trained) == (True, False)
        assert newcomer.id not in [u.id for u in roster.ready_volunteers(s, people.coordinator)]


def test_the_outer_circle_is_recorded_sealed_and_refuses_what_is_not_a_choice(runtime, people, actors):
    from mediation.models import OuterCircleMember
    from mediation.services.circles import outer

    reference = circle_in(runtime, people, CircleState.ACTIVE)

    def add(**fields):
        with runtime.transaction() as s:
            return outer.record_outer_member(s, runtime.vault, people.coordinator, reference, **fields)

    with pytest.raises(InvalidInput, match="role"):
        add(role="judge", name="X")
    with pytest.raises(InvalidInput, match="cannot be empty"):
        add(role="therapist", name=" ")
    with pytest.raises(InvalidInput, match="one line"):
        add(role="therapist", name="Dr\nX")
    with pytest.raises(InvalidInput, match="staff account"):
        add(role="parole_officer", name="P. Officer", staff_user_id=people.volunteers[0].id)
    add(role="parole_officer", name="P. Officer", organisation="Parole east", staff_user_id=actors.staff.id)
    with runtime.transaction() as s:
        assert b"P. Officer" not in s.query(OuterCircleMember).one().sealed_name
        [seen] = outer.outer_circle(s, runtime.vault, people.coordinator, reference)
        assert (seen.role, seen.name, seen.organisation) == ("parole_officer", "P. Officer", "Parole east")
    with pytest.raises(Forbidden), runtime.transaction() as s:
        outer.outer_circle(s, runtime.vault, people.supervisor, reference)
    with pytest.raises(NotFound), runtime.transaction() as s:  # the linked staff account sees nothing
        views.circle_page(s, actors.staff, reference, PAGE)


def test_an_ended_circles_key_is_destroyed_when_its_retention_ends(runtime, people):
    from mediation.models import CaseKey

    reference = circle_in(runtime, people, CircleState.ACTIVE)
    meeting_id = held_meeting(runtime, people, reference)
    write_minutes(runtime, people.volunteers[0], reference, meeting_id, "Sealed words.")
    move(runtime, people.coordinator, reference, "end", reason="engagement_ended")
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        assert s.get(CaseKey, case_id).wrapped_key is not None
    later = utcnow() + timedelta(days=runtime.settings.retention_days + 1)
    assert runner.fire_due(runtime, limit=50, now=later).done >= 1
    with runtime.transaction() as s:
        assert s.get(CaseKey, case_id).wrapped_key is None  # crypto-shredded: the minutes cannot be opened
        retention = s.scalars(select(Timer).where(Timer.kind == TimerKind.RETENTION_ENDS.value,
                                                  Timer.case_id == case_id)).one()
        assert retention.outcome == "done"
        # The core member, in no other case, is anonymised and unlinked, as a mediation participant would be.
        core = s.get(User, people.core.id)
        assert core.username.startswith("purged-") and not core.is_active and core.password_hash is None
        assert s.get(Circle, case_id).core_member_id is None
