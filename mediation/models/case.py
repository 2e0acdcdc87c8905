"""The mediation case: the row the workflow machine moves, with its audit chain head."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, false, func, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from mediation.db import Base, utcnow
from mediation.models.agreement import AgreementItem
from workflows.agreements import AgreementItemStatus
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.programmes import VICTIM_OFFENDER_MEDIATION
from workflows.vocabulary import CaseState

if TYPE_CHECKING:
    from mediation.models.participant import Participant
    from mediation.models.sentence import SentenceRecord


class Origin(StrEnum):
    HARMED_PARTY_REQUEST = "harmed_party_request"
    OFFENDER_REQUEST = "offender_request"
    CIRCLE_REQUEST = "circle_request"  # a core member asked for a Circle of Support and Accountability
    ENROLMENT = "enrolment"  # a client enrolled on the resocialisation training programme


class CaseFactsMixin:
    """The facts the workflow guards read (workflows.case_guards.CaseFacts), from a sentence and participants."""

    id: int
    state: str
    sentence: SentenceRecord | None
    participants: list[Participant]

    @property
    def sentence_recorded(self) -> bool:
        return self.sentence is not None

    @property
    def sentence_qualifies(self) -> bool:
        return self.sentence is not None and self.sentence.effective_eligible

    @property
    def participant_facts(self) -> Sequence[Participant]:
        return self.participants

    @property
    def open_agreement_items(self) -> int:
        """How many agreement items are still open (a count query in the case's own session: the ORM case's,
        or the hot path record's ``session``), read by the ``close`` guard."""
        session = getattr(self, "session", None) or object_session(self)
        if session is None:
            return 0
        return int(session.scalar(select(func.count()).select_from(AgreementItem).where(
            AgreementItem.case_id == self.id, AgreementItem.status == AgreementItemStatus.OPEN.value)) or 0)

    @property
    def is_open(self) -> bool:
        return self.state != CaseState.CLOSED


class Case(CaseFactsMixin, Base):
    __tablename__ = "cases"
    # The lists read a page by (step, last activity), per mediator and per referrer (mediation.services.queries).
    __table_args__ = (
        Index("ix_cases_state_updated", "state", "updated_at", "id"),
        Index("ix_cases_mediator_state_updated", "assigned_mediator_id", "state", "updated_at", "id"),
        Index("ix_cases_co_mediator_state_updated", "co_mediator_id", "state", "updated_at", "id"),
        Index("ix_cases_referrer_created", "referred_by_id", "created_at", "id"),
        # A programme's own lists (circles, resocialisation clients) read by programme, step and activity.
        Index("ix_cases_programme_state_updated", "programme", "state", "updated_at", "id"),
        # A coordinator's lists, within their own organisation.
        Index("ix_cases_organisation_state_updated", "organisation_id", "state", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The programme the case belongs to (workflows.programmes); victim-offender mediation's pages and services
    # see only its own cases (mediation.policy.visibility), each other programme only its own.
    programme: Mapped[str] = mapped_column(String(40), default=VICTIM_OFFENDER_MEDIATION,
                                           server_default=VICTIM_OFFENDER_MEDIATION)
    # The organisation whose case it is: nobody of another sees it unless a referral shares it, and its content
    # is sealed under that organisation's own KEK.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), default=1, server_default="1")
    workflow_version: Mapped[str] = mapped_column(String(40), default=CASE_WORKFLOW_VERSION)
    origin: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), default=CaseState.REQUESTED.value)
    modality: Mapped[str | None] = mapped_column(String(16))
    paused_from: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(16))
    # No foreign key: participants point at their case, and a cycle would complicate every insert.
    withdrawn_by_participant_id: Mapped[int | None] = mapped_column()
    withdrawn_from: Mapped[str | None] = mapped_column(String(32))
    assigned_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A second mediator who sees and acts on the case like the first (mediation.policy.mediates).
    co_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The mediator decides per case whether an author sees when their delivered message was read.
    read_receipts: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The head of this case's audit chain, kept here so appending costs no extra query and the version
    # check below serialises appends.
    audit_head_seq: Mapped[int] = mapped_column(default=0)
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    # What this case added to the statistics tallies when it closed (JSON of codes and counts, no content), so a
    # reopening subtracts exactly that (mediation.statistics.tallies); None while the case is open.
    statistics_contribution: Mapped[str | None] = mapped_column(Text)

    participants: Mapped[list[Participant]] = relationship(
        back_populates="case", order_by="Participant.id", cascade="all, delete-orphan")
    sentence: Mapped[SentenceRecord | None] = relationship(back_populates="case", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.state}>"


class CaseReferenceCounter(Base):
    """The last reference number handed out per year, for references like RO-2026-00042."""

    __tablename__ = "case_reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
