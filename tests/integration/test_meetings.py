"""Face-to-face meetings through the services, on SQLite and PostgreSQL: planning (where, when, who), visitors and
their clearances, the checklist, holding (with its debrief, in one transaction), cancelling and rescheduling, and
every bad input refused with a clear message before anything is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Activity, AuditEntry, FaceToFaceMeeting, Participant
from mediation.services import assignment, meeting_views, meetings, people
from mediation.services.lookup import find_case
from tests.integration.test_safety import assess
from workflows.activities import ActivityKind, ActivityStatus
from workflows.errors import GuardNotMet
from workflows.meetings import ChecklistItem
from workflows.vocabulary import CaseState, Modality

SOON = datetime.now(UTC) + timedelta(days=3)


def when(moment: datetime) -> dict[str, str]:
    return {"day": moment.strftime("%Y-%m-%d"), "start": moment.strftime("%H:%M"),
            "end": (moment + timedelta(minutes=90)).strftime("%H:%M")}


def plan_form(case_people: dict[str, Participant], **changes: Any) -> dict[str, Any]:
    start = SOON.replace(hour=10, minute=0)
    form = {"venue": "institution", "institution": "Northfield Institution", "room": "Chapel room",
            **when(start), "attendees": [p.id for p in case_people.values()]}
    return {**form, **changes}


@pytest.fixture
def face_to_face(runtime, actors, make_case) -> str:
    return make_case(CaseState.DIALOGUE_FACE_TO_FACE, Modality.FACE_TO_FACE)


def people_of(runtime, actors, reference: str) -> dict[str, Participant]:
    with runtime.transaction() as s:
        return {p.side: p for p in find_case(s, actors.mediator, reference).participants}


def plan(runtime, actor, reference: str, **form: Any) -> str:
    with runtime.transaction() as s:
        return meetings.plan_meeting(s, actor, reference, **form).activity_id


def view(runtime, actors, reference: str, meeting_id: str, as_mediator=None) -> meeting_views.MeetingView:
    with runtime.transaction() as s:
        return meeting_views.meeting_view(s, as_mediator or actors.mediator, reference, meeting_id)


def started(runtime, actors, reference: str, **changes: Any) -> str:
    """A meeting planned (an hour before) to have started a minute ago, as time passing would leave it."""
    starts = (datetime.now(UTC) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    form = plan_form(people_of(runtime, actors, reference), **when(starts), **changes)
    return plan(runtime, actors.mediator, reference, now=starts - timedelta(hours=1), **form)


def complete(runtime, actors, reference: str, meeting_id: str) -> None:
    """Grant every clearance, record a safety plan, prepare and confirm everyone."""
    for person in view(runtime, actors, reference, meeting_id).people:
        if person.clearance is not None:
            with runtime.transaction() as s:
                meetings.set_clearance(s, actors.mediator, reference, meeting_id, visitor=person.key,
                                       status="granted")
        if person.participant_id is not None:
            with runtime.transaction() as s:
                meetings.set_readiness(s, actors.mediator, reference, meeting_id,
                                       participant_id=person.participant_id, prepared=True, confirmed=True)
    with runtime.transaction() as s:
        meetings.record_arrangements(s, runtime.vault, actors.mediator, reference, meeting_id,
                                     safety_plan="Exit by the side door; a break room is ready.", escorts="",
                                     travel="")


def count(runtime, model, *where: Any) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def tags(runtime, actors, reference: str) -> list[str]:
    with runtime.transaction() as s:
        case = find_case(s, actors.mediator, reference)
        return list(s.scalars(select(AuditEntry.tag).where(AuditEntry.case_id == case.id)))


# ---------------------------------------------------------------------------------------------------------------
# Planning


def test_a_planned_meeting_is_an_activity_with_its_visitors(runtime, actors, face_to_face):
    sides = people_of(runtime, actors, face_to_face)
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(sides))
    with runtime.transaction() as s:
        activity = s.get(Activity, meeting_id)
        assert activity.kind == ActivityKind.FACE_TO_FACE_MEETING and activity.status == ActivityStatus.PLANNED
        assert activity.duration_minutes == 90 and activity.place == "Northfield Institution, Chapel room"
        assert {a.participant_id for a in activity.attendees} == {p.id for p in sides.values()}
    shown = view(runtime, actors, face_to_face, meeting_id)
    clearances = {p.key: p.clearance for p in shown.people}
    # The person responsible is held at the institution; the harmed party and the mediator are visitors.
    assert clearances == {f"participant-{sides['harmed'].id}": "not_requested",
                          f"participant-{sides['responsible'].id}": None,
                          f"mediator-{actors.mediator.id}": "not_requested"}
    assert not shown.complete and shown.can_hold
    assert AuditTag.MEETING_PLANNED.value in tags(runtime, actors, face_to_face)


def test_at_another_place_everyone_is_a_visitor(runtime, actors, face_to_face):
    sides = people_of(runtime, actors, face_to_face)
    meeting_id = plan(runtime, actors.mediator, face_to_face,
                      **plan_form(sides, venue="other_place", institution="Riverside community centre", room=""))
    assert all(p.clearance == "not_requested" for p in view(runtime, actors, face_to_face, meeting_id).people)


def test_planning_in_preparation_is_allowed_and_elsewhere_refused(runtime, actors, make_case):
    preparation = make_case(CaseState.PREPARATION, Modality.FACE_TO_FACE)
    plan(runtime, actors.mediator, preparation, **plan_form(people_of(runtime, actors, preparation)))
    written = make_case(CaseState.DIALOGUE_WRITTEN)
    with pytest.raises(WrongState):
        plan(runtime, actors.mediator, written, **plan_form(people_of(runtime, actors, written)))


@pytest.mark.parametrize(("changes", "says"), [
    ({"day": (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")}, "in the past"),
    ({"start": "15:00", "end": "14:00"}, "ends before it starts"),
    ({"start": "15:00", "end": "15:00"}, "ends before it starts"),
    ({"day": "2027-02-30"}, "not a date in the calendar"),
    ({"day": "tomorrow"}, "must look like 2026-03-31"),
    ({"start": "25:00"}, "not a time of day"),
    ({"end": "9am"}, "must look like 14:30"),
    ({"venue": "prison"}, "where the meeting is held"),
    ({"institution": ""}, "Write the institution or place"),
    ({"institution": "x" * 121}, "too long"),
    ({"room": "r" * 81}, "too long"),
    ({"day": None}, "must look like 2026-03-31"),
])
def test_bad_planning_input_is_refused_before_anything_is_written(runtime, actors, face_to_face, changes, says):
    form = plan_form(people_of(runtime, actors, face_to_face), **changes)
    with pytest.raises(InvalidInput, match=says):
        plan(runtime, actors.mediator, face_to_face, **form)
    assert count(runtime, Activity) == 0 and count(runtime, FaceToFaceMeeting) == 0


def test_who_attends_is_checked_against_the_case(runtime, actors, face_to_face, make_case):
    sides = people_of(runtime, actors, face_to_face)
    with pytest.raises(InvalidInput, match="each side"):
        plan(runtime, actors.mediator, face_to_face, **plan_form(sides, attendees=[sides["harmed"].id]))
    elsewhere = people_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    with pytest.raises(NotFound):
        plan(runtime, actors.mediator, face_to_face,
             **plan_form(sides, attendees=[sides["harmed"].id, elsewhere["responsible"].id]))
    with pytest.raises(InvalidInput, match="no co-mediator"):
        plan(runtime, actors.mediator, face_to_face, **plan_form(sides, with_co_mediator=True))


def test_a_support_person_attends_only_when_taking_part_in_meetings(runtime, actors, make_case):
    reference = make_case(CaseState.PREPARATION, Modality.FACE_TO_FACE)
    sides = people_of(runtime, actors, reference)
    with runtime.transaction() as s:
        support = people.add_person(s, actors.mediator, reference, "victim_family", role="support",
                                    supports=sides["harmed"].id, takes_part_in_meetings=False).id
    form = plan_form(sides, attendees=[sides["harmed"].id, sides["responsible"].id, support])
    with pytest.raises(InvalidInput, match="does not take part in meetings"):
        plan(runtime, actors.mediator, reference, **form)
    with runtime.transaction() as s:
        people.set_takes_part_in_meetings(s, actors.mediator, reference, support, True)
    meeting_id = plan(runtime, actors.mediator, reference, **form)
    assert f"participant-{support}" in {p.key for p in view(runtime, actors, reference, meeting_id).visitors}


def test_the_co_mediator_attends_as_a_visitor_and_may_act(runtime, actors, face_to_face):
    with runtime.transaction() as s:
        find_case(s, actors.mediator, face_to_face).co_mediator_id = actors.other_mediator.id
    sides = people_of(runtime, actors, face_to_face)
    meeting_id = plan(runtime, actors.other_mediator, face_to_face, **plan_form(sides, with_co_mediator=True))
    keys = {p.key for p in view(runtime, actors, face_to_face, meeting_id).visitors}
    assert f"mediator-{actors.other_mediator.id}" in keys and f"mediator-{actors.mediator.id}" in keys


def test_only_the_case_s_mediators_plan_and_see_meetings(runtime, actors, face_to_face):
    form = plan_form(people_of(runtime, actors, face_to_face))
    for outsider in (actors.other_mediator, actors.staff, actors.stranger):
        with pytest.raises(NotFound):
            plan(runtime, outsider, face_to_face, **form)
    meeting_id = plan(runtime, actors.mediator, face_to_face, **form)
    with runtime.transaction() as s, pytest.raises(Forbidden):
        meeting_views.meeting_view(s, actors.admin, face_to_face, meeting_id)
    with runtime.transaction() as s, pytest.raises(NotFound):
        meeting_views.meeting_view(s, actors.mediator, face_to_face, "0" * 32)
    with runtime.transaction() as s, pytest.raises(NotFound):
        meeting_views.meeting_view(s, actors.mediator, face_to_face, "../etc")


# ---------------------------------------------------------------------------------------------------------------
# Clearances, readiness, arrangements: the checklist


def test_a_clearance_for_someone_not_attending_is_refused(runtime, actors, face_to_face):
    sides = people_of(runtime, actors, face_to_face)
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(sides))
    cases = [(f"participant-{sides['responsible'].id}", "granted", "needs no clearance"),
             ("participant-999999", "granted", "not attending|is not"),
             (f"mediator-{actors.other_mediator.id}", "granted", "is not"),
             ("someone", "granted", "Choose the visitor"),
             (f"participant-{sides['harmed'].id}", "maybe", "clearance status")]
    for visitor, status, says in cases:
        with runtime.transaction() as s, pytest.raises(InvalidInput, match=says):
            meetings.set_clearance(s, actors.mediator, face_to_face, meeting_id, visitor=visitor, status=status)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="not attending"):
        meetings.set_readiness(s, actors.mediator, face_to_face, meeting_id, participant_id=999999, prepared=True,
                               confirmed=True)


def test_the_checklist_says_what_is_missing_and_who(runtime, actors, face_to_face):
    sides = people_of(runtime, actors, face_to_face)
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(sides))
    with runtime.transaction() as s:
        meetings.set_clearance(s, actors.mediator, face_to_face, meeting_id,
                               visitor=f"participant-{sides['harmed'].id}", status="refused")
    with runtime.transaction() as s:
        meetings.set_readiness(s, actors.mediator, face_to_face, meeting_id, participant_id=sides["harmed"].id,
                               prepared=True, confirmed=False)
    lines = {line.item: line for line in view(runtime, actors, face_to_face, meeting_id).checklist}
    assert [item for item, line in lines.items() if line.done] == []
    assert f"harmed (#{sides['harmed'].id})" in str(lines[ChecklistItem.CLEARANCES_GRANTED].missing)
    assert "the mediator" in str(lines[ChecklistItem.CLEARANCES_GRANTED].missing)
    assert str(lines[ChecklistItem.SAFETY_PLAN_RECORDED].missing) == "no safety plan is recorded"
    prepared = str(lines[ChecklistItem.EVERYONE_PREPARED].missing)
    assert f"#{sides['responsible'].id}" in prepared and f"#{sides['harmed'].id}" not in prepared
    complete(runtime, actors, face_to_face, meeting_id)
    assert view(runtime, actors, face_to_face, meeting_id).complete


def test_arrangements_are_sealed_and_their_reading_audited(runtime, actors, face_to_face):
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(people_of(runtime, actors, face_to_face)))
    with runtime.transaction() as s:
        meetings.record_arrangements(s, runtime.vault, actors.mediator, face_to_face, meeting_id,
                                     safety_plan="PLAN-CANARY", escorts="ESCORT-CANARY", travel="")
    with runtime.transaction() as s:
        meeting = s.get(FaceToFaceMeeting, meeting_id)
        assert b"PLAN-CANARY" not in meeting.sealed_safety_plan and meeting.sealed_travel is None
        opened = meetings.open_arrangements(s, runtime.vault, actors.mediator, face_to_face, meeting_id)
    assert opened == {"safety_plan": "PLAN-CANARY", "escorts": "ESCORT-CANARY", "travel": ""}
    assert count(runtime, AuditEntry, AuditEntry.tag == AuditTag.MEETING_ARRANGEMENTS_DECRYPTED.value) == 1
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="too long"):
        meetings.record_arrangements(s, runtime.vault, actors.mediator, face_to_face, meeting_id,
                                     safety_plan="x" * 5001, escorts="", travel="")


# ---------------------------------------------------------------------------------------------------------------
# Holding


def test_holding_waits_for_the_start_the_checklist_and_safety(runtime, actors, face_to_face):
    sides = people_of(runtime, actors, face_to_face)
    future = plan(runtime, actors.mediator, face_to_face, **plan_form(sides))
    complete(runtime, actors, face_to_face, future)
    with runtime.transaction() as s, pytest.raises(WrongState, match="not started yet"):
        meetings.hold_meeting(s, actors.mediator, face_to_face, future)
    meeting_id = started(runtime, actors, face_to_face)
    with runtime.transaction() as s, pytest.raises(GuardNotMet) as refusal:
        meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id)
    assert "no security clearance granted yet" in str(refusal.value) and "no safety plan" in str(refusal.value)
    complete(runtime, actors, face_to_face, meeting_id)
    assess(runtime, actors.mediator, face_to_face, sides["responsible"].id)
    with runtime.transaction() as s, pytest.raises(GuardNotMet) as refusal:
        meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id)
    assert f"a safety concern is recorded for the responsible (#{sides['responsible'].id})" in str(refusal.value)
    assert count(runtime, Activity, Activity.kind == ActivityKind.DEBRIEF) == 0


def test_holding_marks_it_done_and_plans_the_debrief_with_the_same_people(runtime, actors, face_to_face):
    meeting_id = started(runtime, actors, face_to_face)
    complete(runtime, actors, face_to_face, meeting_id)
    debrief_day = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    with runtime.transaction() as s:
        debrief_id = meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id, debrief_day=debrief_day,
                                           debrief_time="09:30").id
    with runtime.transaction() as s:
        held, debrief = s.get(Activity, meeting_id), s.get(Activity, debrief_id)
        assert held.status == ActivityStatus.DONE
        assert debrief.kind == ActivityKind.DEBRIEF and debrief.status == ActivityStatus.PLANNED
        assert debrief.starts_at.strftime("%Y-%m-%d %H:%M") == f"{debrief_day} 09:30"
        assert {a.participant_id for a in debrief.attendees} == {a.participant_id for a in held.attendees}
    shown = view(runtime, actors, face_to_face, meeting_id)
    assert shown.status == "done" and shown.debrief_at is not None and not shown.can_hold
    assert tags(runtime, actors, face_to_face).count(AuditTag.MEETING_HELD.value) == 1
    with runtime.transaction() as s, pytest.raises(WrongState, match="only a planned meeting"):
        meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id)


def test_a_new_mediator_needs_their_own_clearance_before_the_meeting_is_held(runtime, actors, face_to_face):
    meeting_id = started(runtime, actors, face_to_face)
    complete(runtime, actors, face_to_face, meeting_id)
    with runtime.transaction() as s:
        assignment.assign_mediator(s, actors.admin, face_to_face, actors.other_mediator.id)
    shown = view(runtime, actors, face_to_face, meeting_id, as_mediator=actors.other_mediator)
    assert [p.key for p in shown.people if p.participant_id is None] == [f"mediator-{actors.other_mediator.id}"]
    assert not shown.complete
    with runtime.transaction() as s, pytest.raises(GuardNotMet) as refusal:
        meetings.hold_meeting(s, actors.other_mediator, face_to_face, meeting_id)
    assert "no security clearance granted yet" in str(refusal.value) and "the mediator" in str(refusal.value)
    with runtime.transaction() as s:
        meetings.set_clearance(s, actors.other_mediator, face_to_face, meeting_id,
                               visitor=f"mediator-{actors.other_mediator.id}", status="granted")
    with runtime.transaction() as s:
        meetings.hold_meeting(s, actors.other_mediator, face_to_face, meeting_id)


def test_the_debrief_defaults_to_the_next_working_day_and_is_never_in_the_past(runtime, actors, face_to_face):
    meeting_id = started(runtime, actors, face_to_face)
    complete(runtime, actors, face_to_face, meeting_id)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="in the past"):
        meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id, debrief_day="2020-01-06")
    assert view(runtime, actors, face_to_face, meeting_id).status == "planned"
    with runtime.transaction() as s:
        debrief = meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id)
        assert debrief.starts_at.date() > date.today() and debrief.starts_at.weekday() < 5


def test_holding_only_in_the_face_to_face_dialogue(runtime, actors, make_case):
    reference = make_case(CaseState.PREPARATION, Modality.FACE_TO_FACE)
    meeting_id = started(runtime, actors, reference)
    complete(runtime, actors, reference, meeting_id)
    with runtime.transaction() as s, pytest.raises(WrongState):
        meetings.hold_meeting(s, actors.mediator, reference, meeting_id)


# ---------------------------------------------------------------------------------------------------------------
# Cancelling and rescheduling


def test_rescheduling_into_the_past_is_refused_and_to_come_is_audited(runtime, actors, face_to_face):
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(people_of(runtime, actors, face_to_face)))
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="in the past"):
        meetings.reschedule_meeting(s, actors.mediator, face_to_face, meeting_id, day="2020-01-01", start="10:00",
                                    end="11:00")
    later = (SOON + timedelta(days=7)).replace(hour=14, minute=0)
    with runtime.transaction() as s:
        meetings.reschedule_meeting(s, actors.mediator, face_to_face, meeting_id, **when(later))
    assert view(runtime, actors, face_to_face, meeting_id).starts_at.strftime("%H:%M") == "14:00"
    assert AuditTag.MEETING_RESCHEDULED.value in tags(runtime, actors, face_to_face)


def test_a_cancelled_meeting_cannot_be_changed_or_held(runtime, actors, face_to_face):
    meeting_id = started(runtime, actors, face_to_face)
    with runtime.transaction() as s:
        meetings.cancel_meeting(s, actors.mediator, face_to_face, meeting_id)
    with runtime.transaction() as s, pytest.raises(WrongState):
        meetings.hold_meeting(s, actors.mediator, face_to_face, meeting_id)
    with runtime.transaction() as s, pytest.raises(WrongState):
        meetings.set_clearance(s, actors.mediator, face_to_face, meeting_id,
                               visitor=f"mediator-{actors.mediator.id}", status="granted")
    assert view(runtime, actors, face_to_face, meeting_id).status == "cancelled"
    assert AuditTag.MEETING_CANCELLED.value in tags(runtime, actors, face_to_face)


def test_the_case_page_lists_the_case_s_meetings(runtime, actors, face_to_face):
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(people_of(runtime, actors, face_to_face)))
    with runtime.transaction() as s:
        listed = meeting_views.case_meetings(s, actors.mediator, face_to_face)
    assert [m.id for m in listed] == [meeting_id] and listed[0].missing


def test_a_paused_case_s_meeting_can_still_be_cancelled_but_not_changed(runtime, actors, face_to_face):
    from mediation.services import workflow
    meeting_id = plan(runtime, actors.mediator, face_to_face, **plan_form(people_of(runtime, actors, face_to_face)))
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, face_to_face, "pause", reason="wellbeing")
    with runtime.transaction() as s, pytest.raises(WrongState):
        meetings.reschedule_meeting(s, actors.mediator, face_to_face, meeting_id, **when(SOON))
    assert view(runtime, actors, face_to_face, meeting_id).can_cancel
    with runtime.transaction() as s:
        meetings.cancel_meeting(s, actors.mediator, face_to_face, meeting_id)
    assert view(runtime, actors, face_to_face, meeting_id).status == "cancelled"


def test_an_attendee_is_told_the_day_and_the_institution_and_nothing_else(runtime, actors, make_case):
    from tests.integration.test_messages import link_accounts
    face_to_face = make_case(CaseState.PREPARATION, Modality.FACE_TO_FACE)
    relay = link_accounts(runtime, actors, face_to_face)
    with runtime.transaction() as s:
        support = people.add_person(s, actors.mediator, face_to_face, "victim_family", role="support",
                                    supports=relay.harmed_id, takes_part_in_meetings=True)
        support.user_id = actors.stranger.id
    plan(runtime, actors.mediator, face_to_face,
         **plan_form(people_of(runtime, actors, face_to_face), attendees=[relay.harmed_id, relay.offender_id]))
    with runtime.transaction() as s:
        mine = meeting_views.my_meetings(s, actors.harmed_user)
        assert [(m.reference, m.institution) for m in mine] == [(face_to_face, "Northfield Institution")]
        assert meeting_views.my_meetings(s, actors.stranger) == []  # on the case, but not attending
        with pytest.raises(Forbidden):
            meeting_views.my_meetings(s, actors.mediator)
