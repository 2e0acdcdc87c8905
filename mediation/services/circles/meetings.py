"""A circle's meetings: planned, held (with who attended) or cancelled, and their minutes.

The circle's volunteers plan and record the meetings and write the minutes, which are sealed and due to the
coordinator within 48 hours of the meeting (a timer; the coordinator's page flags them overdue until then).
Minutes exist only for a meeting that was held: not for one planned in the future, cancelled, or not yet held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import Case, Circle, CircleAttendee, CircleMeeting, User
from mediation.models.content import new_record_id
from mediation.moments import aware, moment
from mediation.services.circles import timers
from mediation.services.circles.access import Standing, find_circle, require
from mediation.services.lookup import checked_record_id
from mediation.text import checked_text
from workflows.circle_people import MINUTES_DUE_AFTER, MeetingStatus
from workflows.circle_workflow import CircleState
from workflows.words import Code, Words

MEETING = Words("circle meeting")
MAX_MINUTES = 20_000
# A circle meets while it is running; a paused circle does not meet until it resumes.
MEETS_IN = (CircleState.ACTIVE, CircleState.RENEWAL_DUE)
VOLUNTEERS_OR_COORDINATOR = Words("the circle's volunteers or the coordinator")
VOLUNTEERS = Words("the circle's volunteers")


def _minutes_context(meeting: CircleMeeting) -> RecordContext:
    # No author bound in: a circle's minutes are the circle's, whichever volunteer wrote them.
    return RecordContext(meeting.case_id, "circle_minutes", meeting.id, None, "minutes")


def meeting_of(session: Session, case: Case, meeting_id: object) -> CircleMeeting:
    """The meeting with this id in this circle; any other id answers as a missing one."""
    wanted = checked_record_id(meeting_id, MEETING)
    meeting = session.get(CircleMeeting, wanted)
    if meeting is None or meeting.case_id != case.id:
        raise NotFound("There is no such %(what)s on this case.", what=MEETING)
    return meeting


def _team(standing: Standing) -> None:
    require(standing.volunteer or standing.coordinator, VOLUNTEERS_OR_COORDINATOR)


def plan_meeting(session: Session, actor: User, reference: object, *, day: object, at: object,
                 now: datetime | None = None) -> CircleMeeting:
    """Plan the circle's next meeting, at a time to come."""
    now = now or utcnow()
    starts = moment(day, at, Words("date of the meeting"), time_what=Words("time of the meeting"))
    if starts <= now:
        raise InvalidInput("The meeting is in the past; plan a date and time to come.")
    case, _, standing = find_circle(session, actor, reference, lock=True)
    _team(standing)
    if case.state not in MEETS_IN:
        raise WrongState("A circle meets while it is active; it is %(state)s.", state=Code(case.state))
    meeting = CircleMeeting(id=new_record_id(), case_id=case.id, starts_at=starts, status=MeetingStatus.PLANNED.value,
                            planned_by_id=actor.id, created_at=now, updated_at=now)
    session.add(meeting)
    session.flush()
    audit.record(session, AuditTag.CIRCLE_MEETING_PLANNED, actor=actor, now=now, case=case,
                 details={"meeting_id": meeting.id})
    return meeting


