"""The partner directory: the services an organisation offers to people leaving prison (issue 11).

What a service offers is public to the network (kind, languages, area, custody stage, a description); none of it
is about a person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db import Base, utcnow


class PartnerService(Base):
    __tablename__ = "partner_services"
    # The directory search: by kind, then area, a page at a time (mediation.services.directory).
    __table_args__ = (
        Index("ix_partner_services_kind_area", "kind", "area_key", "id"),
        Index("ix_partner_services_organisation", "organisation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(32))  # workflows.referral_workflow.SERVICE_KINDS
    custody_stage: Mapped[str] = mapped_column(String(16))  # workflows.referral_workflow.CUSTODY_STAGES
    area: Mapped[str] = mapped_column(String(80))  # as the organisation writes it ("Timiș", "Montréal")
    area_key: Mapped[str] = mapped_column(String(80))  # casefolded, accents removed: what a search compares
    description: Mapped[str] = mapped_column(String(500), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # the service's public contact, not a person's
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    languages: Mapped[list[PartnerServiceLanguage]] = relationship(
        order_by="PartnerServiceLanguage.language", cascade="all, delete-orphan")


class PartnerServiceLanguage(Base):
    """A language a service works in (ISO 639-1 code), one row each so a search by language uses an index."""

    __tablename__ = "partner_service_languages"
    __table_args__ = (Index("ix_partner_service_languages_language", "language", "service_id"),)

    service_id: Mapped[int] = mapped_column(ForeignKey("partner_services.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
