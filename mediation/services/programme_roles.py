"""Roles per programme: who coordinates circles, supervises them, volunteers in them, works with clients.

Victim-offender mediation reads the account's own role (``users.role``), unchanged. Every other programme reads
only the grants here, so a mediator of Restorative Opportunities is not a circle coordinator unless the
coordinator gives them that role, and a grant in one programme opens nothing in another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import ProgrammeRole, Role, User
from mediation.policy import require_active, require_role
from mediation.services.organisations import account_in
from mediation.services.users import account_to_manage
from mediation.text import shown
from workflows.programmes import VICTIM_OFFENDER_MEDIATION, programme, programmes
from workflows.words import Code, Words, codes

# Which kind of account may hold a programme role; a role not named here is for staff accounts (the
# coordinator's, a mediator's or a referring staff member's).
_ACCOUNT_KINDS: Mapping[str, frozenset[str]] = {
    "volunteer": frozenset({Role.VOLUNTEER}),
    "core_member": frozenset({Role.PARTICIPANT}),
    "client": frozenset({Role.PARTICIPANT}),
}
_STAFF_ACCOUNTS = frozenset({Role.ADMIN, Role.MEDIATOR, Role.STAFF})


def account_kinds_for(role: str) -> frozenset[str]:
    """The kinds of account (``users.role``) that may hold the programme role ``role``."""
    return _ACCOUNT_KINDS.get(role, _STAFF_ACCOUNTS)


def _checked(programme_name: object, role: object) -> tuple[str, str]:
    """The programme and role as the coordinator chose them, or a clear refusal naming the choices."""
    chosen = programme(programme_name if isinstance(programme_name, str) else shown(programme_name))
    if chosen.name == VICTIM_OFFENDER_MEDIATION:
        raise InvalidInput("Victim-offender mediation uses the account's own role; programme roles are for the "
                           "other programmes.")
    if not isinstance(role, str) or role not in chosen.roles:
        raise InvalidInput("Unknown role %(value)s in %(programme)s; choose one of: %(choices)s.",
                           value=shown(role), programme=chosen.title, choices=codes(chosen.roles))
    return chosen.name, role


def grant(session: Session, actor: User, user_id: int, programme_name: str, role: str) -> ProgrammeRole:
    """The coordinator gives an account a role in a programme; giving one it already holds is refused."""
    require_role(actor, Role.ADMIN)
    name, role = _checked(programme_name, role)
    user = account_in(session, actor.organisation_id, user_id)
    if user is None or not user.is_active:
        raise InvalidInput("No such active account.")
    if user.role not in account_kinds_for(role):
        raise InvalidInput("The role %(role)s is for %(kinds)s accounts, not %(kind)s ones.", role=Code(role),
                           kinds=codes(sorted(account_kinds_for(role))), kind=Code(user.role))
    if session.get(ProgrammeRole, (user.id, name, role)) is not None:
        raise InvalidInput("This account already holds the role %(role)s in this programme.", role=Code(role))
    held = ProgrammeRole(user_id=user.id, programme=name, role=role, granted_by_id=actor.id, granted_at=utcnow())
    session.add(held)
    session.flush()
    audit.record(session, AuditTag.PROGRAMME_ROLE_GRANTED, actor=actor, now=utcnow(),
                 details={"user_id": user.id, "programme": name, "role": role})
    return held


def revoke(session: Session, actor: User, user_id: int, programme_name: str, role: str) -> None:
    """The coordinator takes a programme role back; the account keeps everything else."""
    user = account_to_manage(session, actor, user_id,
                             not_yourself=Words("You cannot take away your own programme roles."))
    name, role = _checked(programme_name, role)
    removed = session.execute(delete(ProgrammeRole).where(
        ProgrammeRole.user_id == user.id, ProgrammeRole.programme == name, ProgrammeRole.role == role)).rowcount
    if not removed:
        raise InvalidInput("This account does not hold the role %(role)s in this programme.", role=Code(role))
    audit.record(session, AuditTag.PROGRAMME_ROLE_REVOKED, actor=actor, now=utcnow(),
                 details={"user_id": user.id, "programme": name, "role": role})


def holds(session: Session, actor: User, programme_name: str, *roles: str) -> bool:
    """Whether the active ``actor`` holds one of ``roles`` in the programme."""
    if not actor.is_active:
        return False
    return session.scalar(select(ProgrammeRole.role).where(
        ProgrammeRole.user_id == actor.id, ProgrammeRole.programme == programme_name,
        ProgrammeRole.role.in_(roles)).limit(1)) is not None


def require_programme_role(session: Session, actor: User, programme_name: str, *roles: str) -> None:
    """Refuse an actor without one of ``roles`` in the programme (a page then answers as if nothing were there)."""
    require_active(actor)
    if not holds(session, actor, programme_name, *roles):
        raise Forbidden("Only %(roles)s of %(programme)s may do this.", roles=codes(roles),
                        programme=programme(programme_name).title)


def holders(session: Session, organisation_id: int, programme_name: str, role: str) -> list[User]:
    """The active accounts of one organisation holding ``role`` in the programme, by name (a coordinator's
    chooser never offers another organisation's accounts)."""
    return list(session.scalars(
        select(User).join(ProgrammeRole, ProgrammeRole.user_id == User.id)
        .where(ProgrammeRole.programme == programme_name, ProgrammeRole.role == role, User.is_active.is_(True),
               User.organisation_id == organisation_id)
        .order_by(User.display_name, User.id)))


def roles_of(session: Session, user_id: int) -> list[tuple[str, str]]:
    """Every (programme, role) an account holds, in a fixed order."""
    return [(row.programme, row.role) for row in session.scalars(
        select(ProgrammeRole).where(ProgrammeRole.user_id == user_id)
        .order_by(ProgrammeRole.programme, ProgrammeRole.role))]


@dataclass(frozen=True)
class AccountProgrammes:
    """One account's programme roles as the coordinator manages them: those held, and those it could be given."""

    user: User
    held: list[tuple[str, str]]
    grantable: list[tuple[str, str]]


def account_programmes(session: Session, actor: User, user_id: int) -> AccountProgrammes:
    require_role(actor, Role.ADMIN)
    user = account_in(session, actor.organisation_id, user_id)
    if user is None:
        raise NotFound("No such account.")
    held = roles_of(session, user.id)
    grantable = [(p.name, role) for p in programmes() if p.name != VICTIM_OFFENDER_MEDIATION for role in p.roles
                 if user.role in account_kinds_for(role) and (p.name, role) not in held]
    return AccountProgrammes(user, held, grantable if user.is_active else [])
