"""A circle moved through its workflow, from the assessment of the request to its end.

Every change here is one transaction with its audit entry: the services find the circle (locked), check that the
actor's place in it allows the trigger, fire it on the facts adapter (workflows.circle_workflow decides), then
write what follows from it (the membership, the year of engagement and its anniversary timer).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import Case, Circle, CircleMember, Role, User, VolunteerScreening
from mediation.moments import aware
from mediation.services import programme_cases
from mediation.services.circles import timers
from mediation.services.circles.access import (
    COORDINATOR_WORDS,
    CORE_MEMBER_WORDS,
    SUPERVISOR_WORDS,
    Standing,
    account_of_kind,
    circle_to_change,
    require,
)
from mediation.services.circles.facts import CircleSubject
from mediation.text import shown
from mediation.timers.registry import SYSTEM_ROLE
from workflows.circle_people import ENGAGEMENT_YEAR, RenewalWish
from workflows.circle_workflow import CIRCLE_TRIGGERS, CircleState
from workflows.words import Code, Words, codes

# Who fires which trigger by hand; ``anniversary`` is the timer's (``reach_anniversary``), ``add_volunteer`` and
# ``renew`` have their own services (a volunteer to add, the core member's consent to read).
_BY_COORDINATOR = frozenset({"assess", "decline", "form", "activate", "end"})
_BY_SUPERVISOR = frozenset({"pause", "resume"})
_BY_CORE_MEMBER = frozenset({"withdraw"})


def triggers_for(standing: Standing) -> frozenset[str]:
    """What this place in the circle may fire by hand (the page offers these, where the workflow allows them)."""
    allowed: set[str] = set()
    if standing.coordinator:
        allowed |= _BY_COORDINATOR | {"add_volunteer", "renew"}
    if standing.supervisor:
        allowed |= _BY_SUPERVISOR
    if standing.core_member:
        allowed |= _BY_CORE_MEMBER
    return frozenset(allowed)


def _checked_trigger(trigger: object, reason: object) -> tuple[str, str | None]:
    """The trigger and reason as sent, checked against the workflow's vocabulary before any query."""
    if not isinstance(trigger, str) or trigger not in CIRCLE_TRIGGERS:
        raise InvalidInput("Unknown action %(action)s.", action=shown(trigger))
    spec = CIRCLE_TRIGGERS[trigger]
    if reason in (None, ""):
        return trigger, None
    if not spec.reasons:
        raise InvalidInput("'%(action)s' takes no reason.", action=Code(trigger))
    if reason not in spec.reasons:
        raise InvalidInput("%(value)s is not a reason for '%(action)s'; choose one of: %(choices)s.",
                           value=shown(reason), action=Code(trigger), choices=codes(spec.reasons))
    return trigger, str(reason)


def _fire(session: Session, actor: User | None, case: Case, circle: Circle, trigger: str, *, now: datetime,
          reason: str | None = None, details: dict[str, object] | None = None, **arguments: object) -> str:
    """Fire on the facts adapter, then write what follows from the new state."""
    subject = CircleSubject(session, case, circle, now)
    state = programme_cases.fire(session, actor, case, subject, trigger, reason=reason, details=details,
                                 **arguments)
    if trigger == "activate":
        _start_year(session, case, circle, now)
    elif trigger == "renew":
        circle.renewal_wish = circle.renewal_wish_at = None
        ends = aware(circle.year_ends_at) if circle.year_ends_at else now
        _start_year(session, case, circle, ends)
    elif trigger == "resume" and circle.year_ends_at is not None and now >= aware(circle.year_ends_at):
        timers.arm_anniversary(session, case.id, now)  # the year ended while paused: ask now
    if state == CircleState.ENDED:
        timers.circle_ended(session, case.id)
    return state


def _start_year(session: Session, case: Case, circle: Circle, starts: datetime) -> None:
    circle.year_ends_at = starts + ENGAGEMENT_YEAR
    timers.arm_anniversary(session, case.id, circle.year_ends_at)


