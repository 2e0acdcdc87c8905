"""What writing, reviewing and reading messages share: sealing contexts, access checks, firing the review machine."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Blob, Case, Message, Participant, Role, User
from mediation.notifications import outbox
from mediation.policy import own_participation, participant_of, require_active, require_mediator_of
from mediation.services import reminders_arming
from mediation.services.lookup import checked_record_id, find_case
from mediation.services.messages.addressing import require_may_author, speaks_for_a_side
from workflows.message_workflow import MessageState, message_workflow
from workflows.vocabulary import CaseState, Consent, Modality, carries_messages
from workflows.words import Code, Words

MAX_TEXT = 20_000
VIDEO_SIGNATURES = {"video/webm": (0, b"\x1a\x45\xdf\xa3"), "video/mp4": (4, b"ftyp")}
REVIEW_TRIGGERS = ("approve", "return", "redact", "withhold")
AUTHOR_TRIGGERS = ("revise", "accept", "refuse")


def field_context(message: Message, field: str) -> RecordContext:
    return RecordContext(message.case_id, "message", message.id, message.written_by_id,
                         f"{field}.r{message.revision}")


def blob_context(blob: Blob) -> RecordContext:
    return RecordContext(blob.case_id, "blob", blob.id, blob.author_id, "file-key")


def checked_text(text: str | None, what: Words) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The %(what)s cannot be empty.", what=what)
    if len(text) > MAX_TEXT:
        raise InvalidInput("The %(what)s is too long (%(length)s characters; at most %(limit)s).", what=what,
                           length=len(text), limit=MAX_TEXT)
    return text


def author_for(actor: User, case: Case, on_behalf_of: int | None) -> Participant:
    """Participants write for themselves; in a relayed exchange the mediator writes for a participant."""
    require_active(actor)
    if actor.role == Role.PARTICIPANT:
        mine = own_participation(actor, case)
        if mine is None:
            raise NotFound("No case %(reference)s was found.", reference=case.reference)
        if on_behalf_of not in (None, mine.id):
            raise Forbidden("You can only write your own messages.")
        require_may_author(mine)
        if mine.consent != Consent.GIVEN:
            raise Forbidden("Your participation is not active, so nothing can be sent for you.")
        return mine
    require_mediator_of(actor, case)
    if case.state != CaseState.DIALOGUE_RELAY:
        raise Forbidden("A mediator writes on a participant's behalf only when the messages are relayed.")
    if on_behalf_of is None:
        raise InvalidInput("Say on whose behalf you are writing.")
    author = participant_of(case, on_behalf_of)
    require_may_author(author)
    return author


def dialogue_refusal(state: str, kind: str) -> Words | None:
    """Why a message of ``kind`` cannot be sent while the case is in ``state``; None when it can."""
    if not carries_messages(state):
        return Words("Messages can be sent only during a written, video or relayed dialogue; the case is %(state)s.",
                     state=Code(state))
    if kind == "video" and state != Modality.VIDEO.dialogue_state:
        return Words("Video messages can be sent only when the dialogue is by video message.")
    return None


def require_message_dialogue(case: Case, kind: str) -> None:
    refusal = dialogue_refusal(case.state, kind)
    if refusal is not None:
        raise WrongState(refusal)


def may_write(participant: Participant, state: str, kind: str) -> bool:
    """Whether a participant may send a message of ``kind`` now (what ``author_for`` and the dialogue check
    enforce when they do): they speak for their side (not a support person), their participation is active,
    and the dialogue carries such messages."""
    return (participant.consent == Consent.GIVEN and speaks_for_a_side(participant)
            and dialogue_refusal(state, kind) is None)


def message_for(session: Session, actor: User, reference: str, message_id: str, *,
                lock: bool = False) -> tuple[Case, Message]:
    """The message on a case the actor may see; with ``lock``, the case row is locked first (see find_case)."""
    message_id = checked_record_id(message_id)
    case = find_case(session, actor, reference, lock=lock)
    message = session.scalars(select(Message).where(Message.id == message_id, Message.case_id == case.id)).first()
    if message is None:
        raise NotFound("There is no such message on this case.")
    return case, message


def is_author(actor: User, case: Case, message: Message) -> bool:
    author = participant_of(case, message.author_participant_id)
    return actor.id in {author.user_id, message.written_by_id}


def move(session: Session, actor: User, message: Message, trigger: str, **arguments: str) -> None:
    now = utcnow()
    message_workflow().fire(message, trigger, **arguments)
    reminders_arming.message_moved(session, message.case_id, message.id, message.state, now)
    message.reviewed_at = now if trigger in REVIEW_TRIGGERS else message.reviewed_at
    if message.state == MessageState.DELIVERED:
        message.delivered_at = now
        recipients = [message.recipient_participant_id] if message.recipient_participant_id is not None else []
        outbox.something_new_for_participants(session, recipients, f"message:{message.id}:{message.revision}", now)
    details = {"message_id": message.id, "revision": message.revision}  # ids only: never the note or text
    audit.record_content(session, AuditTag.for_message_trigger(trigger), case_id=message.case_id, actor=actor,
                         now=now, reason=arguments.get("reason"), details=details)

