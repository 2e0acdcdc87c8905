"""The resocialisation training programme's own records, kept by the client's case (a ``cases`` row whose
programme is "resocialisation"): the enrolment, the sessions attended, the workers' phase notes and the
practical help given.

What a client or a worker says is sealed under the case's key (the individual plan, the phase notes, the details
of help); what the completion rule and the certificate read (dates, minutes, attendance, codes) is in clear.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class Enrolment(Base):
    """A client on a track: who works with them, who referred them, and what completion needs."""

    __tablename__ = "training_enrolments"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # a participant account
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # the activation worker
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # the referring officer
    track: Mapped[str] = mapped_column(String(16))  # workflows.resocialisation_workflow.TRACKS
    alternative_measure: Mapped[bool] = mapped_column(default=False, server_default=false())
    sealed_plan: Mapped[bytes | None] = mapped_column(LargeBinary)  # the individual plan
    plan_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The completion certificate for the referring officer, as issued (it does not change with later sessions):
    # completed or not and the hours attended; its dates are the enrolment's and the issue's.
    certificate_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certificate_completed: Mapped[bool | None] = mapped_column()
    certificate_minutes: Mapped[int | None] = mapped_column()
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingSession(Base):
    """One session: the day it was held, how long, whether the client attended."""

    __tablename__ = "training_sessions"
    __table_args__ = (Index("ix_training_sessions_case_held", "case_id", "held_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column()
    attended: Mapped[bool] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PhaseNote(Base):
    """A worker's note in one phase (anamnesis, focus, evaluation), sealed and bound to its author."""

    __tablename__ = "training_phase_notes"
    __table_args__ = (Index("ix_training_phase_notes_case_created", "case_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # a record id, bound into the seal
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    phase: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sealed_text: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PracticalHelp(Base):
    """Help given in one area of life (a code of ``workflows.training_help``), its details sealed, and the day
    someone follows it up."""

    __tablename__ = "training_help"
    __table_args__ = (Index("ix_training_help_case_given", "case_id", "given_on", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sealed_details: Mapped[bytes] = mapped_column(LargeBinary)
    given_on: Mapped[date] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
