"""Read-only views of cases: metadata only, for listings and the operator's console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from mediation.errors import NotFound
from mediation.models import AuditEntry, Case, Participant, User
from mediation.policy import visible_cases
from mediation.services.lookup import normalise_reference


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    state: str
    modality: str | None
    outcome: str | None
    mediator: str | None
    participants: int
    updated_at: datetime


def _summaries(session: Session, where: ColumnElement[bool] | None) -> list[CaseSummary]:
    mediator = aliased(User)
    count = select(func.count(Participant.id)).where(Participant.case_id == Case.id).scalar_subquery()
    query = (select(Case.reference, Case.state, Case.modality, Case.outcome, mediator.username, count,
                    Case.updated_at)
             .outerjoin(mediator, mediator.id == Case.assigned_mediator_id).order_by(Case.reference))
    if where is not None:
        query = query.where(where)
    return [CaseSummary(*row) for row in session.execute(query).all()]


def cases_for(session: Session, actor: User) -> list[CaseSummary]:
    """The cases ``actor`` may know of, metadata only."""
    return _summaries(session, visible_cases(actor))


def all_cases(session: Session) -> list[CaseSummary]:
    """Every case, metadata only: for the operator at the server's command line."""
    return _summaries(session, None)


def case_for_operator(session: Session, reference: str) -> Case:
    """Any case by reference, for the operator at the server's command line; callers print metadata only."""
    wanted = normalise_reference(reference)
    case = session.scalars(select(Case).where(Case.reference == wanted)).one_or_none()
    if case is None:
        raise NotFound(f"No case {wanted} was found.")
    return case


def timeline(session: Session, case: Case) -> list[AuditEntry]:
    """The case's audit entries in order; they hold codes and ids, no personal data."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.seq)))
