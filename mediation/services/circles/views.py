"""What the circles' pages show, read in one transaction each: lists by page, one circle as its team sees it,
the core member's circle in plain terms, and the forwarding staff member's received / acknowledged.

Nothing sealed is opened here (the minutes, concerns, request and outer circle have their own audited reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.errors import Forbidden
from mediation.models import Case, Circle, CircleAttendee, CircleConcern, CircleMeeting, Role, User
from mediation.moments import aware
from mediation.policy import require_role
from mediation.progress import ProgressStep, progress_line
from mediation.services.circles.access import (
    COORDINATOR_WORDS,
    CORE_MEMBER_WORDS,
    Standing,
    find_circle,
    is_coordinator,
    require,
    visible_circles,
)
from mediation.services.circles.lifecycle import triggers_for
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page
from mediation.services.organisations import of_organisation
from workflows.circle_people import MeetingStatus
from workflows.circle_workflow import CIRCLE_TRIGGERS, MAX_VOLUNTEERS, VOLUNTEERS_JOIN_IN, CircleState
from workflows.programmes import CIRCLES, workflow_of

LIST_KEY: tuple[KeyPart, ...] = ("time", "int")
MEETING_KEY: tuple[KeyPart, ...] = ("time", "text")
CONCERNS_SHOWN = 20  # the newest, as a summary; the concerns page lists them all, by page


@dataclass(frozen=True)
class CircleRow:
    reference: str
    state: str
    engagement_year: int
    updated_at: datetime


@dataclass(frozen=True)
class TriggerChoice:
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MeetingRow:
    id: str
    starts_at: datetime
    status: str
    attendees: int
    minutes_submitted: bool
    minutes_due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ConcernRow:
    id: str
    meeting_id: str
    raised_at: datetime
    serious: bool
    acknowledged: bool


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class CirclePage:
    reference: str
    state: str
    outcome: str | None
    version: int
    engagement_year: int
    year_ends_at: datetime | None
    standing: Standing
    triggers: list[TriggerChoice]
    core_member: Person | None
    supervisor: Person | None
    volunteers: list[Person]
    outer_roles: list[str]
    meetings: Page[MeetingRow]
    concerns: list[ConcernRow]
    renewal_wish: str | None
    has_request_note: bool
    workflow_version: str
    steps: list[tuple[str, list[tuple[str, str]]]]  # each state, with the triggers leaving it and where they lead

    @property
    def open(self) -> bool:
        return self.state != CircleState.ENDED

    @property
    def room_for_volunteer(self) -> bool:
        """Whether the page offers to add a volunteer (the workflow decides; this only spares a useless form)."""
        return self.state in VOLUNTEERS_JOIN_IN and len(self.volunteers) < MAX_VOLUNTEERS


def circles_list(session: Session, actor: User, query: ListQuery) -> Page[CircleRow]:
    """A page of the circles the actor has a place in, most recently active first."""
    statement = (select(Case.reference, Case.state, Circle.engagement_year, Case.updated_at, Case.id)
                 .join(Circle, Circle.case_id == Case.id)
                 .where(Case.programme == CIRCLES, visible_circles(session, actor)))
    if query.status:
        statement = statement.where(Case.state == query.status)
    page = fetch_page(session, statement, query, keys=(Case.updated_at, Case.id),
                      key_of=lambda row: (row.updated_at, row.id), parts=LIST_KEY, descending=True)
    return page.map(lambda row: CircleRow(row.reference, row.state, row.engagement_year, aware(row.updated_at)))


def _person(session: Session, user_id: int | None) -> Person | None:
    user = session.get(User, user_id) if user_id is not None else None
    return Person(user.id, user.display_name) if user is not None else None


def _meetings(session: Session, case: Case, query: ListQuery, now: datetime) -> Page[MeetingRow]:
    attendees = (select(func.count()).select_from(CircleAttendee)
                 .where(CircleAttendee.meeting_id == CircleMeeting.id).scalar_subquery())
    statement = select(CircleMeeting, attendees.label("attending")).where(CircleMeeting.case_id == case.id)
    page = fetch_page(session, statement, query, keys=(CircleMeeting.starts_at, CircleMeeting.id),
                      key_of=lambda row: (row.CircleMeeting.starts_at, row.CircleMeeting.id), parts=MEETING_KEY,
                      descending=True)
    return page.map(lambda row: _meeting_row(row.CircleMeeting, int(row.attending or 0), now))


def _meeting_row(meeting: CircleMeeting, attending: int, now: datetime) -> MeetingRow:
    due = aware(meeting.minutes_due_at) if meeting.minutes_due_at else None
    waiting = meeting.status == MeetingStatus.HELD and meeting.sealed_minutes is None
    return MeetingRow(meeting.id, aware(meeting.starts_at), meeting.status, attending,
                      meeting.sealed_minutes is not None, due, waiting and due is not None and now >= due)


def circle_page(session: Session, actor: User, reference: object, query: ListQuery,
                now: datetime | None = None) -> CirclePage:
    """One circle as its team sees it (the core member has ``core_member_view``)."""
    now = now or utcnow()
    case, circle, standing = find_circle(session, actor, reference)
    if not standing.reads_content:
        raise Forbidden("This page is for the circle's team; your own page shows your circle.")
    allowed = triggers_for(standing)
    possible = workflow_of(CIRCLES, case.workflow_version).triggers_from(case.state)
    triggers = [TriggerChoice(t, CIRCLE_TRIGGERS[t].reasons) for t in possible if t in allowed]
    concerns = list(session.scalars(select(CircleConcern).where(CircleConcern.case_id == case.id)
                                    .order_by(CircleConcern.raised_at.desc(), CircleConcern.id)
                                    .limit(CONCERNS_SHOWN)))
    volunteers = [p for m in circle.members if (p := _person(session, m.volunteer_id)) is not None]
    return CirclePage(
        reference=case.reference, state=case.state, outcome=case.outcome, version=case.version,
        engagement_year=circle.engagement_year,
        year_ends_at=aware(circle.year_ends_at) if circle.year_ends_at else None, standing=standing,
        triggers=triggers, core_member=_person(session, circle.core_member_id),
        supervisor=_person(session, circle.supervisor_id), volunteers=volunteers,
        outer_roles=[m.role for m in circle.outer], meetings=_meetings(session, case, query, now),
        concerns=[ConcernRow(c.id, c.meeting_id, aware(c.raised_at), c.serious, c.acknowledged_at is not None)
                  for c in concerns],
        renewal_wish=circle.renewal_wish, has_request_note=circle.sealed_request is not None,
        workflow_version=case.workflow_version, steps=_steps(case.workflow_version))


def _steps(version: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The workflow in words, state by state (what the picture draws), for the team's page."""
    definition = workflow_of(CIRCLES, version).definition
    return [(str(state), [(t.trigger, str(t.dest)) for t in definition.transitions
                          if t.source == state and t.dest != t.source])
            for state in definition.states]


