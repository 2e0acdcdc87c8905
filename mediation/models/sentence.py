"""The offender's sentence as recorded, the eligibility decision drawn from it, and any override."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow

if TYPE_CHECKING:
    from mediation.models.case import Case


class SentenceRecord(Base):
    __tablename__ = "sentences"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # fixed, life, dangerous_offender
    years: Mapped[int] = mapped_column(default=0)
    months: Mapped[int] = mapped_column(default=0)
    days: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[bool] = mapped_column()
    explanation: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    override_eligible: Mapped[bool | None] = mapped_column()
    sealed_override_rationale: Mapped[bytes | None] = mapped_column(LargeBinary)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    case: Mapped[Case] = relationship(back_populates="sentence")

    @property
    def effective_eligible(self) -> bool:
        return self.eligible if self.override_eligible is None else self.override_eligible

    @property
    def is_overridden(self) -> bool:
        return self.override_eligible is not None
