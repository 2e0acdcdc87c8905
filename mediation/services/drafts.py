"""Drafts: what a participant is writing, saved sealed as they type, so that the idle timeout, a closed tab or a
lost connection never loses a letter. One draft per participant and purpose; sending it deletes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, Draft, DraftPurpose, Message, Participant, Role, User
from mediation.models.content import new_record_id
from mediation.policy import own_participation, require_role
from mediation.services import messages
from mediation.services.lookup import find_case

PURPOSES = tuple(purpose.value for purpose in DraftPurpose)
MAX_DRAFT = messages.MAX_TEXT  # the longest thing a participant writes


def _context(draft: Draft) -> RecordContext:
    return RecordContext(draft.case_id, "draft", draft.id, draft.author_id, f"{draft.purpose}.r{draft.revision}")


def _writer(session: Session, actor: User, reference: str, purpose: str, *,
            lock: bool = False) -> tuple[Case, Participant]:
    if purpose not in PURPOSES:
        raise InvalidInput("Unknown kind of draft.")
    require_role(actor, Role.PARTICIPANT)
    case = find_case(session, actor, reference, lock=lock)
    mine = own_participation(actor, case)
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    return case, mine


def _draft(session: Session, participant_id: int, purpose: str) -> Draft | None:
    return session.scalars(select(Draft).where(Draft.participant_id == participant_id,
                                               Draft.purpose == purpose)).first()


def save_draft(session: Session, vault: Vault, actor: User, reference: str, *, purpose: str,
               text: str | None) -> datetime | None:
    """Keep what the participant is writing, sealed; empty text deletes the draft. Returns when it was saved."""
    text = text or ""
    if "\x00" in text:
        raise InvalidInput("The text contains a NUL character, which is not allowed.")
    if len(text) > MAX_DRAFT:
        raise InvalidInput("The text is too long (%(length)s characters; at most %(limit)s).", length=len(text),
                           limit=MAX_DRAFT)
    # Locked: two saves of the same draft at once (a timer and the page being left) take turns.
    case, mine = _writer(session, actor, reference, purpose, lock=True)
    if not text.strip():
        forget_draft(session, mine.id, DraftPurpose(purpose))
        return None
    draft = _draft(session, mine.id, purpose)
    now = utcnow()
    if draft is None:
        draft = Draft(id=new_record_id(), case_id=case.id, participant_id=mine.id, purpose=purpose,
                      author_id=actor.id, revision=1)
        session.add(draft)
    else:
        draft.revision += 1
        draft.author_id = actor.id
    draft.saved_at = now
    draft.sealed_body = vault.seal_text(session, _context(draft), text)
    audit.record_content(session, AuditTag.DRAFT_SAVED, case_id=case.id, actor=actor, now=now,
                         details={"draft_id": draft.id, "purpose": purpose, "revision": draft.revision})
    return now


def my_draft(session: Session, vault: Vault, actor: User, reference: str, purpose: str) -> tuple[str, datetime] | None:
    """The participant's own draft and when it was saved, to put back in the form they were writing in."""
    case, mine = _writer(session, actor, reference, purpose)
    draft = _draft(session, mine.id, purpose)
    if draft is None:
        return None
    text = vault.open_text(session, _context(draft), draft.sealed_body)
    audit.record_content(session, AuditTag.DRAFT_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"draft_id": draft.id, "purpose": purpose})
    return text, draft.saved_at


def forget_draft(session: Session, participant_id: int, purpose: DraftPurpose) -> None:
    """Delete a draft once what it held was sent (in the sending transaction)."""
    session.execute(delete(Draft).where(Draft.participant_id == participant_id, Draft.purpose == purpose.value))


def send_message(session: Session, vault: Vault, actor: User, reference: str, *, text: str) -> Message:
    """Send a message to the other side (through the mediator's review) and drop its draft, together."""
    message = messages.submit_message(session, vault, actor, reference, text=text)
    forget_draft(session, message.author_participant_id, DraftPurpose.MESSAGE)
    return message
