"""Writing to the other side: text, or a video already stored encrypted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.blobs import ReceivedBlob
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput
from mediation.models import Blob, Case, Message, Participant, Role, User
from mediation.models.content import new_record_id
from mediation.services import reminders_arming
from mediation.services.lookup import find_case
from mediation.services.messages.addressing import recipient_for
from mediation.services.messages.common import (
    VIDEO_SIGNATURES,
    author_for,
    blob_context,
    checked_text,
    field_context,
    require_message_dialogue,
)
from workflows.message_workflow import MessageState
from workflows.words import Words


def _new_message(session: Session, actor: User, case: Case, author: Participant, kind: str, *,
                 to: int | None) -> Message:
    recipient = recipient_for(case, author, to)
    message = Message(id=new_record_id(), case_id=case.id, author_participant_id=author.id, written_by_id=actor.id,
                      recipient_side=recipient.side, recipient_participant_id=recipient.id, kind=kind,
                      state=MessageState.SUBMITTED.value, revision=1, submitted_at=utcnow())
    session.add(message)
    return message


def _chosen(actor: User, to: int | None) -> int | None:
    """Only the mediator relaying chooses the recipient; a participant writes to the other side's primary person."""
    if to is not None and actor.role != Role.MEDIATOR:
        raise Forbidden("Your messages go to the other side's person; the mediator chooses otherwise.")
    return to


def _audit_submission(session: Session, actor: User, message: Message) -> None:
    reminders_arming.message_moved(session, message.case_id, message.id, message.state, message.submitted_at)
    audit.record_content(session, AuditTag.MESSAGE_SUBMITTED, case_id=message.case_id, actor=actor,
                         now=message.submitted_at, details={"message_id": message.id, "kind": message.kind,
                                                            "author_participant_id": message.author_participant_id,
                                                            "recipient_participant_id":
                                                                message.recipient_participant_id})


def submit_message(session: Session, vault: Vault, actor: User, reference: str, *, text: str,
                   on_behalf_of: int | None = None, to: int | None = None) -> Message:
    """Write a message to a person of the other side (their primary person unless the mediator relaying chose
    ``to``); it waits for the mediator's review."""
    # Locked: a withdrawal or closure at the same moment waits, then withholds this message too.
    case = find_case(session, actor, reference, lock=True)
    author = author_for(actor, case, on_behalf_of)
    require_message_dialogue(case, "text")
    message = _new_message(session, actor, case, author, "text", to=_chosen(actor, to))
    message.sealed_body = vault.seal_text(session, field_context(message, "body"), checked_text(text, Words("message")))
    _audit_submission(session, actor, message)
    return message


def video_type(head: bytes) -> str | None:
    """MP4 or WebM, judged by the file's own first bytes, never by what the browser claims."""
    for content_type, (offset, signature) in VIDEO_SIGNATURES.items():
        if head[offset:offset + len(signature)] == signature:
            return content_type
    return None


def _video_author(session: Session, actor: User, reference: str, on_behalf_of: int | None, *,
                  lock: bool) -> tuple[Case, Participant]:
    case = find_case(session, actor, reference, lock=lock)
    author = author_for(actor, case, on_behalf_of)
    require_message_dialogue(case, "video")
    return case, author


def may_send_video(session: Session, actor: User, reference: str, *, on_behalf_of: int | None = None) -> None:
    """Refuse, before a single byte of the file is received, a video the actor may not send on this case now."""
    _video_author(session, actor, reference, on_behalf_of, lock=False)


def submit_video_message(session: Session, vault: Vault, actor: User, reference: str, *, received: ReceivedBlob,
                         on_behalf_of: int | None = None) -> Message:
    """Accept a video already stored encrypted by ``BlobStore.receive``; the caller discards it on refusal."""
    # Locked: a withdrawal or closure at the same moment waits, then withholds this message too.
    case, author = _video_author(session, actor, reference, on_behalf_of, lock=True)
    content_type = video_type(received.head)
    if content_type is None:
        raise InvalidInput("The file is not an MP4 or WebM video.")
    blob = Blob(id=received.blob_id, case_id=case.id, author_id=actor.id, content_type=content_type,
                size=received.size, created_at=utcnow())
    blob.sealed_file_key = vault.seal(session, blob_context(blob), received.file_key)
    session.add(blob)
    message = _new_message(session, actor, case, author, "video", to=None)
    message.blob_id = blob.id
    _audit_submission(session, actor, message)
    return message
