"""What a support person sees: only the delivered messages the person they support chose to share with them.

The person a message was delivered to (or its author) shares it with one of their own support persons, and can
stop sharing it; both are audited on the case's content chain. A support person never writes to the other side.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import Forbidden, NotFound
from mediation.models import Case, Message, MessageShare, Participant, Role, User
from mediation.policy import own_participation, require_active
from mediation.services.lookup import find_case
from mediation.services.messages.common import message_for
from workflows.message_workflow import MessageState
from workflows.vocabulary import ParticipantRole

DELIVERED = (MessageState.DELIVERED.value, MessageState.READ.value)


def supporters_of(case: Case, person: Participant) -> list[Participant]:
    """The support persons tied to ``person`` on this case."""
    return [p for p in case.participants
            if p.role == ParticipantRole.SUPPORT and p.supports_participant_id == person.id]


def _mine(actor: User, case: Case) -> Participant:
    require_active(actor)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None:
        raise Forbidden("Only a participant shares their messages with their support person.")
    return mine


def _shareable(session: Session, actor: User, reference: str, message_id: str,
               support_participant_id: int) -> tuple[Case, Message, Participant]:
    """The delivered message the actor received or wrote, and one of the actor's own support persons."""
    case, message = message_for(session, actor, reference, message_id, lock=True)
    mine = _mine(actor, case)
    if message.state not in DELIVERED or mine.id not in (message.recipient_participant_id,
                                                          message.author_participant_id):
        raise NotFound("There is no such message on this case.")
    supporter = next((p for p in supporters_of(case, mine) if p.id == support_participant_id), None)
    if supporter is None:
        raise NotFound("There is no such support person of yours on this case.")
    return case, message, supporter


def share_with_support(session: Session, actor: User, reference: str, *, message_id: str,
                       support_participant_id: int) -> None:
    """Show one delivered message to one of the actor's support persons (sharing it twice changes nothing)."""
    case, message, supporter = _shareable(session, actor, reference, message_id, support_participant_id)
    if session.get(MessageShare, (message.id, supporter.id)) is not None:
        return
    now = utcnow()
    session.add(MessageShare(message_id=message.id, support_participant_id=supporter.id, shared_by_id=actor.id,
                             shared_at=now))
    audit.record_content(session, AuditTag.MESSAGE_SHARED, case_id=case.id, actor=actor, now=now,
                         details={"message_id": message.id, "support_participant_id": supporter.id})


def stop_sharing(session: Session, actor: User, reference: str, *, message_id: str,
                 support_participant_id: int) -> None:
    """The support person no longer sees the message (what they read before cannot be unread)."""
    case, message, supporter = _shareable(session, actor, reference, message_id, support_participant_id)
    removed = session.execute(delete(MessageShare).where(
        MessageShare.message_id == message.id, MessageShare.support_participant_id == supporter.id)).rowcount
    if removed:
        audit.record_content(session, AuditTag.MESSAGE_UNSHARED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"message_id": message.id, "support_participant_id": supporter.id})


def is_shared_with(session: Session, actor: User, case: Case, message: Message) -> bool:
    """Whether the actor is a support person this delivered message was shared with."""
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None or mine.role != ParticipantRole.SUPPORT or message.state not in DELIVERED:
        return False
    return session.get(MessageShare, (message.id, mine.id)) is not None


@dataclass(frozen=True)
class Supporter:
    participant_id: int
    relationship: str


@dataclass(frozen=True)
class Sharing:
    """For the portal: the actor's support persons and, per message id, which of them it is shared with."""

    supporters: list[Supporter]
    shared: dict[str, frozenset[int]]

    def is_shared(self, message_id: str, participant_id: int) -> bool:
        return participant_id in self.shared.get(message_id, frozenset())


def sharing(session: Session, actor: User, reference: str) -> Sharing:
    """The actor's support persons and what they already see (metadata only, nothing decrypted)."""
    case = find_case(session, actor, reference)
    mine = _mine(actor, case)
    supporters = supporters_of(case, mine)
    ids = [p.id for p in supporters]
    shared: dict[str, set[int]] = {}
    if ids:
        for row in session.execute(select(MessageShare.message_id, MessageShare.support_participant_id)
                                   .where(MessageShare.support_participant_id.in_(ids))):
            shared.setdefault(row.message_id, set()).add(row.support_participant_id)
    return Sharing([Supporter(p.id, p.relationship_to_case) for p in supporters],
                   {key: frozenset(value) for key, value in shared.items()})