def move(session: Session, actor: User, reference: object, trigger: object, *, reason: object = None,
         expected_version: int | None = None, now: datetime | None = None) -> str:
    """Fire ``trigger`` for whoever may: the coordinator assesses, declines, forms, starts and ends; the
    supervising staff member pauses and resumes; the core member withdraws, at any time, without a reason."""
    name, why = _checked_trigger(trigger, reason)
    if name not in _BY_COORDINATOR | _BY_SUPERVISOR | _BY_CORE_MEMBER:
        raise InvalidInput("'%(action)s' has a form of its own.", action=Code(name))
    case, circle, standing = circle_to_change(session, actor, reference, expected_version)
    if name in _BY_CORE_MEMBER:
        require(standing.core_member, CORE_MEMBER_WORDS)
    elif name in _BY_SUPERVISOR:
        require(standing.supervisor, SUPERVISOR_WORDS)
    else:
        require(standing.coordinator, COORDINATOR_WORDS)
    return _fire(session, actor, case, circle, name, now=now or utcnow(), reason=why)


def add_volunteer(session: Session, actor: User, reference: object, volunteer_id: object, *,
                  expected_version: int | None = None, now: datetime | None = None) -> CircleMember:
    """The coordinator adds a volunteer; the workflow refuses a fifth, one already in, or one not yet screened
    and trained. The membership row is written only once the trigger succeeded."""
    case, circle, standing = circle_to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    user = account_of_kind(session, case, volunteer_id, Role.VOLUNTEER, Words("volunteer"))
    screening = session.get(VolunteerScreening, user.id)
    if screening is None:
        raise InvalidInput("This volunteer has not applied yet: record their application and screening first.")
    now = now or utcnow()
    _fire(session, actor, case, circle, "add_volunteer", now=now, details={"volunteer_id": user.id},
          volunteer=screening)
    member = CircleMember(case_id=case.id, volunteer_id=user.id, joined_at=now)
    circle.members.append(member)
    session.flush()
    return member


def renew(session: Session, actor: User, reference: object, *, expected_version: int | None = None,
          now: datetime | None = None) -> str:
    """The coordinator renews the circle for a year, which needs the core member's own consent (said on their
    page); without it the workflow refuses and the circle can only be ended."""
    case, circle, standing = circle_to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    consents = circle.renewal_wish == RenewalWish.RENEW
    return _fire(session, actor, case, circle, "renew", now=now or utcnow(), core_member_consents=consents)


def say_renewal_wish(session: Session, actor: User, reference: object, wish: object) -> Circle:
    """The core member says whether they wish the circle to go on for another year (when the year ends)."""
    if wish not in tuple(RenewalWish):
        raise InvalidInput("Choose whether you wish to renew: %(choices)s.", choices=codes(tuple(RenewalWish)))
    case, circle, standing = circle_to_change(session, actor, reference, None)
    require(standing.core_member, CORE_MEMBER_WORDS)
    if case.state != CircleState.RENEWAL_DUE:
        raise WrongState("The renewal is asked for when the year of the circle ends.")
    now = utcnow()
    circle.renewal_wish, circle.renewal_wish_at = str(wish), now
    audit.record(session, AuditTag.CIRCLE_RENEWAL_WISH, actor=actor, now=now, case=case,
                 details={"wish": str(wish)})
    return circle


def reach_anniversary(session: Session, case_id: int, now: datetime) -> str | None:
    """The anniversary timer: ask for the renewal decision (``anniversary``, as the system); None when moot (the
    circle is not active: paused, ended, or already asked)."""
    case = session.get(Case, case_id)
    circle = session.get(Circle, case_id)
    if case is None or circle is None or case.state != CircleState.ACTIVE:
        return None
    subject = CircleSubject(session, case, circle, now)
    if not subject.anniversary_reached:
        return None
    return programme_cases.fire(session, None, case, subject, "anniversary", anonymous_role=SYSTEM_ROLE)
