"""Signed-in browsers, kept on the server so that signing out ends every copy of a session cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class LoginSession(Base):
    """One sign-in. The session cookie carries a random key; only its hash is stored here, so a database reader
    cannot forge a session. A request is signed in only while its row exists and is not ended."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
