"""Planning, preparing and holding a face-to-face meeting (issue 9, item 2).

A meeting is an Activity of kind face_to_face_meeting (so the calendar and the dashboard show it) with a
FaceToFaceMeeting row for its venue, visitors, clearances, readiness and sealed arrangements. Only the case's
mediators plan and change it; each call is one transaction with its audit entry. Holding it checks the
checklist and everyone's safety (mediation.services.safety.require_safe_to_meet), marks the activity done and
plans the debrief, together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import Activity, ActivityAttendee, Case, FaceToFaceMeeting, MeetingPerson, Participant, User
from mediation.models.content import new_record_id
from mediation.moments import aware
from mediation.policy import participant_of, require_mediator_of
from mediation.services import meeting_input as check
from mediation.services import reminders_arming
from mediation.services.lookup import checked_record_id, find_case, require_state, require_version
from mediation.services.safety import HOLD_MEETING, require_safe_to_meet
from mediation.text import checked_text
from workflows.activities import ActivityKind, ActivityStatus
from workflows.errors import GuardNotMet
from workflows.meetings import (
    CO_MEDIATOR,
    HOLDABLE_IN,
    MEDIATOR,
    PLANNABLE_IN,
    ChecklistLine,
    Clearance,
    PersonReadiness,
    checklist,
    held_there,
    missing_from,
)
from workflows.safety import person_named
from workflows.vocabulary import OPEN_STATES, ParticipantRole, Safety, Side
from workflows.words import Code, Words

MEETING = Words("meeting")
SEALED_FIELDS = ("safety_plan", "escorts", "travel")
DEBRIEF_MINUTES = 60


# --- finding a meeting ----------------------------------------------------------------------------------------

def meeting_of(session: Session, case: Case, meeting_id: object) -> FaceToFaceMeeting:
    """The meeting with this id on this case; any other id answers as a missing one."""
    wanted = checked_record_id(meeting_id, MEETING)
    meeting = session.get(FaceToFaceMeeting, wanted)
    if meeting is None or meeting.case_id != case.id:
        raise NotFound("There is no such %(what)s on this case.", what=MEETING)
    return meeting


def _activity(session: Session, meeting: FaceToFaceMeeting) -> Activity:
    activity = session.get(Activity, meeting.activity_id)
    assert activity is not None  # the foreign key holds it
    return activity


def _planned(session: Session, actor: User, reference: str, meeting_id: object, *, allowed: Iterable[str],
             action: str, expected_version: int | None = None,
             ) -> tuple[Case, FaceToFaceMeeting, Activity]:
    """The case (locked), its planned meeting and its activity, for one of its mediators to change."""
    checked_record_id(meeting_id, MEETING)  # before any query
    case = find_case(session, actor, reference, lock=True)
    require_mediator_of(actor, case)
    require_version(case, expected_version)
    require_state(case, allowed, action)
    meeting = meeting_of(session, case, meeting_id)
    activity = _activity(session, meeting)
    if activity.status != ActivityStatus.PLANNED:
        raise WrongState("This meeting is %(status)s; only a planned meeting can be changed.",
                         status=Code(f"meeting_{activity.status}"))
    meeting.people = current_people(case, meeting, activity.with_co_mediator)
    return case, meeting, activity


def _mediators_of(case: Case, with_co_mediator: bool) -> list[int]:
    return [m for m in (case.assigned_mediator_id, case.co_mediator_id if with_co_mediator else None)
            if m is not None]


def current_people(case: Case, meeting: FaceToFaceMeeting, with_co_mediator: bool) -> list[MeetingPerson]:
    """The meeting's people with its mediators as the case has them now: a mediator taken off the case leaves
    the meeting (and its clearance with them), and one newly given the case joins it needing a clearance, so a
    reassignment can never bring someone uncleared into the institution."""
    mediators = _mediators_of(case, with_co_mediator)
    kept = [p for p in meeting.people if p.mediator_id is None or p.mediator_id in mediators]
    present = {p.mediator_id for p in kept}
    return kept + [MeetingPerson(mediator_id=m, clearance=Clearance.NOT_REQUESTED.value, prepared=True,
                                 confirmed=True) for m in mediators if m not in present]


# --- planning -----------------------------------------------------------------------------------------------

def _attendees(case: Case, participant_ids: Iterable[int]) -> list[Participant]:
    chosen = {pid: participant_of(case, pid) for pid in participant_ids}
    people = sorted(chosen.values(), key=lambda p: p.id)
    sides = {p.side for p in people}
    if not {Side.HARMED, Side.RESPONSIBLE} <= sides:
        raise InvalidInput("A face-to-face meeting brings both sides together: choose at least one person of "
                           "each side.")
    for person in people:
        if person.role == ParticipantRole.SUPPORT and not person.takes_part_in_meetings:
            raise InvalidInput("%(person)s does not take part in meetings; change that on the participants list "
                               "first.", person=person_named(person))
    return people


def _new_activity(session: Session, case: Case, actor: User, kind: ActivityKind, *, starts_at: datetime,
                  minutes: int, place: str | None, people: Iterable[Participant], with_co_mediator: bool,
                  now: datetime) -> Activity:
    """An Activity row of this case (the calendar and dashboard read it); the one way this service adds one."""
    activity = Activity(id=new_record_id(), case_id=case.id, kind=kind.value, status=ActivityStatus.PLANNED.value,
                        starts_at=starts_at, duration_minutes=minutes, place=place,
                        with_co_mediator=with_co_mediator, recorded_by_id=actor.id, created_at=now, updated_at=now)
    activity.attendees = [ActivityAttendee(participant_id=p.id) for p in people]
    session.add(activity)
    reminders_arming.activity_planned(session, case.id, activity.id, starts_at)
    return activity


def _place(institution: str, room: str) -> str:
    return f"{institution}, {room}" if room else institution


def plan_meeting(session: Session, actor: User, reference: str, *, venue: object, institution: object,
                 room: object, day: object, start: object, end: object, attendees: Iterable[int],
                 with_co_mediator: bool = False, expected_version: int | None = None,
                 now: datetime | None = None) -> FaceToFaceMeeting:
    """Plan a meeting: where, when, who. Each visitor (everyone not held where it takes place, and the
    mediators) starts with a clearance not yet requested."""
    now = now or utcnow()
    where = check.checked_venue(venue)
    name = checked_text(institution, Words("institution or place"), check.MAX_PLACE, required=True,
                        one_line=True)
    room_text = checked_text(room, Words("room"), check.MAX_ROOM, one_line=True)
    starts = check.in_the_future(check.meeting_moment(day, start, Words("date and time of the meeting")), now,
                                 Words("meeting"))
    minutes = check.span(starts, end)
    case = find_case(session, actor, reference, lock=True)
    require_mediator_of(actor, case)
    require_version(case, expected_version)
    require_state(case, PLANNABLE_IN, "plan a face-to-face meeting")
    if with_co_mediator and case.co_mediator_id is None:
        raise InvalidInput("This case has no co-mediator to attend the meeting.")
    people = _attendees(case, attendees)
    activity = _new_activity(session, case, actor, ActivityKind.FACE_TO_FACE_MEETING, starts_at=starts,
                             minutes=minutes, place=_place(name, room_text), people=people,
                             with_co_mediator=with_co_mediator, now=now)
    meeting = FaceToFaceMeeting(activity_id=activity.id, case_id=case.id, venue=where.value, institution=name,
                                room=room_text or None, updated_at=now)
    needs = Clearance.NOT_REQUESTED.value
    meeting.people = [MeetingPerson(participant_id=p.id, prepared=False, confirmed=False,
                                    clearance=None if held_there(where, p.side, p.role) else needs)
                      for p in people]
    meeting.people += [MeetingPerson(mediator_id=m, clearance=needs, prepared=True, confirmed=True)
                       for m in _mediators_of(case, with_co_mediator)]
    session.add(meeting)
    audit.record(session, AuditTag.MEETING_PLANNED, actor=actor, now=now, case=case,
                 details={"activity_id": activity.id, "venue": where.value, "attendees": [p.id for p in people],
                          "with_co_mediator": with_co_mediator})
    return meeting


def set_clearance(session: Session, actor: User, reference: str, meeting_id: object, *, visitor: object,
                  status: object, expected_version: int | None = None) -> MeetingPerson:
    """Record a visitor's security clearance; refused for anyone not attending or held where it takes place."""
    kind, number = check.checked_visitor(visitor)
    chosen = check.checked_clearance(status)
    case, meeting, _ = _planned(session, actor, reference, meeting_id, allowed=PLANNABLE_IN,
                                action="record a clearance", expected_version=expected_version)
    person = next((p for p in meeting.people
                   if (p.participant_id if kind == "participant" else p.mediator_id) == number), None)
    if person is None:
        raise InvalidInput("A clearance is recorded only for someone attending the meeting; this person is not.")
    if person.clearance is None:
        raise InvalidInput("This person is held where the meeting takes place and needs no clearance.")
    person.clearance = chosen.value
    now = utcnow()
    meeting.updated_at = now
    audit.record(session, AuditTag.MEETING_CLEARANCE_SET, actor=actor, now=now, case=case,
                 details={"activity_id": meeting.activity_id, "visitor": f"{kind}-{number}",
                          "clearance": chosen.value})
    return person


