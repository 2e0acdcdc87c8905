"""A volunteer's way into the circles: application, screening (references, police check, interview) and
training, each with the day it was done. Only a screened and trained volunteer may join a circle."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class VolunteerScreening(Base):
    __tablename__ = "circle_volunteer_screenings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)  # a Role.VOLUNTEER account
    applied_on: Mapped[date] = mapped_column(Date)
    references_checked_on: Mapped[date | None] = mapped_column(Date)
    police_check_on: Mapped[date | None] = mapped_column(Date)
    interviewed_on: Mapped[date | None] = mapped_column(Date)
    trained_on: Mapped[date | None] = mapped_column(Date)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def id(self) -> int:
        """The volunteer's account id (workflows.circle_workflow.VolunteerFacts)."""
        return self.user_id

    @property
    def screened(self) -> bool:
        return None not in (self.references_checked_on, self.police_check_on, self.interviewed_on)

    @property
    def trained(self) -> bool:
        return self.trained_on is not None
