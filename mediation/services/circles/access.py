"""Who stands where in a circle, and the one way a circles service finds a circle for someone.

Nobody sees a circle through their account's own role: the coordinator and the supervising staff hold grants
(mediation.services.programme_roles), a volunteer is a member of the circle, the core member is the participant
account linked to it. Anyone else (the outer circle, mediation's mediators and staff, another circle's
volunteers) is told the circle does not exist, exactly as for a reference that matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import Case, Circle, CircleMember, Role, User
from mediation.policy import require_active
from mediation.services.lookup import require_version
from mediation.services.organisations import account_in, of_organisation
from mediation.services.programme_cases import programme_case
from mediation.services.programme_roles import holds
from workflows.programmes import CIRCLES
from workflows.words import Words

COORDINATOR = "coordinator"
SUPERVISING_STAFF = "supervising_staff"


@dataclass(frozen=True)
class Standing:
    """The actor's places in one circle (someone may hold several: a coordinator who also supervises it)."""

    coordinator: bool = False
    supervisor: bool = False
    volunteer: bool = False
    core_member: bool = False

    @property
    def any(self) -> bool:
        return self.coordinator or self.supervisor or self.volunteer or self.core_member

    @property
    def reads_content(self) -> bool:
        """The minutes and concerns: the circle's team, never the core member (nor the outer circle)."""
        return self.coordinator or self.supervisor or self.volunteer


def is_coordinator(session: Session, actor: User) -> bool:
    return actor.is_active and holds(session, actor, CIRCLES, COORDINATOR)


def standing_in(session: Session, actor: User, circle: Circle) -> Standing:
    if not actor.is_active:
        return Standing()
    member = actor.role == Role.VOLUNTEER and any(m.volunteer_id == actor.id for m in circle.members)
    return Standing(
        coordinator=is_coordinator(session, actor),
        supervisor=circle.supervisor_id == actor.id and holds(session, actor, CIRCLES, SUPERVISING_STAFF),
        volunteer=member,
        core_member=actor.role == Role.PARTICIPANT and circle.core_member_id == actor.id,
    )


def find_circle(session: Session, actor: User, reference: object, *,
                lock: bool = False) -> tuple[Case, Circle, Standing]:
    """The circle with this reference if ``actor`` has a place in it; NotFound otherwise, as for nothing."""
    require_active(actor)
    case = programme_case(session, CIRCLES, reference, organisation_id=actor.organisation_id, lock=lock)
    circle = session.get(Circle, case.id)
    if circle is None:  # a case of the programme always has its circle row; never trust it blindly
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    standing = standing_in(session, actor, circle)
    if not standing.any:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    return case, circle, standing


def require(allowed: bool, who: Words) -> None:
    """Refuse an actor who sees the circle but is not the one who may do this (a 403, as elsewhere)."""
    if not allowed:
        raise Forbidden("Only %(who)s may do this.", who=who)


COORDINATOR_WORDS = Words("the circles' coordinator")
SUPERVISOR_WORDS = Words("the circle's supervising staff member")
VOLUNTEER_WORDS = Words("the circle's volunteers")
CORE_MEMBER_WORDS = Words("the circle's core member")


def require_coordinator(session: Session, actor: User) -> None:
    """For pages and actions that are the coordinator's alone (the volunteer registry, a new request)."""
    require_active(actor)
    require(is_coordinator(session, actor), COORDINATOR_WORDS)


def visible_circles(session: Session, actor: User) -> ColumnElement[bool]:
    """A WHERE clause (over Case joined to Circle) limiting circles to those the actor has a place in, within
    the actor's own organisation."""
    if not actor.is_active:
        return false()
    if is_coordinator(session, actor):
        return of_organisation(actor)
    places: list[ColumnElement[bool]] = []
    if holds(session, actor, CIRCLES, SUPERVISING_STAFF):
        places.append(Circle.supervisor_id == actor.id)
    if actor.role == Role.VOLUNTEER:
        places.append(exists(select(CircleMember.id).where(CircleMember.case_id == Circle.case_id,
                                                           CircleMember.volunteer_id == actor.id)))
    if actor.role == Role.PARTICIPANT:
        places.append(Circle.core_member_id == actor.id)
    return and_(of_organisation(actor), or_(*places)) if places else false()


def account_of_kind(session: Session, case: Case, user_id: object, kind: Role, what: Words) -> User:
    """An active account of ``kind`` (a volunteer, a participant) of the circle's organisation by its id, or a
    refusal naming ``what`` (another organisation's account is refused like a missing one)."""
    user = account_in(session, case.organisation_id, user_id)
    if user is None or not user.is_active or user.role != kind:
        raise InvalidInput("Choose the %(what)s from the list.", what=what)
    return user


def circle_to_change(session: Session, actor: User, reference: object,
               expected_version: int | None) -> tuple[Case, Circle, Standing]:
    """The circle, locked, for a change: found for the actor and unchanged since they looked."""
    case, circle, standing = find_circle(session, actor, reference, lock=True)
    require_version(case, expected_version)
    return case, circle, standing
