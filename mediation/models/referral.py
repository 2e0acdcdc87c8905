"""Referrals of a person to a partner's service, with the person's consent (workflows.referral_workflow).

Two organisations meet here, so each keeps its own: the fields shared with consent are sealed under a data key
of the referring side, the partner's notes under one of the receiving side, each wrapped by its own
organisation's KEK (``ReferralKey``). The referring worker reads the status and outcome, never the notes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow
from workflows.referral_workflow import REFERRAL_WORKFLOW_VERSION, ReferralState


class Referral(Base):
    __tablename__ = "referrals"
    # A worker's list and each side's inbox, newest activity first; the indicators read by side and kind.
    __table_args__ = (
        Index("ix_referrals_referring_updated", "referring_organisation_id", "updated_at", "id"),
        Index("ix_referrals_worker_updated", "referring_worker_id", "updated_at", "id"),
        Index("ix_referrals_receiving_state_updated", "receiving_organisation_id", "state", "updated_at", "id"),
        Index("ix_referrals_person", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    workflow_version: Mapped[str] = mapped_column(String(40), default=REFERRAL_WORKFLOW_VERSION)
    state: Mapped[str] = mapped_column(String(16), default=ReferralState.DRAFT.value)
    referring_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    referring_worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiving_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("partner_services.id"))
    kind: Mapped[str] = mapped_column(String(32))  # the service's kind when referred, for the indicators
    # The receiving organisation's worker its coordinator gave the referral to (None until then).
    receiving_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The case of any programme it comes from (a mediation case, a circle, an enrolment), or None.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The person's own account, if they have one: they see the referral and can withdraw their consent.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_version: Mapped[str | None] = mapped_column(String(32))  # the wording the person agreed to
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32))  # decline reason, completion or end outcome
    withdrawn_by: Mapped[str | None] = mapped_column(String(16))  # "referring" or "receiving"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)

    fields: Mapped[list[ReferralField]] = relationship(order_by="ReferralField.field", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class ReferralField(Base):
    """One field the worker chose to share, whether the person consented to it, and its sealed value.

    The value is erased when the person withdraws their consent: the partner cannot be shown what no longer
    exists.
    """

    __tablename__ = "referral_fields"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)  # referral_workflow.SHAREABLE_FIELDS
    consented: Mapped[bool] = mapped_column(default=False)
    sealed_value: Mapped[bytes | None] = mapped_column(LargeBinary)


class ReferralKey(Base):
    """A referral's data key for one side, wrapped by that side's organisation's active KEK."""

    __tablename__ = "referral_keys"
    __table_args__ = (Index("ix_referral_keys_kek", "kek_id"),)

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), primary_key=True)
    side: Mapped[str] = mapped_column(String(16), primary_key=True)  # "referring" or "receiving"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kek_id: Mapped[str | None] = mapped_column(String(40))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReferralNote(Base):
    """The receiving partner's own note on its work, sealed under the receiving side's key."""

    __tablename__ = "referral_notes"
    __table_args__ = (Index("ix_referral_notes_referral", "referral_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sealed_body: Mapped[bytes] = mapped_column(LargeBinary)
