"""People who sign in: the coordinator (admin), mediators, referring staff and participants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class Role(StrEnum):
    ADMIN = "admin"  # the programme coordinator
    MEDIATOR = "mediator"
    STAFF = "staff"  # parole officers, chaplains, psychologists who forward offenders' requests
    PARTICIPANT = "participant"
    # A volunteer of Circles of Support and Accountability: an account of its own kind, screened and trained
    # before joining a circle (mediation.models.programme_role; the circles' own models hold the screening).
    VOLUNTEER = "volunteer"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_role_username", "role", "username"),  # the accounts list, by role
        Index("ix_users_organisation_role_username", "organisation_id", "role", "username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # For a participant, a pseudonymous handle ("Participant 7F3K"): the name they gave is sealed on their
    # participant row, readable only by their mediator (mediation.services.participant_names).
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    # The organisation the account works or takes part in: it sees only that organisation's cases and accounts.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), default=1, server_default="1")
    # None until the person activates the account through their invitation: nobody else ever sets it.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_activated(self) -> bool:
        """Whether the person has set their password (an account without one cannot sign in)."""
        return self.password_hash is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
