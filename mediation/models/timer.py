"""Durable timers: what the engine must do later, kept as rows of the case's own database.

A timer is written in the same transaction as the change that starts it, so a change rolled back leaves no
timer; cancelling one is part of the transaction that makes it moot (a case closing cancels its reminders). The
worker (``mediation worker``) fires due timers one transaction each, through the same services as a person, as
the system actor (``mediation.timers``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class TimerKind(StrEnum):
    INVITATION_EXPIRES = "invitation_expires"  # subject: the invitation
    CASE_STALE = "case_stale"  # an open case without activity: tell its mediator
    CASE_STALE_ESCALATION = "case_stale_escalation"  # ... and, later still, the coordinator
    REVIEW_WAITING = "review_waiting"  # subject: a message submitted for review and still waiting
    REASSESSMENT_DUE = "reassessment_due"  # subject: a participant whose safety assessment is due again
    AGREEMENT_ITEM_DUE = "agreement_item_due"  # subject: an agreement item
    ACTIVITY_DUE = "activity_due"  # subject: a planned activity or meeting coming up
    RETENTION_ENDS = "retention_ends"  # a closed case's retention period ended: destroy its data key
    AUDIT_CHECKPOINT = "audit_checkpoint"  # recurring, no case: a signed checkpoint written off the instance
    MEDIATOR_DIGEST = "mediator_digest"  # recurring, no case: each mediator's daily digest
    # Circles of Support and Accountability (mediation.services.circles.timers)
    CIRCLE_MINUTES_DUE = "circle_minutes_due"  # subject_key: a held circle meeting whose minutes are due
    CIRCLE_ANNIVERSARY = "circle_anniversary"  # the circle's year of engagement ends: ask for the renewal decision
    # The resocialisation training programme (mediation.services.training_help).
    TRAINING_HELP_FOLLOW_UP = "training_help_follow_up"  # subject: a practical help whose follow-up is due


class TimerState(StrEnum):
    PENDING = "pending"
    FIRED = "fired"  # done, or found moot (``outcome`` says which and why)
    CANCELLED = "cancelled"  # the change that made it moot cancelled it
    FAILED = "failed"  # its handler kept failing; shown to the coordinator, never retried by itself


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (
        # The worker's one question, "what is due?", reads only pending rows in due order.
        Index("ix_timers_pending_due", "due_at", "id", postgresql_where=text("state = 'pending'"),
              sqlite_where=text("state = 'pending'")),
        Index("ix_timers_case_state", "case_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default=TimerState.PENDING.value)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column()  # the invitation, message, item, activity... (see the kind)
    subject_key: Mapped[str | None] = mapped_column(String(32))  # a subject whose id is a record id (a message...)
    case_version: Mapped[int | None] = mapped_column()  # the case's version when armed: has it moved on since?
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(40))  # a code: "done", or why it was moot
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(80))  # an exception's class name, never its text

    def __repr__(self) -> str:
        return f"<Timer {self.id} {self.kind} {self.state} {self.due_at:%Y-%m-%d %H:%M}>"
