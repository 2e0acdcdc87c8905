"""The outbox: notifications written in the same transaction as the event that causes them, sent later by the
worker (``mediation.notifications``).

A row never holds content: the event's kind, the recipient, and an idempotency key that becomes the e-mail's
Message-ID, so one event reaches one recipient once even when a worker dies between sending and recording it.
An invitation's code is the one secret a row may carry, sealed, and wiped once sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class OutboxEvent(StrEnum):
    SOMETHING_NEW = "something_new"  # "there is something new for you" and the portal's address
    DIGEST = "digest"  # a mediator's daily digest: how many things wait for them, never which
    INVITATION = "invitation"  # an invitation code, to a participant who agreed to receive it by e-mail


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # given up after the last retry, or nowhere to send it; shown on the outbox page
    DROPPED = "dropped"  # moot before it went (the person chose no e-mail, the invitation was used)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_queued_next", "next_attempt_at", "id", postgresql_where=text("state = 'queued'"),
              sqlite_where=text("state = 'queued'")),
        Index("ix_outbox_messages_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))  # an invitation's invitee
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)  # the Message-ID's left part
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.QUEUED.value)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # a worker is sending it
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(80))  # a code (smtp_refused, unreachable...), no text
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sealed_payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # an invitation's code, until sent
    kek_id: Mapped[str | None] = mapped_column(String(40), index=True)
