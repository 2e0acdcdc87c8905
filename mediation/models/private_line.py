"""A participant's private line to their mediator, and the drafts of what a participant is writing.

Nothing here is ever relayed to anyone else on the case: a private note goes from a participant to the case's
mediator (or from the mediator back to that participant alone). Every body is sealed with the case's data key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class NoteKind(StrEnum):
    MESSAGE = "message"
    NEED_A_BREAK = "need_a_break"
    START_AGAIN = "start_again"  # after a withdrawal: reaches the mediator as a request to reopen


class NoteDirection(StrEnum):
    TO_MEDIATOR = "to_mediator"
    TO_PARTICIPANT = "to_participant"


class RequestOutcome(StrEnum):
    """What the mediator did with a request to start again."""

    REOPENED = "reopened"
    ANSWERED = "answered"  # not reopened: the mediator answers the participant on the line


class DraftPurpose(StrEnum):
    MESSAGE = "message"  # a message to the other side, not sent yet
    PRIVATE = "private"  # a note to the mediator, not sent yet


class PrivateNote(Base):
    __tablename__ = "private_notes"
    # The mediator's dashboard counts unread notes per case; the case page lists a case's notes in order.
    __table_args__ = (Index("ix_private_notes_case_created", "case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sealed_body: Mapped[bytes | None] = mapped_column(LargeBinary)  # optional for a break or a start-again request
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # by whom it was written to
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # a start-again request acted on
    handled_how: Mapped[str | None] = mapped_column(String(16))  # reopened, or answered without reopening


class Draft(Base):
    """What a participant was writing, saved sealed as they type, so a timeout or a closed tab loses nothing."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("participant_id", "purpose", name="uq_drafts_participant_purpose"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(default=1)
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
