"""Arming and cancelling the case's reminders, inside the transaction of the change that starts or ends them.

Each function here is called by the service that owns the change (a case moving, an invitation issued, a
message submitted...), so a change rolled back leaves no timer and a change that makes a reminder moot cancels
it in the same commit. What each timer does when it fires lives in ``reminders_handlers``.

The delays come from the settings the runtime hands every session (``session.info["settings"]``); a session
made without a runtime (a benchmark's, a script's) uses the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from mediation.db import table
from mediation.models import TimerKind, TimerState
from mediation.moments import aware
from mediation.timers import schedule
from workflows.message_workflow import MessageState
from workflows.vocabulary import OPEN_STATES, CaseState


@dataclass(frozen=True)
class Delays:
    """How long after the change that arms it each reminder comes due."""

    stale_days: int = 14
    escalation_days: int = 7
    review_wait_days: int = 3
    reassessment_days: int = 90
    reminder_hours: int = 24
    retention_days: int = 5 * 365


DEFAULTS = Delays()


def delays(session: Session) -> Delays:
    settings = session.info.get("settings")
    if settings is None:
        return DEFAULTS
    timing = settings.timing
    return Delays(stale_days=settings.stale_case_days, escalation_days=timing.stale_escalation_days,
                  review_wait_days=timing.review_wait_days, reassessment_days=timing.reassessment_days,
                  reminder_hours=timing.reminder_hours, retention_days=settings.retention_days)


# Every reminder about an open case; closing the case cancels them all (and arms the retention timer).
CASE_REMINDERS = (TimerKind.CASE_STALE, TimerKind.CASE_STALE_ESCALATION, TimerKind.REVIEW_WAITING,
                  TimerKind.REASSESSMENT_DUE, TimerKind.AGREEMENT_ITEM_DUE, TimerKind.ACTIVITY_DUE,
                  TimerKind.INVITATION_EXPIRES)
_OPEN = frozenset(str(state) for state in OPEN_STATES)

# The hot path (every transition): one UPDATE moves the case's pending stale timer, unless a worker holds it.
_TIMERS = table("timers")
_PENDING_STALE = (select(_TIMERS.c.id)
                  .where(_TIMERS.c.kind == TimerKind.CASE_STALE.value, _TIMERS.c.state == TimerState.PENDING.value,
                         _TIMERS.c.case_id == bindparam("stale_case"))
                  .limit(1).with_for_update(skip_locked=True).scalar_subquery())
_MOVE_STALE = update(_TIMERS).where(_TIMERS.c.id == _PENDING_STALE).values(due_at=bindparam("new_due"))


def case_activity(session: Session, case_id: int, state: str, updated_at: datetime, *,
                  source: str | None = None, closed_at: datetime | None = None) -> None:
    """Something happened on the case (its audit chain moved): its stale-case timer starts again from now.

    ``source`` is the state it left when this was a transition: entering closed cancels every reminder and
    arms the end of retention; leaving closed (a reopening) cancels that again.
    """
    if state == CaseState.CLOSED:
        if source is not None and source != CaseState.CLOSED:
            case_closed(session, case_id, closed_at or updated_at)
        return
    if source == CaseState.CLOSED:
        schedule.cancel(session, [TimerKind.RETENTION_ENDS], case_id=case_id)
    if state not in _OPEN:
        return
    due = aware(updated_at) + timedelta(days=delays(session).stale_days)
    if session.connection().execute(_MOVE_STALE, {"stale_case": case_id, "new_due": due}).rowcount:
        return
    # None pending: the case's first activity, or its stale timer already fired (and told the mediator).
    schedule.cancel(session, [TimerKind.CASE_STALE_ESCALATION], case_id=case_id)
    schedule.arm(session, TimerKind.CASE_STALE, due, case_id=case_id)


def case_closed(session: Session, case_id: int, closed_at: datetime) -> None:
    """The case closed: nothing more to remind anyone of; its content is purged when retention ends."""
    schedule.cancel(session, CASE_REMINDERS, case_id=case_id)
    schedule.arm(session, TimerKind.RETENTION_ENDS, aware(closed_at) + timedelta(days=delays(session).retention_days),
                 case_id=case_id)


def invitation_issued(session: Session, invitation_id: int, expires_at: datetime, *, case_id: int | None,
                      user_id: int | None, replaced: list[int]) -> None:
    """A new invitation expires at ``expires_at``; the earlier ones it ``replaced`` will never expire unused."""
    for earlier in replaced:
        schedule.cancel(session, [TimerKind.INVITATION_EXPIRES], subject_id=earlier)
    schedule.arm(session, TimerKind.INVITATION_EXPIRES, expires_at, case_id=case_id, user_id=user_id,
                 subject_id=invitation_id)


def invitation_used(session: Session, invitation_id: int) -> None:
    schedule.cancel(session, [TimerKind.INVITATION_EXPIRES], subject_id=invitation_id)


def message_moved(session: Session, case_id: int, message_id: str, state: str, now: datetime) -> None:
    """A message waits for review (submitted, or revised and submitted again), or no longer does."""
    if state == MessageState.SUBMITTED:
        schedule.arm(session, TimerKind.REVIEW_WAITING, now + timedelta(days=delays(session).review_wait_days),
                     case_id=case_id, subject_key=message_id)
    else:
        schedule.cancel(session, [TimerKind.REVIEW_WAITING], case_id=case_id, subject_key=message_id)


def safety_assessed(session: Session, case_id: int, participant_id: int, now: datetime) -> None:
    """A new assessment: the next one is due ``reassessment_days`` from now (moving any earlier reminder)."""
    schedule.arm(session, TimerKind.REASSESSMENT_DUE, now + timedelta(days=delays(session).reassessment_days),
                 case_id=case_id, subject_id=participant_id)


def activity_planned(session: Session, case_id: int, activity_id: str, starts_at: datetime) -> None:
    """A planned activity or meeting (or one moved): its mediators are reminded ``reminder_hours`` before."""
    schedule.arm(session, TimerKind.ACTIVITY_DUE,
                 aware(starts_at) - timedelta(hours=delays(session).reminder_hours),
                 case_id=case_id, subject_key=activity_id)


def activity_settled(session: Session, case_id: int, activity_id: str) -> None:
    """Done or cancelled: nothing left to remind of."""
    schedule.cancel(session, [TimerKind.ACTIVITY_DUE], case_id=case_id, subject_key=activity_id)


def item_due_moment(due_on: date) -> datetime:
    """An agreement item is due by the start of its day (UTC)."""
    return datetime.combine(due_on, time(), tzinfo=UTC)


def agreement_item_added(session: Session, case_id: int, item_id: str, due_on: date) -> None:
    schedule.arm(session, TimerKind.AGREEMENT_ITEM_DUE,
                 item_due_moment(due_on) - timedelta(hours=delays(session).reminder_hours),
                 case_id=case_id, subject_key=item_id)


def agreement_item_settled(session: Session, case_id: int, item_id: str) -> None:
    schedule.cancel(session, [TimerKind.AGREEMENT_ITEM_DUE], case_id=case_id, subject_key=item_id)
