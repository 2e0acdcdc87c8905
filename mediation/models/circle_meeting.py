"""A circle's meetings and the warning signs raised from their minutes.

A meeting is planned, then held (with who attended) or cancelled. Its minutes, written by a volunteer, are
sealed and due within 48 hours of the meeting. A concern raised from the minutes is sealed too; the supervising
staff member acknowledges it, and for a serious one records (sealed) whom it was escalated to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow


class CircleMeeting(Base):
    __tablename__ = "circle_meetings"
    # The coordinator's overdue list: held meetings whose minutes are due, by due time.
    __table_args__ = (Index("ix_circle_meetings_case_starts", "case_id", "starts_at", "id"),
                      Index("ix_circle_meetings_due", "status", "minutes_due_at", "id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # a record id, bound into the minutes' seal
    case_id: Mapped[int] = mapped_column(ForeignKey("circles.case_id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # workflows.circle_people.MeetingStatus
    planned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    minutes_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # set when it is held
    sealed_minutes: Mapped[bytes | None] = mapped_column(LargeBinary)
    minutes_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    minutes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    attendees: Mapped[list[CircleAttendee]] = relationship(order_by="CircleAttendee.user_id",
                                                           cascade="all, delete-orphan")


class CircleAttendee(Base):
    """Someone of the circle (a volunteer or the core member) who attended a held meeting."""

    __tablename__ = "circle_meeting_attendees"

    meeting_id: Mapped[str] = mapped_column(ForeignKey("circle_meetings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class CircleConcern(Base):
    __tablename__ = "circle_concerns"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("circles.case_id"), index=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("circle_meetings.id"))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    serious: Mapped[bool] = mapped_column(default=False, server_default=false())
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sealed_escalated_to: Mapped[bytes | None] = mapped_column(LargeBinary)  # a serious concern: to whom