def set_readiness(session: Session, actor: User, reference: str, meeting_id: object, *, participant_id: int,
                  prepared: bool, confirmed: bool, expected_version: int | None = None) -> MeetingPerson:
    """Record that the mediator prepared an attendee for the meeting, and that they confirmed they will come."""
    case, meeting, _ = _planned(session, actor, reference, meeting_id, allowed=PLANNABLE_IN,
                                action="record who is ready", expected_version=expected_version)
    person = next((p for p in meeting.people if p.participant_id == participant_id), None)
    if person is None:
        raise InvalidInput("This person is not attending the meeting.")
    person.prepared, person.confirmed = prepared, confirmed
    now = utcnow()
    meeting.updated_at = now
    audit.record(session, AuditTag.MEETING_READINESS_SET, actor=actor, now=now, case=case,
                 details={"activity_id": meeting.activity_id, "participant_id": participant_id,
                          "prepared": prepared, "confirmed": confirmed})
    return person


# --- sealed arrangements --------------------------------------------------------------------------------------

def _context(meeting: FaceToFaceMeeting, author_id: int, field: str) -> RecordContext:
    # The planner is the author bound into every field, so either mediator can rewrite and read them.
    return RecordContext(meeting.case_id, "meeting", meeting.activity_id, author_id, field)


