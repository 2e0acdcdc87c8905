"""Messages between the two sides, through the mediator (DESIGN.md section 2, "Messages are a workflow too").

A message is sealed with the case's data key the moment it is written. The recipient sees it only once the
mediator approved it (or the author accepted the mediator's redaction), and only while the case is in a
dialogue that carries messages. Every decryption for display is audited on the case's content chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.blobs import BlobStore, ReceivedBlob
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Blob, Case, Message, Participant, Role, User
from mediation.models.content import new_record_id
from mediation.policy import own_participation, participant_of, require_active, require_mediator_of
from mediation.services.lookup import find_case
from workflows.message_workflow import PENDING_MESSAGE_STATES, MessageState, message_workflow
from workflows.vocabulary import CaseState, Consent, Modality, Side, carries_messages

MAX_TEXT = 20_000
VIDEO_SIGNATURES = {"video/webm": (0, b"\x1a\x45\xdf\xa3"), "video/mp4": (4, b"ftyp")}
REVIEW_TRIGGERS = ("approve", "return", "redact", "withhold")
AUTHOR_TRIGGERS = ("revise", "accept", "refuse")


# --- sealing -------------------------------------------------------------------------------------------------

def _context(message: Message, field: str) -> RecordContext:
    return RecordContext(message.case_id, "message", message.id, message.written_by_id,
                         f"{field}.r{message.revision}")


def _blob_context(blob: Blob) -> RecordContext:
    return RecordContext(blob.case_id, "blob", blob.id, blob.author_id, "file-key")


def _check_text(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"The {what} cannot be empty.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"The {what} is too long ({len(text)} characters; at most {MAX_TEXT}).")
    return text


# --- who may do what -----------------------------------------------------------------------------------------

def _author_for(actor: User, case: Case, on_behalf_of: int | None) -> Participant:
    """Participants write for themselves; in a relayed exchange the mediator writes for a participant."""
    require_active(actor)
    if actor.role == Role.PARTICIPANT:
        mine = own_participation(actor, case)
        if mine is None:
            raise NotFound(f"No case {case.reference} was found.")
        if on_behalf_of not in (None, mine.id):
            raise Forbidden("You can only write your own messages.")
        if mine.consent != Consent.GIVEN:
            raise Forbidden("Your participation is not active, so nothing can be sent for you.")
        return mine
    require_mediator_of(actor, case)
    if case.state != CaseState.DIALOGUE_RELAY:
        raise Forbidden("A mediator writes on a participant's behalf only when the messages are relayed.")
    if on_behalf_of is None:
        raise InvalidInput("Say on whose behalf you are writing.")
    return participant_of(case, on_behalf_of)


def _require_message_dialogue(case: Case, kind: str) -> None:
    if not carries_messages(case.state):
        raise WrongState(f"Messages can be sent only during a written, video or relayed dialogue; the case is "
                         f"{case.state}.")
    if kind == "video" and case.state != Modality.VIDEO.dialogue_state:
        raise WrongState("Video messages can be sent only when the dialogue is by video message.")


def _message_for(session: Session, actor: User, reference: str, message_id: str) -> tuple[Case, Message]:
    case = find_case(session, actor, reference)
    message = session.scalars(select(Message).where(Message.id == message_id, Message.case_id == case.id)).first()
    if message is None:
        raise NotFound("There is no such message on this case.")
    return case, message


def _is_author(actor: User, case: Case, message: Message) -> bool:
    author = participant_of(case, message.author_participant_id)
    return actor.id in {author.user_id, message.written_by_id}


def _is_recipient(actor: User, case: Case, message: Message) -> bool:
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    return mine is not None and mine.side == message.recipient_side


# --- writing -------------------------------------------------------------------------------------------------

def _new_message(session: Session, actor: User, case: Case, author: Participant, kind: str) -> Message:
    recipient = Side.RESPONSIBLE if author.side == Side.HARMED else Side.HARMED
    message = Message(id=new_record_id(), case_id=case.id, author_participant_id=author.id, written_by_id=actor.id,
                      recipient_side=recipient.value, kind=kind, state=MessageState.SUBMITTED.value, revision=1,
                      submitted_at=utcnow())
    session.add(message)
    return message


def _audit_submission(session: Session, actor: User, message: Message) -> None:
    audit.record_content(session, AuditTag.MESSAGE_SUBMITTED, case_id=message.case_id, actor=actor,
                         now=message.submitted_at, details={"message_id": message.id, "kind": message.kind,
                                                            "author_participant_id": message.author_participant_id})


def submit_message(session: Session, vault: Vault, actor: User, reference: str, *, text: str,
                   on_behalf_of: int | None = None) -> Message:
    """Write a message to the other side; it waits for the mediator's review."""
    # Locked: a withdrawal or closure at the same moment waits, then withholds this message too.
    case = find_case(session, actor, reference, lock=True)
    author = _author_for(actor, case, on_behalf_of)
    _require_message_dialogue(case, "text")
    message = _new_message(session, actor, case, author, "text")
    message.sealed_body = vault.seal_text(session, _context(message, "body"), _check_text(text, "message"))
    _audit_submission(session, actor, message)
    return message


