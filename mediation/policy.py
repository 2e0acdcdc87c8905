"""Who may see which case and do what to it (DESIGN.md section 3). Services ask; views never decide.

A case the actor may not see is reported as not found, so its existence is never revealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, exists, false, select, true

from mediation.errors import Forbidden, NotFound
from mediation.models import Case, Participant, Role, User
from workflows.words import Code, codes


class CaseWithPeople(Protocol):
    """What the policy reads of a case: the ORM ``Case`` or the hot path's ``CaseRecord``."""

    assigned_mediator_id: int | None

    @property
    def participants(self) -> Sequence[Participant]: ...

# Triggers each role may fire on a case it can see; everything else is refused.
_TRIGGERS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.MEDIATOR: frozenset({"screen", "prepare", "decline", "begin", "change_modality", "conclude", "close",
                              "pause", "resume", "withdraw", "reopen"}),
    Role.PARTICIPANT: frozenset({"withdraw"}),
}


def visibility(role: str, actor_id: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting cases to those an active user of ``role`` may know of.

    ``actor_id`` is a value or a bound parameter, so statements can be built once per role and reused.
    """
    if role == Role.ADMIN:
        return true()
    if role == Role.MEDIATOR:
        return Case.assigned_mediator_id == actor_id
    if role == Role.STAFF:
        return Case.referred_by_id == actor_id
    if role == Role.PARTICIPANT:
        return exists(select(Participant.id).where(Participant.case_id == Case.id, Participant.user_id == actor_id))
    return false()


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


def require_mediator_of(actor: User, case: Case) -> None:
    require_active(actor)
    if actor.role != Role.MEDIATOR or case.assigned_mediator_id != actor.id:
        raise Forbidden("Only the mediator assigned to this case may do this.")


def participant_of(case: Case, participant_id: int) -> Participant:
    """The participant with this id on this case; ids from a client are never trusted beyond it."""
    for participant in case.participants:
        if participant.id == participant_id:
            return participant
    raise NotFound("There is no such participant on this case.")
