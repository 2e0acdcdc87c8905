"""The circle's roster: the core member's portal account (linked, or invited to one of their own) and the staff
member who supervises the circle, and the choosers the coordinator picks them from. Volunteers join through the
workflow (mediation.services.circles.lifecycle.add_volunteer), which guards the three-to-four rule.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import Circle, Role, User, VolunteerScreening
from mediation.services import invitations, users
from mediation.services.circles.access import (
    COORDINATOR_WORDS,
    SUPERVISING_STAFF,
    account_of_kind,
    circle_to_change,
    require,
    require_coordinator,
)
from mediation.services.invitations import pseudonym
from mediation.services.organisations import account_in, accounts_of_organisation
from mediation.services.programme_roles import holders, holds
from mediation.text import checked_string
from workflows.circle_workflow import CircleState
from workflows.programmes import CIRCLES
from workflows.words import Code, Words

LINKABLE_IN = (CircleState.REQUESTED, CircleState.ASSESSMENT, CircleState.FORMING)


def link_core_member(session: Session, actor: User, reference: object, username: object, *,
                     expected_version: int | None = None) -> Circle:
    """The coordinator links the core member's portal account (a participant's, by its username)."""
    wanted = users.normalise_username(checked_string(username, Words("username"), max_length=80)) \
        if isinstance(username, str) else ""
    case, circle, standing = circle_to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    if case.state not in LINKABLE_IN:
        raise WrongState("The core member is linked before the circle starts; it is %(state)s.",
                         state=Code(case.state))
    found = session.scalar(select(User.id).where(User.username == wanted)) if wanted else None
    member = account_of_kind(session, case, found, Role.PARTICIPANT, Words("core member's account"))
    circle.core_member_id = member.id
    audit.record(session, AuditTag.CIRCLE_CORE_MEMBER_LINKED, actor=actor, now=utcnow(), case=case,
                 details={"user_id": member.id})
    return circle


def invite_core_member(session: Session, actor: User, reference: object, *, hours: int,
                       expected_version: int | None = None) -> tuple[User, str]:
    """The coordinator invites the core member to a portal account of their own: a participant account with a
    pseudonym, linked to the circle, which its person activates with the one-time code (choosing a password).
    Inviting again replaces the earlier code, until the account is activated."""
    case, circle, standing = circle_to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    if case.state not in LINKABLE_IN:
        raise WrongState("The core member is linked before the circle starts; it is %(state)s.",
                         state=Code(case.state))
    member = session.get(User, circle.core_member_id) if circle.core_member_id is not None else None
    if member is not None and member.is_activated:
        raise InvalidInput("The core member already has an account linked to this circle.")
    if member is None:
        member = users.create_user(session, None, username=_free_username(session), display_name=pseudonym(),
                                   role=Role.PARTICIPANT.value, password=None, anonymous_role="system",
                                   organisation_id=case.organisation_id)
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
    case, circle, standing = circle_to_change(session, actor, reference, expected_version)
    require(standing.coordinator, COORDINATOR_WORDS)
    if case.state == CircleState.ENDED:
        raise WrongState("This circle has ended.")
    user = account_in(session, case.organisation_id, user_id)
    if user is None or not holds(session, user, CIRCLES, SUPERVISING_STAFF):
        raise InvalidInput("Choose a supervising staff member from the list.")
    circle.supervisor_id = user.id
    audit.record(session, AuditTag.CIRCLE_SUPERVISOR_ASSIGNED, actor=actor, now=utcnow(), case=case,
                 details={"user_id": user.id})
    return circle


def supervisors(session: Session, actor: User) -> list[User]:
    """The staff who hold the supervising role, for the coordinator's chooser."""
    require_coordinator(session, actor)
    return holders(session, actor.organisation_id, CIRCLES, SUPERVISING_STAFF)


def ready_volunteers(session: Session, actor: User) -> list[User]:
    """Volunteers who may join a circle now (screened and trained, active), for the coordinator's chooser."""
    require_coordinator(session, actor)
    rows = session.scalars(select(VolunteerScreening).join(User, User.id == VolunteerScreening.user_id)
                           .where(User.is_active.is_(True), accounts_of_organisation(actor))
                           .order_by(User.display_name, User.id))
    wanted = [r.user_id for r in rows if r.screened and r.trained]
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.display_name, User.id)))

