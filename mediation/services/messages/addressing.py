"""Messages go to persons, not sides: who writes, who a message is addressed to, who may read it."""

from __future__ import annotations

from mediation.errors import Forbidden, InvalidInput
from mediation.models import Case, Message, Participant, Role, User
from mediation.policy import own_participation, participant_of
from workflows.vocabulary import ParticipantRole

SPEAKING_ROLES = (ParticipantRole.PRIMARY.value, ParticipantRole.REPRESENTATIVE.value)


def speaks_for_a_side(participant: Participant) -> bool:
    """Primary persons and representatives write and receive; a support person only reads what is shared."""
    return participant.role in SPEAKING_ROLES


def require_may_author(participant: Participant) -> None:
    if not speaks_for_a_side(participant):
        raise Forbidden("A support person cannot write to the other side; the person they support can.")


def default_recipient(case: Case, author: Participant) -> Participant | None:
    """The other side's first primary person or representative (lowest id), as migration 0012 backfilled."""
    others = [p for p in case.participants if p.side != author.side and speaks_for_a_side(p)]
    return min(others, key=lambda p: p.id) if others else None


def recipient_for(case: Case, author: Participant, chosen: int | None) -> Participant:
    """Whom a new message is addressed to: the other side's primary person, or the person the mediator chose
    when relaying (someone of the other side who speaks for it; never a support person, never the author's side)."""
    if chosen is None:
        recipient = default_recipient(case, author)
        if recipient is None:
            raise InvalidInput("There is no one on the other side to write to yet.")
        return recipient
    recipient = participant_of(case, chosen)
    if recipient.side == author.side or not speaks_for_a_side(recipient):
        raise InvalidInput("A message goes to a person of the other side who takes part for it, "
                           "never to a support person.")
    return recipient


def is_recipient(actor: User, case: Case, message: Message) -> bool:
    """Only the person a delivered message is addressed to reads it as its recipient."""
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    return mine is not None and mine.id == message.recipient_participant_id
