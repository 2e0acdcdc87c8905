"""Needs and questions of each person, and agreements with their items and follow-up.

Statuses, kinds, dates and who is concerned are in clear (the programme statistics count them); every word a
person said or agreed to is sealed under the case's key.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow
from mediation.models.content import new_record_id
from workflows.agreements import AgreementItemStatus, NeedStatus


class ParticipantNeed(Base):
    """One need or question a person brings to the dialogue, followed until it is answered or set aside."""

    __tablename__ = "participant_needs"
    __table_args__ = (Index("ix_participant_needs_case", "case_id", "participant_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    kind: Mapped[str] = mapped_column(String(16))  # workflows.agreements.NeedKind
    status: Mapped[str] = mapped_column(String(16), default=NeedStatus.OPEN.value)
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Agreement(Base):
    """What the people of a dialogue agreed on, as items; recorded once per case (items can be added)."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True, unique=True)  # one per case
    agreed_on: Mapped[date] = mapped_column(Date)
    sealed_summary: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[AgreementItem]] = relationship(order_by="AgreementItem.created_at",
                                                      cascade="all, delete-orphan")


class AgreementItem(Base):
    """One thing someone agreed to do by a date, monitored to completed, partly completed or not completed."""

    __tablename__ = "agreement_items"
    __table_args__ = (Index("ix_agreement_items_case_status", "case_id", "status"),
                      Index("ix_agreement_items_status_due", "status", "due_on"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_record_id)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))  # workflows.agreements.AgreementItemKind
    # Who is to do it: a person of the case (the mediator's own commitments have no participant).
    responsible_participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=AgreementItemStatus.OPEN.value)
    sealed_what: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_follow_up: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseClosure(Base):
    """How a completed case was closed: the mediator's closing summary, sealed (never shown to a participant)."""

    __tablename__ = "case_closures"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(32), unique=True, default=new_record_id)  # bound into the ciphertext
    sealed_summary: Mapped[bytes] = mapped_column(LargeBinary)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
