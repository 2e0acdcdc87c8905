"""The mediator's review, the author's answers, and withholding what is pending when a case ends."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.crypto.vault import Vault
from mediation.errors import Forbidden, InvalidInput, WrongState
from mediation.models import Message, Role, User
from mediation.policy import require_mediator_of
from mediation.services.messages.common import (
    AUTHOR_TRIGGERS,
    REVIEW_TRIGGERS,
    checked_text,
    field_context,
    is_author,
    message_for,
    move,
)
from workflows.errors import GuardNotMet
from workflows.message_workflow import PENDING_MESSAGE_STATES, MessageState, dialogue_is_safe
from workflows.words import Code, Words, codes


def review(session: Session, vault: Vault, actor: User, reference: str, *, message_id: str, trigger: str,
           note: str | None = None, redacted_text: str | None = None, reason: str | None = None) -> Message:
    """The mediator approves, returns with a note, proposes a redaction, or withholds with a reason."""
    if trigger not in REVIEW_TRIGGERS:
        raise InvalidInput("A review is one of %(choices)s.", choices=codes(REVIEW_TRIGGERS))
    # Locked: a pause, withdrawal or closure at the same moment either waits for this review, or is seen by it
    # (and approving is then refused), so nothing is delivered once a case is paused or closed.
    case, message = message_for(session, actor, reference, message_id, lock=True)
    require_mediator_of(actor, case)
    arguments: dict[str, str] = {}
    if trigger == "return":
        arguments["note"] = checked_text(note, Words("note"))
        message.sealed_review_note = vault.seal_text(session, field_context(message, "note"), arguments["note"])
    elif trigger == "redact":
        if message.kind != "text":
            raise InvalidInput("Only a written message can be redacted; return a video with a note instead.")
        arguments["redacted_text"] = checked_text(redacted_text, Words("redacted version"))
        message.sealed_redaction = vault.seal_text(session, field_context(message, "redaction"),
                                                   arguments["redacted_text"])
    elif trigger == "withhold":
        arguments["reason"] = reason or ""
        message.withhold_reason = reason
    move(session, actor, message, trigger, **arguments)
    return message


def respond(session: Session, vault: Vault, actor: User, reference: str, *, message_id: str, trigger: str,
            text: str | None = None) -> Message:
    """The author accepts or refuses a proposed redaction, or revises a returned message."""
    if trigger not in AUTHOR_TRIGGERS:
        raise InvalidInput("An answer is one of %(choices)s.", choices=codes(AUTHOR_TRIGGERS))
    # Locked like a review: accepting a redaction delivers the message.
    case, message = message_for(session, actor, reference, message_id, lock=True)
    if not is_author(actor, case, message):
        raise Forbidden("Only the author of a message can answer for it.")
    if trigger == "accept":
        message.delivered_redacted = True
    if trigger == "revise":
        if message.state != MessageState.RETURNED:
            raise WrongState("Only a returned message can be revised; this one is %(state)s.",
                             state=Code(message.state))
        if message.kind != "text":
            raise InvalidInput("A returned video is replaced by recording a new one.")
        message.revision += 1
        message.sealed_body = vault.seal_text(session, field_context(message, "body"),
                                              checked_text(text, Words("message")))
        message.sealed_review_note = message.sealed_redaction = None
    if trigger == "refuse":
        message.sealed_redaction = None
    try:
        move(session, actor, message, trigger)
    except GuardNotMet as refusal:
        # A participant is never told whose safety is in question, only that nothing is delivered for now.
        if actor.role == Role.PARTICIPANT and dialogue_is_safe.name in refusal.unmet:
            raise WrongState("Nothing can be delivered for the moment; the mediator will tell you when it can. "
                             "Your answer was not recorded.") from None
        raise
    return message


def withhold_pending(session: Session, actor: User, case_id: int, reason: str) -> int:
    """When a case is withdrawn or closed, nothing still pending may ever be delivered."""
    pending = session.scalars(select(Message).where(
        Message.case_id == case_id, Message.state.in_([s.value for s in PENDING_MESSAGE_STATES])))
    count = 0
    for message in pending:
        message.withhold_reason = reason
        move(session, actor, message, "withhold", reason=reason)
        count += 1
    return count