def _planned(session: Session, actor: User, reference: object,
             meeting_id: object) -> tuple[Case, Circle, CircleMeeting]:
    checked_record_id(meeting_id, MEETING)
    case, circle, standing = find_circle(session, actor, reference, lock=True)
    _team(standing)
    meeting = meeting_of(session, case, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise WrongState("This meeting is %(status)s; only a planned meeting can be changed.",
                         status=Code(f"circle_meeting_{meeting.status}"))
    return case, circle, meeting


def hold_meeting(session: Session, actor: User, reference: object, meeting_id: object, *,
                 attendees: list[int], now: datetime | None = None) -> CircleMeeting:
    """Record that the meeting took place, and who of the circle attended; its minutes are due 48 hours after."""
    now = now or utcnow()
    case, circle, meeting = _planned(session, actor, reference, meeting_id)
    if now < aware(meeting.starts_at):
        raise WrongState("The meeting has not taken place yet; record it once it has.")
    people = {m.volunteer_id for m in circle.members} | ({circle.core_member_id} if circle.core_member_id else set())
    chosen = sorted(set(attendees))
    if not chosen:
        raise InvalidInput("Tick who attended the meeting.")
    if not set(chosen) <= people:
        raise InvalidInput("Only the circle's volunteers and its core member can be recorded as attending.")
    meeting.attendees = [CircleAttendee(meeting_id=meeting.id, user_id=user_id) for user_id in chosen]
    meeting.status, meeting.updated_at = MeetingStatus.HELD.value, now
    meeting.minutes_due_at = aware(meeting.starts_at) + MINUTES_DUE_AFTER
    timers.arm_minutes_due(session, meeting, meeting.minutes_due_at)
    audit.record(session, AuditTag.CIRCLE_MEETING_HELD, actor=actor, now=now, case=case,
                 details={"meeting_id": meeting.id, "attendees": chosen})
    return meeting


def cancel_meeting(session: Session, actor: User, reference: object, meeting_id: object) -> CircleMeeting:
    case, _, meeting = _planned(session, actor, reference, meeting_id)
    now = utcnow()
    meeting.status, meeting.updated_at = MeetingStatus.CANCELLED.value, now
    audit.record(session, AuditTag.CIRCLE_MEETING_CANCELLED, actor=actor, now=now, case=case,
                 details={"meeting_id": meeting.id})
    return meeting


def submit_minutes(session: Session, vault: Vault, actor: User, reference: object, meeting_id: object, *,
                   text: object) -> CircleMeeting:
    """A volunteer of the circle submits the minutes of a meeting that was held (sealed); the overdue timer
    is cancelled with it. Minutes are submitted once."""
    minutes = checked_text(text, Words("minutes"), MAX_MINUTES, required=True)
    checked_record_id(meeting_id, MEETING)
    case, _, standing = find_circle(session, actor, reference, lock=True)
    require(standing.volunteer, VOLUNTEERS)
    meeting = meeting_of(session, case, meeting_id)
    if meeting.status != MeetingStatus.HELD:
        raise WrongState("Minutes are written for a meeting that took place; this one is %(status)s.",
                         status=Code(f"circle_meeting_{meeting.status}"))
    if meeting.sealed_minutes is not None:
        raise WrongState("The minutes of this meeting were already submitted.")
    if case.state == CircleState.ENDED:
        raise WrongState("This circle has ended.")
    now = utcnow()
    meeting.sealed_minutes = vault.seal_text(session, _minutes_context(meeting), minutes)
    meeting.minutes_by_id, meeting.minutes_at, meeting.updated_at = actor.id, now, now
    timers.minutes_submitted(session, meeting)
    audit.record_content(session, AuditTag.CIRCLE_MINUTES_SUBMITTED, case_id=case.id, actor=actor, now=now,
                         details={"meeting_id": meeting.id})
    return meeting


@dataclass(frozen=True)
class MinutesView:
    meeting_id: str
    starts_at: datetime
    text: str
    written_by: int | None


def open_minutes(session: Session, vault: Vault, actor: User, reference: object,
                 meeting_id: object) -> MinutesView:
    """A meeting's minutes for the circle's team (coordinator, supervising staff, volunteers), never the core
    member or the outer circle; the reading is audited."""
    checked_record_id(meeting_id, MEETING)
    case, _, standing = find_circle(session, actor, reference)
    require(standing.reads_content, Words("the circle's team"))
    meeting = meeting_of(session, case, meeting_id)
    if meeting.sealed_minutes is None:
        raise NotFound("The minutes of this meeting have not been submitted yet.")
    text = vault.open_text(session, _minutes_context(meeting), meeting.sealed_minutes)
    audit.record_content(session, AuditTag.CIRCLE_MINUTES_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"meeting_id": meeting.id})
    return MinutesView(meeting.id, aware(meeting.starts_at), text, meeting.minutes_by_id)


@dataclass(frozen=True)
class MeetingPage:
    """A meeting as the circle's team sees it: when, its status, who attended, the minutes (opened, audited)."""

    reference: str
    id: str
    starts_at: datetime
    status: str
    minutes_due_at: datetime | None
    attendees: list[tuple[int, str]]
    people: list[tuple[int, str]]  # the circle's volunteers and core member, for the attendance form
    minutes: str | None  # None: not submitted yet
    standing: Standing
    circle_open: bool

    @property
    def may_record(self) -> bool:
        return self.circle_open and (self.standing.volunteer or self.standing.coordinator)

    @property
    def may_write(self) -> bool:
        return self.circle_open and self.standing.volunteer


def meeting_page(session: Session, vault: Vault, actor: User, reference: object, meeting_id: object) -> MeetingPage:
    checked_record_id(meeting_id, MEETING)
    case, circle, standing = find_circle(session, actor, reference)
    require(standing.reads_content, Words("the circle's team"))
    meeting = meeting_of(session, case, meeting_id)
    names = {u.id: u.display_name for u in session.scalars(
        select(User).where(User.id.in_([m.volunteer_id for m in circle.members]
                                       + ([circle.core_member_id] if circle.core_member_id else []))))}
    minutes = None
    if meeting.sealed_minutes is not None:
        minutes = open_minutes(session, vault, actor, reference, meeting_id).text
    return MeetingPage(case.reference, meeting.id, aware(meeting.starts_at), meeting.status,
                       aware(meeting.minutes_due_at) if meeting.minutes_due_at else None,
                       [(a.user_id, names.get(a.user_id, "")) for a in meeting.attendees],
                       sorted(names.items(), key=lambda item: (item[1], item[0])), minutes, standing,
                       case.state != CircleState.ENDED)
