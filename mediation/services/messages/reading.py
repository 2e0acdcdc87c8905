"""Reading messages: what each person may see of them, each decryption audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.blobs import BlobStore
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, NotFound
from mediation.models import Blob, Case, Message, MessageShare, Role, User
from mediation.policy import mediated_by, mediates, own_participation, require_active, require_mediator_of
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page, starts_with
from mediation.services.lookup import REFERENCE_PATTERN, find_case
from mediation.services.messages.addressing import is_recipient
from mediation.services.messages.common import (
    blob_context,
    field_context,
    is_author,
    message_for,
    move,
)
from mediation.services.messages.sharing import DELIVERED, is_shared_with
from workflows.message_workflow import MessageState
from workflows.vocabulary import ParticipantRole, carries_messages


@dataclass(frozen=True)
class SentMessage:
    """What an author sees of a message they sent: its text, its status, the mediator's note or proposal."""

    id: str
    kind: str
    state: str
    revision: int
    submitted_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None
    text: str | None
    review_note: str | None
    proposed_redaction: str | None
    withhold_reason: str | None


@dataclass(frozen=True)
class ReceivedMessage:
    id: str
    kind: str
    delivered_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class OpenedMessage:
    id: str
    kind: str
    delivered_at: datetime
    text: str | None
    video_type: str | None
    video_size: int | None


def _open_field(session: Session, vault: Vault, message: Message, field: str, sealed: bytes | None) -> str | None:
    return None if sealed is None else vault.open_text(session, field_context(message, field), sealed)


def _decrypted(messages: list[Message]) -> list[str]:
    """Ids of the messages that had anything opened: a body, a note or a redaction, text or video alike."""
    return [m.id for m in messages if m.sealed_body or m.sealed_review_note or m.sealed_redaction]


def _audit_reading(session: Session, actor: User, case: Case, ids: list[str], tag: AuditTag) -> None:
    if ids:
        audit.record_content(session, tag, case_id=case.id, actor=actor, now=utcnow(),
                             details={"message_ids": ids})


def sent_messages(session: Session, vault: Vault, actor: User, reference: str) -> list[SentMessage]:
    """A participant's own messages (or, for a mediator relaying, the ones they wrote), with their status."""
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    query = select(Message).where(Message.case_id == case.id).order_by(Message.submitted_at)
    if mine is not None:
        query = query.where(Message.author_participant_id == mine.id)
    elif actor.role == Role.MEDIATOR:
        require_mediator_of(actor, case)
        query = query.where(Message.written_by_id == actor.id)
    else:
        raise Forbidden("Only participants and the mediator relaying for them have sent messages.")
    messages = list(session.scalars(query))
    # Whether a delivered message was read is the author's to know only where the mediator decided so.
    receipts = case.read_receipts or mine is None
    result = [SentMessage(
        m.id, m.kind, m.state if receipts or m.state != MessageState.READ else MessageState.DELIVERED.value,
        m.revision, m.submitted_at, m.delivered_at, m.read_at if receipts else None,
        _open_field(session, vault, m, "body", m.sealed_body),
        _open_field(session, vault, m, "note", m.sealed_review_note),
        _open_field(session, vault, m, "redaction", m.sealed_redaction), m.withhold_reason) for m in messages]
    _audit_reading(session, actor, case, _decrypted(messages), AuditTag.MESSAGE_DECRYPTED)
    return result


def received_messages(session: Session, actor: User, reference: str) -> list[ReceivedMessage]:
    """Delivered messages addressed to the actor, without their content (opening one reads it); for a support
    person, only those the person they support shared with them (and never whether that person read them)."""
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None:
        raise Forbidden("Only participants receive messages.")
    query = select(Message).where(Message.case_id == case.id, Message.state.in_(DELIVERED))
    if mine.role == ParticipantRole.SUPPORT:
        query = query.join(MessageShare, MessageShare.message_id == Message.id).where(
            MessageShare.support_participant_id == mine.id)
    else:
        query = query.where(Message.recipient_participant_id == mine.id)
    supporting = mine.role == ParticipantRole.SUPPORT
    return [ReceivedMessage(m.id, m.kind, m.delivered_at, None if supporting else m.read_at)
            for m in session.scalars(query.order_by(Message.delivered_at)) if m.delivered_at is not None]


def open_message(session: Session, vault: Vault, actor: User, reference: str, message_id: str) -> OpenedMessage:
    """The recipient reads a delivered message: the first opening marks it read, and the sender sees when."""
    case, message = message_for(session, actor, reference, message_id)
    delivered = message.state in (MessageState.DELIVERED, MessageState.READ)
    recipient = is_recipient(actor, case, message)
    if not ((recipient or is_shared_with(session, actor, case, message)) and delivered
            and message.delivered_at is not None):
        raise NotFound("There is no such message on this case.")
    if recipient and message.state == MessageState.DELIVERED:
        message.read_at, message.read_by_id = utcnow(), actor.id
        move(session, actor, message, "open")
    if message.kind == "video":
        blob = session.get(Blob, message.blob_id)
        assert blob is not None
        return OpenedMessage(message.id, "video", message.delivered_at, None, blob.content_type, blob.size)
    field, sealed = (("redaction", message.sealed_redaction) if message.delivered_redacted
                     else ("body", message.sealed_body))
    text = _open_field(session, vault, message, field, sealed)
    _audit_reading(session, actor, case, [message.id], AuditTag.MESSAGE_DECRYPTED)
    return OpenedMessage(message.id, "text", message.delivered_at, text, None, None)