def record_arrangements(session: Session, vault: Vault, actor: User, reference: str, meeting_id: object, *,
                        safety_plan: object, escorts: object, travel: object) -> FaceToFaceMeeting:
    """Seal the safety plan, the escorts (who escorts whom) and the travel arrangements; blank clears a field."""
    texts = {"safety_plan": checked_text(safety_plan, Words("safety plan"), check.MAX_SEALED),
             "escorts": checked_text(escorts, Words("escorts"), check.MAX_SEALED),
             "travel": checked_text(travel, Words("travel arrangements"), check.MAX_SEALED)}
    case, meeting, activity = _planned(session, actor, reference, meeting_id, allowed=PLANNABLE_IN,
                                       action="record the arrangements of a meeting")
    for field, text in texts.items():
        sealed = vault.seal_text(session, _context(meeting, activity.recorded_by_id, field), text) if text else None
        setattr(meeting, f"sealed_{field}", sealed)
    now = utcnow()
    meeting.updated_at = now
    audit.record_content(session, AuditTag.MEETING_ARRANGEMENTS_RECORDED, case_id=case.id, actor=actor, now=now,
                         details={"activity_id": meeting.activity_id,
                                  "recorded": [f for f, text in texts.items() if text]})
    return meeting


def open_arrangements(session: Session, vault: Vault, actor: User, reference: str,
                      meeting_id: object) -> dict[str, str]:
    """The sealed arrangements, opened for the case's mediators only; the reading is audited."""
    checked_record_id(meeting_id, MEETING)
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    meeting = meeting_of(session, case, meeting_id)
    author = _activity(session, meeting).recorded_by_id
    opened = {}
    for field in SEALED_FIELDS:
        sealed = getattr(meeting, f"sealed_{field}")
        opened[field] = vault.open_text(session, _context(meeting, author, field), sealed) if sealed else ""
    if any(opened.values()):
        audit.record_content(session, AuditTag.MEETING_ARRANGEMENTS_DECRYPTED, case_id=case.id, actor=actor,
                             now=utcnow(), details={"activity_id": meeting.activity_id})
    return opened


# --- holding, cancelling, rescheduling ------------------------------------------------------------------------

def who_is(case: Case, person: MeetingPerson) -> Words:
    """A person at the meeting by role and side, never by name."""
    if person.participant_id is not None:
        return person_named(participant_of(case, person.participant_id))
    return MEDIATOR if person.mediator_id == case.assigned_mediator_id else CO_MEDIATOR


def checklist_of(case: Case, meeting: FaceToFaceMeeting, people: list[MeetingPerson]) -> list[ChecklistLine]:
    """The meeting's checklist over ``people`` (``current_people`` while it is planned), each line saying who or
    what it still waits for."""
    readiness = [PersonReadiness(who_is(case, p), p.clearance,
                                 p.prepared if p.participant_id is not None else None,
                                 p.confirmed if p.participant_id is not None else None) for p in people]
    return checklist(readiness, meeting.sealed_safety_plan is not None)


