"""What the case's reminders do when they fire: a notice to whoever must act, or nothing when the case moved on.

Each handler runs in the worker's transaction as the system (``mediation.timers.registry``). It reads the case
as it is now; when what the timer was armed for has already happened (the message was reviewed, the activity
held, the case closed), the timer is moot and the runner audits why. A notice names the kind and the case,
never anything said or written in it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.models import (
    Activity,
    AgreementItem,
    Case,
    Invitation,
    Message,
    NoticeKind,
    Participant,
    Role,
    Timer,
    TimerKind,
    TimerState,
    User,
)
from mediation.moments import aware
from mediation.services import notices
from mediation.services.reminders_arming import delays, item_due_moment
from mediation.timers import schedule
from mediation.timers.registry import SYSTEM_ROLE, Firing, Outcome, handles
from workflows.activities import ActivityStatus
from workflows.agreements import AgreementItemStatus
from workflows.message_workflow import MessageState
from workflows.vocabulary import OPEN_STATES

_OPEN = frozenset(str(state) for state in OPEN_STATES)


def rearm(session: Session, timer: Timer, due_at: datetime) -> None:
    """Arm the same reminder again later (the one firing now is done: it must not be the one moved)."""
    timer.state = TimerState.FIRED.value
    schedule.arm(session, TimerKind(timer.kind), due_at, case_id=timer.case_id, user_id=timer.user_id,
                 subject_id=timer.subject_id, subject_key=timer.subject_key)


def coordinators(session: Session, organisation_id: int) -> list[int]:
    """The active coordinators of one organisation: a notice naming a case never reaches another's."""
    return list(session.scalars(select(User.id).where(User.role == Role.ADMIN.value, User.is_active.is_(True),
                                                      User.organisation_id == organisation_id)
                                .order_by(User.id)))


def mediators_of(session: Session, case: Case) -> list[int]:
    """The case's mediator and co-mediator (still active); the coordinators when it has none."""
    wanted = [user_id for user_id in (case.assigned_mediator_id, case.co_mediator_id) if user_id is not None]
    active = list(session.scalars(select(User.id).where(User.id.in_(wanted), User.is_active.is_(True))
                                  .order_by(User.id))) if wanted else []
    return active or coordinators(session, case.organisation_id)


def tell_all(session: Session, user_ids: list[int], kind: NoticeKind, case_id: int | None, now: datetime) -> None:
    for user_id in user_ids:
        notices.tell(session, user_id, kind, case_id, now)


def open_case(session: Session, timer: Timer) -> Case | None:
    """The timer's case if it is still open (None: it closed, so the reminder is moot)."""
    case = session.get(Case, timer.case_id) if timer.case_id is not None else None
    return case if case is not None and case.state in _OPEN else None