@dataclass(frozen=True)
class CoreMemberCircle:
    """The core member's own circle in plain terms: where it is, when it meets; never minutes or concerns."""

    reference: str
    state: str
    outcome: str | None
    engagement_year: int
    year_ends_at: datetime | None
    meetings: Page[MeetingRow]
    renewal_wish: str | None
    progress: list[ProgressStep]  # the circle's phases in plain words, the current one marked

    @property
    def can_withdraw(self) -> bool:
        return self.state != CircleState.ENDED

    @property
    def renewal_asked(self) -> bool:
        return self.state == CircleState.RENEWAL_DUE


def core_member_view(session: Session, actor: User, reference: object, query: ListQuery,
                     now: datetime | None = None) -> CoreMemberCircle:
    case, circle, standing = find_circle(session, actor, reference)
    require(standing.core_member, CORE_MEMBER_WORDS)
    now = now or utcnow()
    return CoreMemberCircle(case.reference, case.state, case.outcome, circle.engagement_year,
                            aware(circle.year_ends_at) if circle.year_ends_at else None,
                            _meetings(session, case, query, now), circle.renewal_wish,
                            progress_line(case.workflow_version, case.state))


def circle_or_own(session: Session, actor: User, reference: object, query: ListQuery,
                  now: datetime | None = None) -> CirclePage | CoreMemberCircle:
    """The team's page of the circle, or, for its core member, their own circle in plain terms."""
    _, _, standing = find_circle(session, actor, reference)
    if standing.reads_content:
        return circle_page(session, actor, reference, query, now)
    return core_member_view(session, actor, reference, query, now)


def my_circle_references(session: Session, actor: User, *, limit: int = 10) -> list[str]:
    """The references of the circles a core member belongs to, newest first (the portal home's link)."""
    if not actor.is_active or actor.role != Role.PARTICIPANT:
        return []
    return list(session.scalars(select(Case.reference).join(Circle, Circle.case_id == Case.id)
                                .where(Circle.core_member_id == actor.id, of_organisation(actor))
                                .order_by(Case.id.desc()).limit(limit)))


@dataclass(frozen=True)
class OverdueMinutes:
    reference: str
    meeting_id: str
    starts_at: datetime
    due_at: datetime


def overdue_minutes(session: Session, actor: User, query: ListQuery,
                    now: datetime | None = None) -> Page[OverdueMinutes]:
    """Held meetings whose minutes are past due (48 hours after the meeting), for the coordinator (their own
    organisation's circles)."""
    if not is_coordinator(session, actor):
        raise Forbidden("Only %(who)s may do this.", who=COORDINATOR_WORDS)
    now = now or utcnow()
    statement = (select(CircleMeeting.id, CircleMeeting.starts_at, CircleMeeting.minutes_due_at, Case.reference)
                 .join(Case, Case.id == CircleMeeting.case_id)
                 .where(CircleMeeting.status == MeetingStatus.HELD.value, CircleMeeting.sealed_minutes.is_(None),
                        CircleMeeting.minutes_due_at <= now, Case.state != CircleState.ENDED.value,
                        of_organisation(actor)))
    page = fetch_page(session, statement, query, keys=(CircleMeeting.minutes_due_at, CircleMeeting.id),
                      key_of=lambda row: (row.minutes_due_at, row.id), parts=MEETING_KEY)
    return page.map(lambda row: OverdueMinutes(row.reference, row.id, aware(row.starts_at),
                                               aware(row.minutes_due_at)))


@dataclass(frozen=True)
class ForwardedRequest:
    """All the forwarding staff member learns: that it was received, and whether it was acknowledged."""

    reference: str
    received_at: datetime
    acknowledged: bool


def forwarded_requests(session: Session, actor: User, query: ListQuery) -> Page[ForwardedRequest]:
    require_role(actor, Role.STAFF)
    statement = (select(Case.reference, Case.created_at, Case.state, Case.id)
                 .where(Case.programme == CIRCLES, Case.referred_by_id == actor.id, of_organisation(actor)))
    page = fetch_page(session, statement, query, keys=(Case.created_at, Case.id),
                      key_of=lambda row: (row.created_at, row.id), parts=LIST_KEY, descending=True)
    return page.map(lambda row: ForwardedRequest(row.reference, aware(row.created_at),
                                                 row.state != CircleState.REQUESTED))
