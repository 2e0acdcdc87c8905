"""How and when a person wants to hear that there is something new: e-mail or nothing, in their language, outside
their quiet hours in their own time zone. The address is sealed under the active KEK (like a TOTP secret)."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    NONE = "none"


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.NONE.value)
    sealed_email: Mapped[bytes | None] = mapped_column(LargeBinary)
    kek_id: Mapped[str | None] = mapped_column(String(40), index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    quiet_from: Mapped[time | None] = mapped_column(Time)  # local time; both or neither
    quiet_until: Mapped[time | None] = mapped_column(Time)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
