"""A face-to-face meeting: an Activity of kind face_to_face_meeting (its time, place and attendees, in the
calendar like any other), plus what only a meeting has, kept here by the activity's id.

The venue, institution and room are in clear (the calendar shows the place); the safety plan, the escorts and the
travel arrangements are sealed under the case's key: travel can reveal where someone lives, and escorts and the
safety plan say who is afraid of what.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow


class FaceToFaceMeeting(Base):
    __tablename__ = "face_to_face_meetings"

    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    venue: Mapped[str] = mapped_column(String(16))  # workflows.meetings.Venue
    institution: Mapped[str] = mapped_column(String(120))  # the institution, or the other place's name
    room: Mapped[str | None] = mapped_column(String(80))
    sealed_safety_plan: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_escorts: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_travel: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The debrief planned when the meeting was held.
    debrief_activity_id: Mapped[str | None] = mapped_column(ForeignKey("activities.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    people: Mapped[list[MeetingPerson]] = relationship(order_by="MeetingPerson.id", cascade="all, delete-orphan")


class MeetingPerson(Base):
    """One person at the meeting: a participant of the case or one of its mediators, with their clearance (None
    when they need none: the person held where it takes place) and, for participants, whether the mediator has
    prepared them and they confirmed they will come."""

    __tablename__ = "face_to_face_people"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),
                      UniqueConstraint("meeting_id", "mediator_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("face_to_face_meetings.activity_id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    clearance: Mapped[str | None] = mapped_column(String(16))  # workflows.meetings.Clearance
    prepared: Mapped[bool] = mapped_column(default=False, server_default=false())
    confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
