"""How many things wait for a mediator or the coordinator: a number for their daily digest, never which.

A mediator: messages awaiting their review in the cases they mediate, and their notices not dismissed. The
coordinator: their notices and the public requests waiting to be accepted or dismissed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.models import Case, HeldRequest, Message, Notice, Role, User
from mediation.models.held_request import RequestStatus
from mediation.policy import mediated_by
from workflows.message_workflow import MessageState

DIGEST_ROLES = (Role.MEDIATOR.value, Role.ADMIN.value)


def waiting(session: Session, user: User) -> int:
    notices = session.scalar(select(func.count()).select_from(Notice)
                             .where(Notice.user_id == user.id, Notice.dismissed_at.is_(None))) or 0
    if user.role == Role.MEDIATOR:
        to_review = session.scalar(select(func.count()).select_from(Message).join(Case, Case.id == Message.case_id)
                                   .where(Message.state == MessageState.SUBMITTED.value, mediated_by(user.id),
                                          Case.organisation_id == user.organisation_id)) or 0
        return notices + to_review
    if user.role == Role.ADMIN:
        held = session.scalar(select(func.count()).select_from(HeldRequest)
                              .where(HeldRequest.status == RequestStatus.PENDING.value,
                                     HeldRequest.organisation_id == user.organisation_id)) or 0
        return notices + held
    return 0
