"""Safety assessments, acknowledgements of the limits of confidentiality, and disclosures that must be reported.

What describes a person (risk factors, whom the mediator consulted, notes, what was disclosed) is sealed with the
case's data key (mediation.services.safety); only outcomes, versions, ids and times are kept in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow
from mediation.models.content import new_record_id


class SafetyAssessment(Base):
    """One assessment of one participant; the newest is the participant's current ``safety``."""

    __tablename__ = "safety_assessments"
    __table_args__ = (Index("ix_safety_assessments_participant", "participant_id", "assessed_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # cleared or concerns
    # Risk factors, consultations and the mediator's note, sealed together as one JSON document.
    sealed_details: Mapped[bytes] = mapped_column(LargeBinary)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConfidentialityAcknowledgement(Base):
    """A person acknowledged the limits of confidentiality in one version of their wording."""

    __tablename__ = "confidentiality_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    wording_version: Mapped[str] = mapped_column(String(40))
    # The participant themselves, or the mediator recording it for someone without a portal account.
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_mediator: Mapped[bool] = mapped_column(default=False)
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Disclosure(Base):
    """Something a participant said that the mediator must report; recording it paused the case."""

    __tablename__ = "disclosures"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    # Which limit of confidentiality it falls under, and the mediator's note, sealed together.
    sealed_details: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
