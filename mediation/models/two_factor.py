"""Two-factor sign-in: an account's TOTP secret (sealed, never in clear) and its single-use recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class TwoFactorCredential(Base):
    """One per account that has started enrolling: pending until a first code is confirmed, then on."""

    __tablename__ = "two_factor_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    # The base32 secret, sealed with AES-256-GCM directly under a KEK (see mediation/crypto/account_secrets.py).
    kek_id: Mapped[str] = mapped_column(String(40), index=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The TOTP time step of the last code accepted: a code for that step or an earlier one is a replay.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Code guessing: consecutive wrong codes, and until when every code is refused.
    failed_codes: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # SHA-256 of the current sign-in attempt's token (the password-accepted marker carries the token): only the
    # latest marker works, once.
    sign_in_attempt: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_on(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(Base):
    """A single-use code for when the phone is lost; only its Argon2 hash is kept."""

    __tablename__ = "two_factor_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