def _concerns_among(case: Case, meeting: FaceToFaceMeeting) -> list[Words]:
    ids = {p.participant_id for p in meeting.people}
    return [person_named(p) for p in case.participants if p.id in ids and p.safety == Safety.CONCERNS]


def hold_meeting(session: Session, actor: User, reference: str, meeting_id: object, *, debrief_day: object = None,
                 debrief_time: object = None, expected_version: int | None = None,
                 now: datetime | None = None) -> Activity:
    """Mark the meeting held and plan its debrief with the same people, in one transaction and one audit entry.

    Refused before its start, while the checklist is incomplete, or while anyone in it has a safety concern;
    the refusal names what is missing and who.
    """
    now = now or utcnow()
    case, meeting, activity = _planned(session, actor, reference, meeting_id, allowed=HOLDABLE_IN,
                                       action="hold a meeting", expected_version=expected_version)
    starts_at = aware(activity.starts_at)
    if now < starts_at:
        raise WrongState("The meeting has not started yet; it can be marked held from its start time.")
    missing = missing_from(checklist_of(case, meeting, meeting.people))
    if missing:
        raise GuardNotMet(HOLD_MEETING, ["checklist_complete"], missing)
    require_safe_to_meet(session, actor, reference)
    concerns = _concerns_among(case, meeting)
    if concerns:
        raise GuardNotMet(HOLD_MEETING, ["no_safety_concern"],
                          [Words("a safety concern is recorded for %(people)s", people=tuple(concerns))])
    debrief_at = _debrief_moment(debrief_day, debrief_time, starts_at, now)
    activity.status, activity.updated_at = ActivityStatus.DONE.value, now
    reminders_arming.activity_settled(session, case.id, activity.id)
    attendees = [participant_of(case, a.participant_id) for a in activity.attendees]
    debrief = _new_activity(session, case, actor, ActivityKind.DEBRIEF, starts_at=debrief_at,
                            minutes=DEBRIEF_MINUTES, place=activity.place, people=attendees,
                            with_co_mediator=activity.with_co_mediator, now=now)
    meeting.debrief_activity_id, meeting.updated_at = debrief.id, now
    audit.record(session, AuditTag.MEETING_HELD, actor=actor, now=now, case=case,
                 details={"activity_id": activity.id, "debrief_activity_id": debrief.id})
    return debrief


def _debrief_moment(day: object, at: object, starts_at: datetime, now: datetime) -> datetime:
    """The debrief's time from the form; by default the next working day, at the meeting's time of day."""
    if day in (None, ""):
        on = check.next_working_day(now.date())
        when = datetime.combine(on, time(starts_at.hour, starts_at.minute), tzinfo=UTC)
    else:
        when = check.meeting_moment(day, at or "10:00", Words("date and time of the debrief"))
    return check.in_the_future(when, now, Words("debrief"))


def cancel_meeting(session: Session, actor: User, reference: str, meeting_id: object, *,
                   expected_version: int | None = None) -> Activity:
    """Cancel a planned meeting, in any open step (a paused case's meeting must leave the calendar too)."""
    case, meeting, activity = _planned(session, actor, reference, meeting_id, allowed=OPEN_STATES,
                                       action="cancel a meeting", expected_version=expected_version)
    now = utcnow()
    activity.status, activity.updated_at, meeting.updated_at = ActivityStatus.CANCELLED.value, now, now
    reminders_arming.activity_settled(session, case.id, activity.id)
    audit.record(session, AuditTag.MEETING_CANCELLED, actor=actor, now=now, case=case,
                 details={"activity_id": activity.id})
    return activity


def reschedule_meeting(session: Session, actor: User, reference: str, meeting_id: object, *, day: object,
                       start: object, end: object, expected_version: int | None = None,
                       now: datetime | None = None) -> Activity:
    """Move a planned meeting to another time to come; its clearances and checklist stay as they are."""
    now = now or utcnow()
    starts = check.in_the_future(check.meeting_moment(day, start, Words("date and time of the meeting")), now,
                                 Words("meeting"))
    minutes = check.span(starts, end)
    case, meeting, activity = _planned(session, actor, reference, meeting_id, allowed=PLANNABLE_IN,
                                       action="reschedule a meeting", expected_version=expected_version)
    previous = activity.starts_at
    activity.starts_at, activity.duration_minutes, activity.updated_at = starts, minutes, now
    reminders_arming.activity_planned(session, case.id, activity.id, starts)
    meeting.updated_at = now
    audit.record(session, AuditTag.MEETING_RESCHEDULED, actor=actor, now=now, case=case,
                 details={"activity_id": activity.id, "moved_by_minutes":
                          int((starts - aware(previous)) / timedelta(minutes=1))})
    return activity