@dataclass(frozen=True)
class ReviewItem:
    """What the mediator reviews: the original, any proposed redaction, and the note sent back."""

    id: str
    kind: str
    state: str
    revision: int
    author_participant_id: int
    written_by_id: int
    submitted_at: datetime
    text: str | None
    proposed_redaction: str | None
    review_note: str | None


def case_messages_for_review(session: Session, vault: Vault, actor: User, reference: str) -> list[ReviewItem]:
    """Every message of one of the mediator's cases, decrypted for review (and audited)."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    messages = list(session.scalars(select(Message).where(Message.case_id == case.id)
                                    .order_by(Message.submitted_at)))
    items = [ReviewItem(m.id, m.kind, m.state, m.revision, m.author_participant_id, m.written_by_id,
                        m.submitted_at, _open_field(session, vault, m, "body", m.sealed_body),
                        _open_field(session, vault, m, "redaction", m.sealed_redaction),
                        _open_field(session, vault, m, "note", m.sealed_review_note)) for m in messages]
    _audit_reading(session, actor, case, _decrypted(messages), AuditTag.MESSAGE_DECRYPTED)
    return items


@dataclass(frozen=True)
class AwaitingReview:
    reference: str
    message_id: str
    kind: str
    submitted_at: datetime
    held: bool  # the case is paused (or otherwise not in a message dialogue): it waits


REVIEW_KEY: tuple[KeyPart, ...] = ("time", "text")  # submitted at, message id
REVIEW_FILTERS = ("state", "submitted_from", "submitted_to")


def _require_reviewer(actor: User) -> None:
    require_active(actor)
    if actor.role != Role.MEDIATOR:
        raise Forbidden("Only mediators review messages.")


def _awaiting(actor: User) -> list[ColumnElement[bool]]:
    return [mediated_by(actor.id), Message.state == MessageState.SUBMITTED.value]


def awaiting_review(session: Session, actor: User, query: ListQuery) -> Page[AwaitingReview]:
    """A page of the messages submitted on the mediator's cases and not yet reviewed, oldest first, without
    content; read through the index on (message state, submitted at)."""
    _require_reviewer(actor)
    conditions = _awaiting(actor)
    if query.search:
        conditions.append(starts_with(Case.reference, query.search, whole=REFERENCE_PATTERN))
    if query.state:
        conditions.append(Case.state == query.state)
    start, end = query.between("submitted")
    if start is not None:
        conditions.append(Message.submitted_at >= start)
    if end is not None:
        conditions.append(Message.submitted_at < end)
    statement = (select(Case.reference, Case.state, Message.id, Message.kind, Message.submitted_at)
                 .join(Case, Case.id == Message.case_id).where(*conditions))
    page = fetch_page(session, statement, query, keys=(Message.submitted_at, Message.id),
                      key_of=lambda row: (row.submitted_at, row.id), parts=REVIEW_KEY)
    return page.map(lambda row: AwaitingReview(row.reference, row.id, row.kind, row.submitted_at,
                                               not carries_messages(row.state)))


def awaiting_review_count(session: Session, actor: User) -> int:
    """How many messages wait for the mediator's review (for the dashboard's link to the queue)."""
    _require_reviewer(actor)
    return session.scalar(select(func.count()).select_from(Message).join(Case, Case.id == Message.case_id)
                          .where(*_awaiting(actor))) or 0


def open_video(session: Session, vault: Vault, blobs: BlobStore, actor: User, reference: str, *,
               message_id: str) -> tuple[str, int, Iterator[bytes]]:
    """A video for its recipient (after delivery), its author, or the case's mediator: (type, size, chunks).

    The chunks are decrypted as they are read, so the caller can stream them without holding the file.
    """
    case, message = message_for(session, actor, reference, message_id)
    if message.kind != "video" or message.blob_id is None:
        raise NotFound("There is no such video on this case.")
    is_mediator = mediates(actor, case)
    delivered = message.state in (MessageState.DELIVERED, MessageState.READ)
    if not (is_mediator or is_author(actor, case, message) or (delivered and is_recipient(actor, case, message))
            or is_shared_with(session, actor, case, message)):
        raise NotFound("There is no such video on this case.")
    if delivered and is_recipient(actor, case, message) and message.state == MessageState.DELIVERED:
        message.read_at, message.read_by_id = utcnow(), actor.id
        move(session, actor, message, "open")
    blob = session.get(Blob, message.blob_id)
    assert blob is not None
    file_key = vault.open(session, blob_context(blob), blob.sealed_file_key)
    _audit_reading(session, actor, case, [message.id], AuditTag.VIDEO_DECRYPTED)
    return blob.content_type, blob.size, blobs.read(blob.id, file_key)