def video_type(head: bytes) -> str | None:
    """MP4 or WebM, judged by the file's own first bytes, never by what the browser claims."""
    for content_type, (offset, signature) in VIDEO_SIGNATURES.items():
        if head[offset:offset + len(signature)] == signature:
            return content_type
    return None


def submit_video_message(session: Session, vault: Vault, actor: User, reference: str, *, received: ReceivedBlob,
                         on_behalf_of: int | None = None) -> Message:
    """Accept a video already stored encrypted by ``BlobStore.receive``; the caller discards it on refusal."""
    # Locked: a withdrawal or closure at the same moment waits, then withholds this message too.
    case = find_case(session, actor, reference, lock=True)
    author = _author_for(actor, case, on_behalf_of)
    _require_message_dialogue(case, "video")
    content_type = video_type(received.head)
    if content_type is None:
        raise InvalidInput("The file is not an MP4 or WebM video.")
    blob = Blob(id=received.blob_id, case_id=case.id, author_id=actor.id, content_type=content_type,
                size=received.size, created_at=utcnow())
    blob.sealed_file_key = vault.seal(session, _blob_context(blob), received.file_key)
    session.add(blob)
    message = _new_message(session, actor, case, author, "video")
    message.blob_id = blob.id
    _audit_submission(session, actor, message)
    return message


# --- review by the mediator, answers by the author -----------------------------------------------------------

def _fire(session: Session, actor: User, message: Message, trigger: str, **arguments: str) -> None:
    now = utcnow()
    message_workflow().fire(message, trigger, **arguments)
    message.reviewed_at = now if trigger in REVIEW_TRIGGERS else message.reviewed_at
    if message.state == MessageState.DELIVERED:
        message.delivered_at = now
    details = {"message_id": message.id, "revision": message.revision}  # ids only: never the note or text
    audit.record_content(session, AuditTag.for_message_trigger(trigger), case_id=message.case_id, actor=actor,
                         now=now, reason=arguments.get("reason"), details=details)


def review(session: Session, vault: Vault, actor: User, reference: str, *, message_id: str, trigger: str,
           note: str | None = None, redacted_text: str | None = None, reason: str | None = None) -> Message:
    """The mediator approves, returns with a note, proposes a redaction, or withholds with a reason."""
    if trigger not in REVIEW_TRIGGERS:
        raise InvalidInput(f"A review is one of {', '.join(REVIEW_TRIGGERS)}.")
    case, message = _message_for(session, actor, reference, message_id)
    require_mediator_of(actor, case)
    arguments: dict[str, str] = {}
    if trigger == "return":
        arguments["note"] = _check_text(note, "note")
        message.sealed_review_note = vault.seal_text(session, _context(message, "note"), arguments["note"])
    elif trigger == "redact":
        if message.kind != "text":
            raise InvalidInput("Only a written message can be redacted; return a video with a note instead.")
        arguments["redacted_text"] = _check_text(redacted_text, "redacted version")
        message.sealed_redaction = vault.seal_text(session, _context(message, "redaction"),
                                                   arguments["redacted_text"])
    elif trigger == "withhold":
        arguments["reason"] = reason or ""
        message.withhold_reason = reason
    _fire(session, actor, message, trigger, **arguments)
    return message


def respond(session: Session, vault: Vault, actor: User, reference: str, *, message_id: str, trigger: str,
            text: str | None = None) -> Message:
    """The author accepts or refuses a proposed redaction, or revises a returned message."""
    if trigger not in AUTHOR_TRIGGERS:
        raise InvalidInput(f"An answer is one of {', '.join(AUTHOR_TRIGGERS)}.")
    case, message = _message_for(session, actor, reference, message_id)
    if not _is_author(actor, case, message):
        raise Forbidden("Only the author of a message can answer for it.")
    if trigger == "accept":
        message.delivered_redacted = True
    if trigger == "revise":
        if message.state != MessageState.RETURNED:
            raise WrongState(f"Only a returned message can be revised; this one is {message.state}.")
        if message.kind != "text":
            raise InvalidInput("A returned video is replaced by recording a new one.")
        message.revision += 1
        message.sealed_body = vault.seal_text(session, _context(message, "body"), _check_text(text, "message"))
        message.sealed_review_note = message.sealed_redaction = None
    if trigger == "refuse":
        message.sealed_redaction = None
    _fire(session, actor, message, trigger)
    return message


