"""People who sign in: the coordinator (admin), mediators, referring staff and participants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class Role(StrEnum):
    ADMIN = "admin"  # the programme coordinator
    MEDIATOR = "mediator"
    STAFF = "staff"  # parole officers, chaplains, psychologists who forward offenders' requests
    PARTICIPANT = "participant"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_role_username", "role", "username"),)  # the accounts list, by role

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Password guessing: consecutive failures, and until when the account refuses any sign-in.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
