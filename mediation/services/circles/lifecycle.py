"""A circle from the request to its end: asked for, linked to its people, moved through its workflow.

Every change here is one transaction with its audit entry: the services find the circle (locked), check that the
actor's place in it allows the trigger, fire it on the facts adapter (workflows.circle_workflow decides), then
write what follows from it (the membership, the year of engagement and its anniversary timer).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import Case, Circle, CircleMember, Origin, Role, User, VolunteerScreening
from mediation.moments import aware
from mediation.policy import require_role
from mediation.services import invitations, programme_cases, users
from mediation.services.circles import timers
from mediation.services.circles.access import (
    COORDINATOR_WORDS,
    CORE_MEMBER_WORDS,
    SUPERVISING_STAFF,
    SUPERVISOR_WORDS,
    Standing,
    find_circle,
    require,
    require_coordinator,
)
from mediation.services.circles.facts import CircleSubject
from mediation.services.invitations import pseudonym
from mediation.services.lookup import require_version
from mediation.services.programme_roles import holders, holds
from mediation.text import checked_string, checked_text, shown
from mediation.timers.registry import SYSTEM_ROLE
from workflows.circle_people import ENGAGEMENT_YEAR, RenewalWish
from workflows.circle_workflow import CIRCLE_TRIGGERS, CircleState
from workflows.programmes import CIRCLES
from workflows.words import Code, Words, codes

MAX_REQUEST = 2_000
REQUEST = Words("request")
# Who fires which trigger by hand; ``anniversary`` is the timer's (``reach_anniversary``), ``add_volunteer`` and
# ``renew`` have their own services (a volunteer to add, the core member's consent to read).
_BY_COORDINATOR = frozenset({"assess", "decline", "form", "activate", "end"})
_BY_SUPERVISOR = frozenset({"pause", "resume"})
_BY_CORE_MEMBER = frozenset({"withdraw"})
LINKABLE_IN = (CircleState.REQUESTED, CircleState.ASSESSMENT, CircleState.FORMING)


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


def _request_context(case: Case) -> RecordContext:
    return RecordContext(case.id, "circle_request", case.reference, None, "request")


def _open(session: Session, vault: Vault, actor: User, note: object, tag: AuditTag, **fields: object) -> Case:
    text = checked_text(note, REQUEST, MAX_REQUEST)
    case = programme_cases.open_case(session, actor, CIRCLES, Origin.CIRCLE_REQUEST.value, tag, **fields)
    circle = Circle(case_id=case.id, engagement_year=1, created_at=case.created_at)
    if text:
        circle.sealed_request = vault.seal_text(session, _request_context(case), text)
    session.add(circle)
    session.flush()
    return case


def record_request(session: Session, vault: Vault, actor: User, *, note: object = None) -> Case:
    """The coordinator records a core member's request for a circle (who is asking, sealed in ``note``)."""
    require_coordinator(session, actor)
    return _open(session, vault, actor, note, AuditTag.CIRCLE_REQUESTED)


def forward_request(session: Session, vault: Vault, actor: User, *, note: object) -> Case:
    """Referring staff (a parole officer...) forward a core member's request; afterwards they see only that it was
    received and whether it was acknowledged (the parole firewall)."""
    require_role(actor, Role.STAFF)
    if not checked_text(note, REQUEST, MAX_REQUEST):
        raise InvalidInput("Write who is asking for a circle and how the coordinator can reach them.")
    return _open(session, vault, actor, note, AuditTag.CIRCLE_REQUEST_FORWARDED, referred_by_id=actor.id)


def open_request(session: Session, vault: Vault, actor: User, reference: object) -> str:
    """The request's sealed note, for the coordinator; the reading is audited."""
    case, circle, standing = find_circle(session, actor, reference)
    require(standing.coordinator, COORDINATOR_WORDS)
    if circle.sealed_request is None:
        return ""
    text = vault.open_text(session, _request_context(case), circle.sealed_request)
    audit.record_content(session, AuditTag.CIRCLE_REQUEST_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"circle": case.reference})
    return text


def _account(session: Session, user_id: object, kind: Role, what: Words) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2**31 else None
    if user is None or not user.is_active or user.role != kind:
        raise InvalidInput("Choose the %(what)s from the list.", what=what)
    return user


def _to_change(session: Session, actor: User, reference: object,
               expected_version: int | None) -> tuple[Case, Circle, Standing]:
    case, circle, standing = find_circle(session, actor, reference, lock=True)
    require_version(case, expected_version)
    return case, circle, standing