def withhold_pending(session: Session, actor: User, case_id: int, reason: str) -> int:
    """When a case is withdrawn or closed, nothing still pending may ever be delivered."""
    pending = session.scalars(select(Message).where(
        Message.case_id == case_id, Message.state.in_([s.value for s in PENDING_MESSAGE_STATES])))
    count = 0
    for message in pending:
        message.withhold_reason = reason
        _fire(session, actor, message, "withhold", reason=reason)
        count += 1
    return count


# --- reading -------------------------------------------------------------------------------------------------

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
    return None if sealed is None else vault.open_text(session, _context(message, field), sealed)


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
    result = [SentMessage(
        m.id, m.kind, m.state, m.revision, m.submitted_at, m.delivered_at, m.read_at,
        _open_field(session, vault, m, "body", m.sealed_body),
        _open_field(session, vault, m, "note", m.sealed_review_note),
        _open_field(session, vault, m, "redaction", m.sealed_redaction), m.withhold_reason) for m in messages]
    _audit_reading(session, actor, case, _decrypted(messages), AuditTag.MESSAGE_DECRYPTED)
    return result


def received_messages(session: Session, actor: User, reference: str) -> list[ReceivedMessage]:
    """Delivered messages addressed to the actor's side, without their content (opening one reads it)."""
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None:
        raise Forbidden("Only participants receive messages.")
    query = select(Message).where(
        Message.case_id == case.id, Message.recipient_side == mine.side,
        Message.state.in_([MessageState.DELIVERED.value, MessageState.READ.value])).order_by(Message.delivered_at)
    return [ReceivedMessage(m.id, m.kind, m.delivered_at, m.read_at) for m in session.scalars(query)
            if m.delivered_at is not None]


def open_message(session: Session, vault: Vault, actor: User, reference: str, message_id: str) -> OpenedMessage:
    """The recipient reads a delivered message: the first opening marks it read, and the sender sees when."""
    case, message = _message_for(session, actor, reference, message_id)
    delivered = message.state in (MessageState.DELIVERED, MessageState.READ)
    if not (_is_recipient(actor, case, message) and delivered and message.delivered_at is not None):
        raise NotFound("There is no such message on this case.")
    if message.state == MessageState.DELIVERED:
        message.read_at, message.read_by_id = utcnow(), actor.id
        _fire(session, actor, message, "open")
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


def awaiting_review(session: Session, actor: User) -> list[AwaitingReview]:
    """Messages submitted on the mediator's cases and not yet reviewed, oldest first, without content."""
    require_active(actor)
    if actor.role != Role.MEDIATOR:
        raise Forbidden("Only mediators review messages.")
    rows = session.execute(
        select(Case.reference, Case.state, Message.id, Message.kind, Message.submitted_at)
        .join(Case, Case.id == Message.case_id)
        .where(Case.assigned_mediator_id == actor.id, Message.state == MessageState.SUBMITTED.value)
        .order_by(Message.submitted_at)).all()
    return [AwaitingReview(ref, mid, kind, at, not carries_messages(state)) for ref, state, mid, kind, at in rows]


def open_video(session: Session, vault: Vault, blobs: BlobStore, actor: User, reference: str, *,
               message_id: str) -> tuple[str, int, Iterator[bytes]]:
    """A video for its recipient (after delivery), its author, or the case's mediator: (type, size, chunks).

    The chunks are decrypted as they are read, so the caller can stream them without holding the file.
    """
    case, message = _message_for(session, actor, reference, message_id)
    if message.kind != "video" or message.blob_id is None:
        raise NotFound("There is no such video on this case.")
    is_mediator = actor.role == Role.MEDIATOR and case.assigned_mediator_id == actor.id
    delivered = message.state in (MessageState.DELIVERED, MessageState.READ)
    if not (is_mediator or _is_author(actor, case, message) or (delivered and _is_recipient(actor, case, message))):
        raise NotFound("There is no such video on this case.")
    if delivered and _is_recipient(actor, case, message) and message.state == MessageState.DELIVERED:
        message.read_at, message.read_by_id = utcnow(), actor.id
        _fire(session, actor, message, "open")
    blob = session.get(Blob, message.blob_id)
    assert blob is not None
    file_key = vault.open(session, _blob_context(blob), blob.sealed_file_key)
    _audit_reading(session, actor, case, [message.id], AuditTag.VIDEO_DECRYPTED)
    return blob.content_type, blob.size, blobs.read(blob.id, file_key)
