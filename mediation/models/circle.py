"""A Circle of Support and Accountability: a ``cases`` row of the programme "circles" plus what only a circle has.

The circle row keeps who is in it (the core member's portal account, the supervising staff member), the year of
engagement and when it ends. Its volunteers are membership rows; the outer circle of professionals is recorded
with sealed names and organisations, and sees nothing of the circle's content.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow


class Circle(Base):
    __tablename__ = "circles"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    # The core member's portal account (a participant); None until the coordinator links it.
    core_member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    engagement_year: Mapped[int] = mapped_column(default=1)
    # When the current year of engagement ends (the anniversary timer's moment); None until the circle starts.
    year_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The core member's own word on renewing ("renew" or "end"), asked at each anniversary; None: not said yet.
    renewal_wish: Mapped[str | None] = mapped_column(String(8))
    renewal_wish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who is asking and how to reach them, as the coordinator or the forwarding staff member wrote it (sealed).
    sealed_request: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list[CircleMember]] = relationship(order_by="CircleMember.id", cascade="all, delete-orphan")
    outer: Mapped[list[OuterCircleMember]] = relationship(order_by="OuterCircleMember.id",
                                                          cascade="all, delete-orphan")


class CircleMember(Base):
    """A volunteer in a circle (at most four: the workflow's ``add_volunteer`` guards it)."""

    __tablename__ = "circle_members"
    __table_args__ = (UniqueConstraint("case_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("circles.case_id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OuterCircleMember(Base):
    """A professional around the circle (parole officer, police liaison, therapist): recorded, never shown the
    circle's content. The name and organisation are sealed; ``staff_user_id`` links a staff account that still
    sees nothing."""

    __tablename__ = "circle_outer_members"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # a record id, bound into its ciphertexts
    case_id: Mapped[int] = mapped_column(ForeignKey("circles.case_id"), index=True)
    role: Mapped[str] = mapped_column(String(24))  # workflows.circle_people.OuterRole
    sealed_name: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_organisation: Mapped[bytes | None] = mapped_column(LargeBinary)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
