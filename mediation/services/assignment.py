"""The coordinator assigns and reassigns the mediator of a case, and its co-mediator.

A reassignment hands the case's content (messages, notes, contact cards) to another mediator, so the previous
mediator is told on their dashboard: the coordinator cannot quietly move a case to an account they control. A
co-mediator sees and acts on the case like the first (mediation.policy.mediates); removing one tells them too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Case, NoticeKind, Role, User
from mediation.policy import require_role
from mediation.services import notices
from mediation.services.lookup import find_case, require_state, require_version
from mediation.services.organisations import account_in
from workflows.vocabulary import OPEN_STATES, CaseState
from workflows.words import Words


def _open_case(session: Session, actor: User, reference: str, expected_version: int | None,
               action: Words, *, allowed: tuple[str, ...] = OPEN_STATES) -> Case:
    require_role(actor, Role.ADMIN)
    case = find_case(session, actor, reference)
    require_version(case, expected_version)
    require_state(case, allowed, action)
    return case


def _active_mediator(session: Session, case: Case, mediator_id: object) -> User:
    """An active mediator of the case's own organisation; any other id is refused alike."""
    mediator = account_in(session, case.organisation_id, mediator_id)
    if mediator is None or mediator.role != Role.MEDIATOR or not mediator.is_active:
        raise InvalidInput("Choose an active mediator account.")
    return mediator


def assign_mediator(session: Session, actor: User, reference: str, mediator_id: int,
                    *, expected_version: int | None = None) -> Case:
    """Assign (or reassign) the case's mediator; reassigning it to its co-mediator leaves it without one."""
    case = _open_case(session, actor, reference, expected_version, Words("assign a mediator"))
    mediator = _active_mediator(session, case, mediator_id)
    previous = case.assigned_mediator_id
    if previous == mediator.id:
        raise InvalidInput("%(name)s is already the mediator of %(reference)s.", name=mediator.display_name,
                           reference=case.reference)
    case.assigned_mediator_id = mediator.id
    now = utcnow()
    tag = AuditTag.MEDIATOR_ASSIGNED if previous is None else AuditTag.MEDIATOR_REASSIGNED
    promoted = case.co_mediator_id == mediator.id
    if promoted:  # the co-mediator becomes the mediator: one person, one role on the case
        case.co_mediator_id = None
    audit.record(session, tag, actor=actor, now=now, case=case,
                 details={"mediator_id": mediator.id, "previous_mediator_id": previous,
                          **({"was_co_mediator": True} if promoted else {})})
    if previous is not None:
        notices.tell(session, previous, NoticeKind.CASE_REASSIGNED, case.id, now)
    return case


def assign_co_mediator(session: Session, actor: User, reference: str, mediator_id: object,
                       *, expected_version: int | None = None) -> Case:
    """Give the case a second mediator (or another one: the one replaced is told, as on a removal)."""
    case = _open_case(session, actor, reference, expected_version, Words("assign a co-mediator"))
    mediator = _active_mediator(session, case, mediator_id)
    if case.assigned_mediator_id is None:
        raise InvalidInput("Assign the case's mediator before a co-mediator.")
    if mediator.id == case.assigned_mediator_id:
        raise InvalidInput("%(name)s is already the mediator of %(reference)s; choose another mediator as "
                           "co-mediator.", name=mediator.display_name, reference=case.reference)
    previous = case.co_mediator_id
    if previous == mediator.id:
        raise InvalidInput("%(name)s is already the co-mediator of %(reference)s.", name=mediator.display_name,
                           reference=case.reference)
    case.co_mediator_id = mediator.id
    now = utcnow()
    audit.record(session, AuditTag.CO_MEDIATOR_ASSIGNED, actor=actor, now=now, case=case,
                 details={"co_mediator_id": mediator.id, "previous_co_mediator_id": previous})
    if previous is not None:
        notices.tell(session, previous, NoticeKind.CO_MEDIATION_ENDED, case.id, now)
    return case


def remove_co_mediator(session: Session, actor: User, reference: str,
                       *, expected_version: int | None = None) -> Case:
    """The co-mediator leaves the case: they no longer see it, and their dashboard says so."""
    # Taking someone's access away is always possible, a closed case included.
    case = _open_case(session, actor, reference, expected_version, Words("remove the co-mediator"),
                      allowed=tuple(CaseState))
    previous = case.co_mediator_id
    if previous is None:
        raise InvalidInput("%(reference)s has no co-mediator.", reference=case.reference)
    case.co_mediator_id = None
    now = utcnow()
    audit.record(session, AuditTag.CO_MEDIATOR_REMOVED, actor=actor, now=now, case=case,
                 details={"co_mediator_id": previous})
    notices.tell(session, previous, NoticeKind.CO_MEDIATION_ENDED, case.id, now)
    return case
