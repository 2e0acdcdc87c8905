"""What the meeting pages and the case page show of face-to-face meetings: times, place, who (by role, never by
name), clearances and the checklist. Nothing sealed is opened here (mediation.services.meetings.open_arrangements
does that, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.models import Activity, ActivityAttendee, Case, FaceToFaceMeeting, Participant, Role, User
from mediation.moments import aware
from mediation.policy import require_mediator_of, require_role
from mediation.services.lookup import checked_record_id, find_case
from mediation.services.meetings import MEETING, checklist_of, current_people, meeting_of, who_is
from mediation.services.organisations import of_organisation
from workflows.activities import ActivityStatus
from workflows.case_guards import gates_dialogue
from workflows.meetings import HOLDABLE_IN, PLANNABLE_IN, ChecklistLine, Clearance, missing_from
from workflows.safety import person_named
from workflows.vocabulary import OPEN_STATES
from workflows.words import Words

SHOWN_ON_CASE_PAGE = 5  # the newest meetings of a case; a case has a handful at most


@dataclass(frozen=True)
class PersonLine:
    key: str  # what the clearance form sends: participant-12, mediator-3
    who: Words
    participant_id: int | None
    clearance: str | None
    prepared: bool
    confirmed: bool


@dataclass(frozen=True)
class MeetingView:
    id: str
    reference: str
    version: int
    status: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    institution: str
    room: str | None
    with_co_mediator: bool
    people: list[PersonLine]
    checklist: list[ChecklistLine]
    missing: list[Words]
    arrangements: dict[str, bool]  # which sealed fields are recorded
    debrief_at: datetime | None
    can_change: bool
    can_hold: bool
    can_cancel: bool
    clearances: tuple[str, ...] = tuple(c.value for c in Clearance)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def visitors(self) -> list[PersonLine]:
        return [p for p in self.people if p.clearance is not None]


def _view(session: Session, case: Case, meeting: FaceToFaceMeeting) -> MeetingView:
    activity = session.get(Activity, meeting.activity_id)
    assert activity is not None
    debrief = session.get(Activity, meeting.debrief_activity_id) if meeting.debrief_activity_id else None
    planned = activity.status == ActivityStatus.PLANNED
    present = current_people(case, meeting, activity.with_co_mediator) if planned else meeting.people
    people = [PersonLine(f"participant-{p.participant_id}" if p.participant_id is not None
                         else f"mediator-{p.mediator_id}", who_is(case, p), p.participant_id,
                         p.clearance, p.prepared, p.confirmed) for p in present]
    lines = checklist_of(case, meeting, present)
    starts_at = aware(activity.starts_at)
    return MeetingView(
        meeting.activity_id, case.reference, case.version, activity.status, starts_at,
        starts_at + timedelta(minutes=activity.duration_minutes), meeting.venue, meeting.institution, meeting.room,
        activity.with_co_mediator, people, lines, missing_from(lines),
        {"safety_plan": meeting.sealed_safety_plan is not None, "escorts": meeting.sealed_escorts is not None,
         "travel": meeting.sealed_travel is not None},
        aware(debrief.starts_at) if debrief else None, planned and case.state in PLANNABLE_IN,
        planned and case.state in HOLDABLE_IN, planned and case.state in OPEN_STATES)


def meeting_view(session: Session, actor: User, reference: str, meeting_id: object) -> MeetingView:
    checked_record_id(meeting_id, MEETING)  # before any query
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    return _view(session, case, meeting_of(session, case, meeting_id))


def case_meetings(session: Session, actor: User, reference: str) -> list[MeetingView]:
    """The case's newest meetings with their checklists, for its mediators' case page."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    meetings = session.scalars(
        select(FaceToFaceMeeting).join(Activity, Activity.id == FaceToFaceMeeting.activity_id)
        .where(FaceToFaceMeeting.case_id == case.id)
        .order_by(Activity.starts_at.desc(), Activity.id).limit(SHOWN_ON_CASE_PAGE))
    return [_view(session, case, m) for m in meetings]


@dataclass(frozen=True)
class Invitee:
    participant_id: int
    who: Words
    side: str
    relationship: str
    may_attend: bool  # a support person attends only if they take part in meetings


@dataclass(frozen=True)
class PlanningForm:
    reference: str
    version: int
    state: str
    can_plan: bool
    has_co_mediator: bool
    people: list[Invitee]


def planning_form(session: Session, actor: User, reference: str) -> PlanningForm:
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    people = [Invitee(p.id, person_named(p), p.side, p.relationship_to_case, gates_dialogue(p))
              for p in case.participants]
    return PlanningForm(case.reference, case.version, case.state, case.state in PLANNABLE_IN,
                        case.co_mediator_id is not None, people)


@dataclass(frozen=True)
class MyMeeting:
    """What a participant is told of a meeting they attend: the day and the institution, nothing more (not who
    else comes, nor any clearance)."""

    reference: str
    starts_at: datetime
    institution: str


MY_MEETINGS_SHOWN = 10


def my_meetings(session: Session, actor: User) -> list[MyMeeting]:
    """The planned meetings to come that this participant attends, soonest first."""
    require_role(actor, Role.PARTICIPANT)
    rows = session.execute(
        select(Case.reference, Activity.starts_at, FaceToFaceMeeting.institution)
        .join(Activity, Activity.id == FaceToFaceMeeting.activity_id)
        .join(ActivityAttendee, ActivityAttendee.activity_id == Activity.id)
        .join(Participant, Participant.id == ActivityAttendee.participant_id)
        .join(Case, Case.id == FaceToFaceMeeting.case_id)
        .where(Participant.user_id == actor.id, Participant.case_id == Case.id, of_organisation(actor),
               Activity.status == ActivityStatus.PLANNED.value, Activity.starts_at >= utcnow(),
               Case.state.in_(OPEN_STATES))
        .order_by(Activity.starts_at, Activity.id).limit(MY_MEETINGS_SHOWN))
    return [MyMeeting(reference, aware(starts_at), institution) for reference, starts_at, institution in rows]
