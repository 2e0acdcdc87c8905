"""Who may see which case and do what to it (DESIGN.md section 3). Services ask; views never decide.

A case the actor may not see is reported as not found, so its existence is never revealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from mediation.errors import Forbidden, NotFound
from mediation.models import Case, Participant, Role, User
from mediation.services.organisations import organisation_id_of
from workflows.programmes import VICTIM_OFFENDER_MEDIATION
from workflows.words import Code, codes


class CaseWithPeople(Protocol):
    """What the policy reads of a case: the ORM ``Case`` or the hot path's ``CaseRecord``."""

    assigned_mediator_id: int | None
    co_mediator_id: int | None

    @property
    def participants(self) -> Sequence[Participant]: ...

# Triggers each role may fire on a case it can see; everything else is refused.
_TRIGGERS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.MEDIATOR: frozenset({"screen", "prepare", "decline", "begin", "change_modality", "conclude", "close",
                              "pause", "resume", "withdraw", "reopen"}),
    Role.PARTICIPANT: frozenset({"withdraw"}),
}


def visibility(role: str, actor_id: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting cases to the victim-offender mediation cases an active user of ``role`` may know of.

    ``actor_id`` is a value or a bound parameter, so statements can be built once per role and reused. The cases
    of the other programmes are never among them: their own services decide who sees them
    (``mediation.services.programme_cases``). Nor are another organisation's, whatever the role: the
    coordinator sees only its own organisation's cases, and a mediator, staff member or participant tied to a
    case of another organisation by a stray id still does not see it (one uncorrelated subquery, computed once
    per statement).
    """
    return and_(mediation_cases(), Case.organisation_id == organisation_id_of(actor_id), _visible_to(role, actor_id))


def mediation_cases() -> ColumnElement[bool]:
    """The wall between programmes: only victim-offender mediation's cases."""
    return Case.programme == VICTIM_OFFENDER_MEDIATION


def _visible_to(role: str, actor_id: Any) -> ColumnElement[bool]:
    if role == Role.ADMIN:
        return true()
    if role == Role.MEDIATOR:
        return mediated_by(actor_id)
    if role == Role.STAFF:
        return Case.referred_by_id == actor_id
    if role == Role.PARTICIPANT:
        return exists(select(Participant.id).where(Participant.case_id == Case.id, Participant.user_id == actor_id))
    return false()


def mediated_by(mediator_id: Any) -> ColumnElement[bool]:
    """Cases a mediator works on, as the assigned mediator or the co-mediator, within the mediator's own
    organisation; the one clause for it (a stray id on another organisation's case opens nothing)."""
    return and_(or_(Case.assigned_mediator_id == mediator_id, Case.co_mediator_id == mediator_id),
                Case.organisation_id == organisation_id_of(mediator_id))


def visible_cases(actor: User) -> ColumnElement[bool]:
    """A WHERE clause limiting cases to those ``actor`` may know of; nothing for a deactivated account."""
    return visibility(actor.role, actor.id) if actor.is_active else false()


def require_active(actor: User) -> None:
    if not actor.is_active:
        raise Forbidden("This account is deactivated.")


def require_role(actor: User, *roles: Role) -> None:
    require_active(actor)
    if actor.role not in roles:
        raise Forbidden("Only %(roles)s accounts may do this.", roles=codes([r.value for r in roles]))


def triggers_for(actor: User) -> frozenset[str]:
    return _TRIGGERS_BY_ROLE.get(actor.role, frozenset()) if actor.is_active else frozenset()


def own_participation(actor: User, case: CaseWithPeople) -> Participant | None:
    return next((p for p in case.participants if p.user_id == actor.id), None)


def require_may_fire(actor: User, case: CaseWithPeople, trigger: str, participant_id: int | None) -> None:
    """Refuse a trigger the actor's role may not fire; a participant may only withdraw themselves."""
    require_active(actor)
    if trigger not in triggers_for(actor):
        raise Forbidden("Your role may not '%(action)s' a case.", action=Code(trigger))
    if actor.role == Role.PARTICIPANT:
        mine = own_participation(actor, case)
        if mine is None or participant_id != mine.id:
            raise Forbidden("You can only withdraw yourself.")


def mediates(actor: User, case: CaseWithPeople) -> bool:
    """The actor is an active mediator of this case: the assigned mediator or the co-mediator, who sees and acts
    on it like the first (DESIGN.md section 3)."""
    return (actor.is_active and actor.role == Role.MEDIATOR
            and actor.id in (case.assigned_mediator_id, case.co_mediator_id))


def require_mediator_of(actor: User, case: CaseWithPeople) -> None:
    require_active(actor)
    if not mediates(actor, case):
        raise Forbidden("Only the mediator assigned to this case may do this.")


def participant_of(case: Case, participant_id: int) -> Participant:
    """The participant with this id on this case; ids from a client are never trusted beyond it."""
    for participant in case.participants:
        if participant.id == participant_id:
            return participant
    raise NotFound("There is no such participant on this case.")
