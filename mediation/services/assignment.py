"""The coordinator assigns and reassigns the mediator of a case.

A reassignment hands the case's content (messages, notes, contact cards) to another mediator, so the previous
mediator is told on their dashboard: the coordinator cannot quietly move a case to an account they control.
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
from workflows.vocabulary import OPEN_STATES
from workflows.words import Words


def assign_mediator(session: Session, actor: User, reference: str, mediator_id: int,
                    *, expected_version: int | None = None) -> Case:
    require_role(actor, Role.ADMIN)
    case = find_case(session, actor, reference)
    require_version(case, expected_version)
    require_state(case, OPEN_STATES, Words("assign a mediator"))
    mediator = session.get(User, mediator_id)
    if mediator is None or mediator.role != Role.MEDIATOR or not mediator.is_active:
        raise InvalidInput("Choose an active mediator account.")
    previous = case.assigned_mediator_id
    if previous == mediator.id:
        raise InvalidInput("%(name)s is already the mediator of %(reference)s.", name=mediator.display_name,
                           reference=case.reference)
    case.assigned_mediator_id = mediator.id
    now = utcnow()
    tag = AuditTag.MEDIATOR_ASSIGNED if previous is None else AuditTag.MEDIATOR_REASSIGNED
    audit.record(session, tag, actor=actor, now=now, case=case,
                 details={"mediator_id": mediator.id, "previous_mediator_id": previous})
    if previous is not None:
        notices.tell(session, previous, NoticeKind.CASE_REASSIGNED, case.id, now)
    return case