@handles(TimerKind.CASE_STALE)
def case_stale(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """No activity for the stale period: tell the mediators, and the coordinators later if still nothing."""
    case = open_case(session, timer)
    if case is None:
        return Outcome.moot_because("case_closed")
    wait = delays(session)
    due = aware(case.updated_at) + timedelta(days=wait.stale_days)
    if due > firing.now:
        rearm(session, timer, due)
        return Outcome.moot_because("activity_since")
    tell_all(session, mediators_of(session, case), NoticeKind.CASE_STALE, case.id, firing.now)
    schedule.arm(session, TimerKind.CASE_STALE_ESCALATION, firing.now + timedelta(days=wait.escalation_days),
                 case_id=case.id, now=firing.now)
    return Outcome.done()


def _remind(session: Session, timer: Timer, firing: Firing, kind: NoticeKind,
            moot: Callable[[Case], str | None], *,
            recipients: Callable[[Session, Case], list[int]] | None = None
            ) -> Outcome:
    """The shape every case reminder shares: moot when the case closed or ``moot`` says why (it may re-arm
    the timer for later), otherwise a notice to the case's mediators (or ``recipients``)."""
    case = open_case(session, timer)
    if case is None:
        return Outcome.moot_because("case_closed")
    why = moot(case)
    if why is not None:
        return Outcome.moot_because(why)
    tell_all(session, (recipients or mediators_of)(session, case), kind, case.id, firing.now)
    return Outcome.done()


@handles(TimerKind.CASE_STALE_ESCALATION)
def case_stale_escalation(session: Session, timer: Timer, firing: Firing) -> Outcome:
    def moot(case: Case) -> str | None:
        return "activity_since" if aware(case.updated_at) > aware(timer.created_at) else None
    return _remind(session, timer, firing, NoticeKind.CASE_STALE_ESCALATION, moot,
                   recipients=lambda session, case: coordinators(session, case.organisation_id))


@handles(TimerKind.REVIEW_WAITING)
def review_waiting(session: Session, timer: Timer, firing: Firing) -> Outcome:
    def moot(case: Case) -> str | None:
        message = session.get(Message, timer.subject_key) if timer.subject_key else None
        return "reviewed" if message is None or message.state != MessageState.SUBMITTED else None
    return _remind(session, timer, firing, NoticeKind.REVIEW_WAITING, moot)


@handles(TimerKind.REASSESSMENT_DUE)
def reassessment_due(session: Session, timer: Timer, firing: Firing) -> Outcome:
    def moot(case: Case) -> str | None:
        participant = session.get(Participant, timer.subject_id) if timer.subject_id is not None else None
        if participant is None or participant.case_id != case.id:
            return "no_participant"
        if participant.safety_assessed_at is not None:
            due = aware(participant.safety_assessed_at) + timedelta(days=delays(session).reassessment_days)
            if due > firing.now:
                rearm(session, timer, due)
                return "assessed_since"
        return None
    return _remind(session, timer, firing, NoticeKind.REASSESSMENT_DUE, moot)


@handles(TimerKind.ACTIVITY_DUE)
def activity_due(session: Session, timer: Timer, firing: Firing) -> Outcome:
    def moot(case: Case) -> str | None:
        activity = session.get(Activity, timer.subject_key) if timer.subject_key else None
        return "activity_settled" if activity is None or activity.status != ActivityStatus.PLANNED else None
    return _remind(session, timer, firing, NoticeKind.ACTIVITY_DUE, moot)


@handles(TimerKind.AGREEMENT_ITEM_DUE)
def agreement_item_due(session: Session, timer: Timer, firing: Firing) -> Outcome:
    def moot(case: Case) -> str | None:
        item = session.get(AgreementItem, timer.subject_key) if timer.subject_key else None
        if item is None or item.status != AgreementItemStatus.OPEN:
            return "item_settled"
        due = item_due_moment(item.due_on) - timedelta(hours=delays(session).reminder_hours)
        if due > firing.now:
            rearm(session, timer, due)
            return "due_date_moved"
        return None
    return _remind(session, timer, firing, NoticeKind.AGREEMENT_ITEM_DUE, moot)


@handles(TimerKind.INVITATION_EXPIRES)
def invitation_expires(session: Session, timer: Timer, firing: Firing) -> Outcome:
    """An unused invitation ran out: the audit says so (the code was already refused after its expiry)."""
    invitation = session.get(Invitation, timer.subject_id) if timer.subject_id is not None else None
    if invitation is None or invitation.used_at is not None:
        return Outcome.moot_because("used")
    if invitation.revoked_at is not None:
        return Outcome.moot_because("replaced")
    if aware(invitation.expires_at) > firing.now:
        rearm(session, timer, aware(invitation.expires_at))
        return Outcome.moot_because("not_expired")
    details = {"invitation_id": invitation.id, "timer": timer.id}
    if timer.case_id is not None:
        audit.record_content(session, AuditTag.INVITATION_EXPIRED, case_id=timer.case_id, actor=None, now=firing.now,
                             anonymous_role=SYSTEM_ROLE, details=details)
    else:
        audit.record(session, AuditTag.INVITATION_EXPIRED, actor=None, now=firing.now, anonymous_role=SYSTEM_ROLE,
                     details={**details, "user_id": invitation.user_id})
    return Outcome.done()
