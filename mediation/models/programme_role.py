"""Roles given per programme: a mediator of victim-offender mediation is not a circle coordinator unless given it.

Victim-offender mediation keeps the account's own role (``users.role``); the other programmes read only these
grants (``mediation.services.programme_roles``), so a grant in one programme opens nothing in another.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class ProgrammeRole(Base):
    __tablename__ = "programme_roles"
    # Who holds a role in a programme (the coordinator's choosers: supervising staff, activation workers...).
    __table_args__ = (Index("ix_programme_roles_programme_role", "programme", "role", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    programme: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<ProgrammeRole {self.user_id} {self.programme}:{self.role}>"
