"""A participant's answers to the closing questionnaire: one row per person, answers in clear, comment sealed.

The answers are codes, counted only in aggregate by ``mediation.statistics`` (no page shows one person's answers).
The free comment is sealed under the case's key; its row id is bound into the ciphertext.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow
from mediation.models.content import new_record_id


class FeltSafe(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class QuestionsAnswered(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    HAD_NONE = "had_none"


class WouldRecommend(StrEnum):
    YES = "yes"
    NOT_SURE = "not_sure"
    NO = "no"


# Column -> the answers it may hold, in the order pages and tables show them.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "felt_safe": tuple(a.value for a in FeltSafe),
    "questions_answered": tuple(a.value for a in QuestionsAnswered),
    "would_recommend": tuple(a.value for a in WouldRecommend),
}


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_answered_at", "answered_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # Unique: a person answers once (the second answer is refused by the service, and by the database).
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    felt_safe: Mapped[str | None] = mapped_column(String(16))
    questions_answered: Mapped[str | None] = mapped_column(String(16))
    would_recommend: Mapped[str | None] = mapped_column(String(16))
    sealed_comment: Mapped[bytes | None] = mapped_column(LargeBinary)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