def link_core_member(session: Session, actor: User, reference: object, username: object, *,
                     expected_version: int | None = None) -> Circle:
    """The coordinator links the core member's portal account (a participant's, by its username)."""
    wanted = users.normalise_username(checked_string(username, Words("username"), max_length=80)) \
        if isinstance(username, str) else ""
    case, circle, standing = _to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    if case.state not in LINKABLE_IN:
        raise WrongState("The core member is linked before the circle starts; it is %(state)s.",
                         state=Code(case.state))
    found = session.scalar(select(User.id).where(User.username == wanted)) if wanted else None
    member = _account(session, found, Role.PARTICIPANT, Words("core member's account"))
    circle.core_member_id = member.id
    audit.record(session, AuditTag.CIRCLE_CORE_MEMBER_LINKED, actor=actor, now=utcnow(), case=case,
                 details={"user_id": member.id})
    return circle


def invite_core_member(session: Session, actor: User, reference: object, *, hours: int,
                       expected_version: int | None = None) -> tuple[User, str]:
    """The coordinator invites the core member to a portal account of their own: a participant account with a
    pseudonym, linked to the circle, which its person activates with the one-time code (choosing a password).
    Inviting again replaces the earlier code, until the account is activated."""
    case, circle, standing = _to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    if case.state not in LINKABLE_IN:
        raise WrongState("The core member is linked before the circle starts; it is %(state)s.",
                         state=Code(case.state))
    member = session.get(User, circle.core_member_id) if circle.core_member_id is not None else None
    if member is not None and member.is_activated:
        raise InvalidInput("The core member already has an account linked to this circle.")
    if member is None:
        member = users.create_user(session, None, username=_free_username(session), display_name=pseudonym(),
                                   role=Role.PARTICIPANT.value, password=None, anonymous_role="system")
        circle.core_member_id = member.id
        audit.record(session, AuditTag.CIRCLE_CORE_MEMBER_LINKED, actor=actor, now=utcnow(), case=case,
                     details={"user_id": member.id, "invited": True})
    code = invitations.invite_to_programme_account(session, actor, member.id, hours=hours)
    return member, code


def _free_username(session: Session) -> str:
    for _ in range(50):
        candidate = f"core-{secrets.token_hex(3)}"
        if not users.username_taken(session, candidate):
            return candidate
    raise WrongState("No free username could be made; try again.")


def assign_supervisor(session: Session, actor: User, reference: object, user_id: object, *,
                      expected_version: int | None = None) -> Circle:
    """The coordinator puts the circle under a staff member who holds the supervising role."""
    case, circle, standing = _to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    if case.state == CircleState.ENDED:
        raise WrongState("This circle has ended.")
    user = session.get(User, user_id) if isinstance(user_id, int) and 0 < user_id < 2**31 else None
    if user is None or not holds(session, user, CIRCLES, SUPERVISING_STAFF):
        raise InvalidInput("Choose a supervising staff member from the list.")
    circle.supervisor_id = user.id
    audit.record(session, AuditTag.CIRCLE_SUPERVISOR_ASSIGNED, actor=actor, now=utcnow(), case=case,
                 details={"user_id": user.id})
    return circle


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
    case, circle, standing = _to_change(session, actor, reference, expected_version)
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
    case, circle, standing = _to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    user = _account(session, volunteer_id, Role.VOLUNTEER, Words("volunteer"))
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
    case, circle, standing = _to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    consents = circle.renewal_wish == RenewalWish.RENEW
    return _fire(session, actor, case, circle, "renew", now=now or utcnow(), core_member_consents=consents)


def say_renewal_wish(session: Session, actor: User, reference: object, wish: object) -> Circle:
    """The core member says whether they wish the circle to go on for another year (when the year ends)."""
    if wish not in tuple(RenewalWish):
        raise InvalidInput("Choose whether you wish to renew: %(choices)s.", choices=codes(tuple(RenewalWish)))
    case, circle, standing = _to_change(session, actor, reference, None)
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


def may_forward(session: Session, actor: User) -> None:
    """Only referring staff forward a request (the form's page answers 403 to anyone else)."""
    require_role(actor, Role.STAFF)


def supervisors(session: Session, actor: User) -> list[User]:
    """The staff who hold the supervising role, for the coordinator's chooser."""
    require_coordinator(session, actor)
    return holders(session, CIRCLES, SUPERVISING_STAFF)


def ready_volunteers(session: Session, actor: User) -> list[User]:
    """Volunteers who may join a circle now (screened and trained, active), for the coordinator's chooser."""
    require_coordinator(session, actor)
    rows = session.scalars(select(VolunteerScreening).join(User, User.id == VolunteerScreening.user_id)
                           .where(User.is_active.is_(True)).order_by(User.display_name, User.id))
    wanted = [r.user_id for r in rows if r.screened and r.trained]
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.display_name, User.id)))
