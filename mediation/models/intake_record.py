"""What a case began with, in the words of the person who asked: the harmed person's account of the offence and
who harmed them, or the referral staff forwarded for an offender. Sealed with the case's data key, read by the
case's mediator only, every reading audited (``mediation.services.intake_records``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow
from mediation.models.content import new_record_id


class IntakeRecord(Base):
    __tablename__ = "intake_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "request" (public form) or "referral" (forwarded by staff)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the public form, no account
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
