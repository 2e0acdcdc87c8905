"""One-time, expiring invitations through which every person activates their own account.

An invitation points either at a participant of a case (who then creates their portal account) or at an
account the coordinator created (whose person then sets its password, or sets a new one after a reset).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("(participant_id IS NULL) <> (user_id IS NULL)", name="one_invitee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Only a hash of the code is kept: a database reader cannot activate anyone's account.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when a newer invitation for the same person replaces this one, or the account is deactivated.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
