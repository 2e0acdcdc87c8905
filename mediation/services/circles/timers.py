"""The circles' timers: minutes due 48 hours after a meeting, and the anniversary of the year of engagement.

Armed and cancelled inside the transaction of the service that owns the change (a meeting held, its minutes
submitted, a circle started, renewed or ended). When one fires, the worker runs its handler as the system:
overdue minutes leave each circles coordinator a notice (the coordinator's page flags the meeting until the
minutes come); the anniversary fires the workflow's ``anniversary`` trigger. Either is moot when what it was
armed for has already happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mediation.models import Case, CircleMeeting, NoticeKind, Timer, TimerKind
from mediation.services import notices
from mediation.services.programme_roles import holders
from mediation.timers import schedule
from mediation.timers.registry import Firing, Outcome, handles
from workflows.circle_people import MeetingStatus
from workflows.circle_workflow import CircleState
from workflows.programmes import CIRCLES

CIRCLE_TIMERS = (TimerKind.CIRCLE_MINUTES_DUE, TimerKind.CIRCLE_ANNIVERSARY)


def arm_anniversary(session: Session, case_id: int, due_at: datetime) -> None:
    schedule.arm(session, TimerKind.CIRCLE_ANNIVERSARY, due_at, case_id=case_id)


def arm_minutes_due(session: Session, meeting: CircleMeeting, due_at: datetime) -> None:
    schedule.arm(session, TimerKind.CIRCLE_MINUTES_DUE, due_at, case_id=meeting.case_id, subject_key=meeting.id)


def minutes_submitted(session: Session, meeting: CircleMeeting) -> None:
    schedule.cancel(session, [TimerKind.CIRCLE_MINUTES_DUE], case_id=meeting.case_id, subject_key=meeting.id)


def circle_ended(session: Session, case_id: int) -> None:
    """An ended circle asks for no renewal and waits for no minutes."""
    schedule.cancel(session, CIRCLE_TIMERS, case_id=case_id)


@handles(TimerKind.CIRCLE_MINUTES_DUE)
def minutes_due(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """The minutes are late: tell every circles coordinator (a notice naming the circle, never the content)."""
    meeting = session.get(CircleMeeting, timer.subject_key) if timer.subject_key else None
    case = session.get(Case, timer.case_id) if timer.case_id is not None else None
    if meeting is None or case is None or meeting.status != MeetingStatus.HELD:
        return Outcome.moot_because("meeting_gone")
    if meeting.sealed_minutes is not None:
        return Outcome.moot_because("minutes_submitted")
    if case.state == CircleState.ENDED:
        return Outcome.moot_because("circle_ended")
    for coordinator in holders(session, case.organisation_id, CIRCLES, "coordinator"):
        notices.tell(session, coordinator.id, NoticeKind.CIRCLE_MINUTES_OVERDUE, case.id, firing.now)
    return Outcome.done()


@handles(TimerKind.CIRCLE_ANNIVERSARY)
def anniversary(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """The year of engagement is over: the workflow asks for the renewal decision (moot unless active)."""
    from mediation.services.circles.lifecycle import reach_anniversary  # the lifecycle arms these timers

    if timer.case_id is None or reach_anniversary(session, timer.case_id, firing.now) is None:
        return Outcome.moot_because("circle_not_active")
    return Outcome.done()
