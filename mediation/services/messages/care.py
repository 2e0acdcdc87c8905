"""The mediator's care around a delivery: a short cover note the recipient reads before the message, and whether
the author of a delivered message may see when it was read (decided per case; off unless the mediator turns it on).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, Message, User
from mediation.policy import require_mediator_of
from mediation.services.lookup import find_case
from mediation.services.messages.addressing import is_recipient
from mediation.services.messages.common import field_context, message_for
from mediation.services.messages.review import review
from mediation.services.messages.sharing import is_shared_with
from workflows.message_workflow import MessageState

MAX_COVER_NOTE = 600


def checked_cover_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if "\x00" in note:
        raise InvalidInput("The note contains a NUL character, which is not allowed.")
    if len(note) > MAX_COVER_NOTE:
        raise InvalidInput("The note before the message is too long (%(length)s characters; at most %(limit)s).",
                           length=len(note), limit=MAX_COVER_NOTE)
    return note or None


def approve_with_cover_note(session: Session, vault: Vault, actor: User, reference: str, *, message_id: str,
                            cover_note: str | None) -> Message:
    """Approve a message for delivery with (optionally) a few words the recipient reads first."""
    note = checked_cover_note(cover_note)
    message = review(session, vault, actor, reference, message_id=message_id, trigger="approve")
    if note is not None:
        message.sealed_cover_note = vault.seal_text(session, field_context(message, "cover"), note)
        audit.record_content(session, AuditTag.COVER_NOTE_WRITTEN, case_id=message.case_id, actor=actor,
                             now=utcnow(), details={"message_id": message.id})
    return message


def cover_note(session: Session, vault: Vault, actor: User, reference: str, message_id: str) -> str | None:
    """The mediator's cover note on a message delivered to the actor (None if there is none); reading it does
    not open the message itself. The note is the mediator's word to the recipient: a support person the message
    was shared with reads the message, never the note."""
    case, message = message_for(session, actor, reference, message_id)
    delivered = message.state in (MessageState.DELIVERED, MessageState.READ) and message.delivered_at is not None
    recipient = delivered and is_recipient(actor, case, message)
    if not (recipient or (delivered and is_shared_with(session, actor, case, message))):
        raise NotFound("There is no such message on this case.")
    if not recipient or message.sealed_cover_note is None:
        return None
    text = vault.open_text(session, field_context(message, "cover"), message.sealed_cover_note)
    audit.record_content(session, AuditTag.COVER_NOTE_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"message_id": message.id})
    return text


def set_read_receipts(session: Session, actor: User, reference: str, *, shown: bool) -> Case:
    """The mediator decides whether authors on this case see when their delivered messages were read."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    if case.read_receipts != shown:
        case.read_receipts = shown
        audit.record(session, AuditTag.READ_RECEIPTS_SET, actor=actor, now=utcnow(), case=case,
                     details={"shown": shown})
    return case
