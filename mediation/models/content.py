"""Encrypted content of a case: its data key, messages, files and assessment notes.

Every ``sealed`` column holds AES-256-GCM ciphertext bound to its record (see ``mediation.crypto.records``);
nothing here is ever stored in clear.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow
from workflows.message_workflow import MessageState

if TYPE_CHECKING:
    from mediation.models.case import Case


def new_record_id() -> str:
    """Random ids for content records, impossible to enumerate. Pass one explicitly when creating a record
    whose content is sealed: the id goes into the ciphertext's associated data before the row is inserted."""
    return secrets.token_hex(16)


class CaseKey(Base):
    """A case's data key, wrapped by a key-encryption key that never enters the database."""

    __tablename__ = "case_keys"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    kek_id: Mapped[str | None] = mapped_column(String(40), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Blob(Base):
    """A file in the blob folder, encrypted in chunks under its own key; that key is sealed here."""

    __tablename__ = "blobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sealed_file_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Message(Base):
    """A message from one side to the other; it reaches them only through the mediator's review."""

    __tablename__ = "messages"
    # The review queue reads submitted messages oldest first (mediation.services.messages.reading).
    __table_args__ = (Index("ix_messages_state_submitted", "state", "submitted_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recipient_side: Mapped[str] = mapped_column(String(16))  # kept for history; reading goes by the person below
    # The person the message is addressed to (mediation.services.messages.addressing.is_recipient).
    recipient_participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # text or video
    state: Mapped[str] = mapped_column(String(20), default=MessageState.SUBMITTED.value)
    revision: Mapped[int] = mapped_column(default=1)
    sealed_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    blob_id: Mapped[str | None] = mapped_column(ForeignKey("blobs.id"))
    sealed_redaction: Mapped[bytes | None] = mapped_column(LargeBinary)
    delivered_redacted: Mapped[bool] = mapped_column(default=False)
    sealed_review_note: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The mediator's short word to the recipient, shown before the message itself (services/messages/cover_notes).
    sealed_cover_note: Mapped[bytes | None] = mapped_column(LargeBinary)
    withhold_reason: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def case_state(self) -> str:
        """What the message-review guards read (workflows.message_workflow.MessageFacts)."""
        return self.case.state

    @property
    def case_facts(self) -> Case:
        """Whom the dialogue holds, for the guard that stops deliveries on a safety concern."""
        return self.case


class MessageShare(Base):
    """A delivered message its recipient (or author) chose to show to one of their support persons."""

    __tablename__ = "message_shares"

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    support_participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True,
                                                        index=True)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AssessmentNote(Base):
    """A mediator's note from the ongoing assessment of safety, well-being and needs."""

    __tablename__ = "assessment_notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
