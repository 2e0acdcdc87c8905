"""Activities: every contact the mediators have with the people of a case, planned or done.

The time, duration, place and kind are in clear because they make the mediator's calendar (the iCalendar feed
holds them and the case reference, nothing more); what was said is in ``sealed_notes``, under the case's key.
The place names a room, an institution or "by phone", never a person's address: the form says so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow
from mediation.models.content import new_record_id
from workflows.activities import ActivityStatus


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_case_starts", "case_id", "starts_at"),
        Index("ix_activities_status_starts", "status", "starts_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=ActivityStatus.PLANNED.value)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column()
    place: Mapped[str | None] = mapped_column(String(200))
    # The case's co-mediator took part (the persons who took part are ActivityAttendee rows).
    with_co_mediator: Mapped[bool] = mapped_column(default=False, server_default=false())
    sealed_notes: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    attendees: Mapped[list[ActivityAttendee]] = relationship(
        order_by="ActivityAttendee.participant_id", cascade="all, delete-orphan")


class ActivityAttendee(Base):
    """One person of the case who took part (or is to take part) in an activity."""

    __tablename__ = "activity_attendees"

    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True, index=True)
