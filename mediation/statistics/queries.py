"""The statistics as SQL aggregates: every count, median and quartile is computed by the database.

No row of a case reaches Python: each query returns one row per label (a month, an outcome, a step...). The
population of a period is the cases *closed* in it (requests: the cases *received* in it; screening: the
decisions *taken* in it). Times in each step come from the audit entries of transitions, which record the state
a case left and the one it entered, with the moment; the time a case spent in a step is the sum of its visits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from mediation.audit import AuditTag
from mediation.models import AgreementItem, AuditEntry, Case, Evaluation, ParticipantNeed
from mediation.models.evaluation import QUESTIONS
from mediation.statistics.period import Period
from workflows.vocabulary import CaseState

NONE = "none"  # the label of a case closed without an outcome or modality


def _closed_in(period: Period) -> ColumnElement[bool]:
    return and_(Case.state == CaseState.CLOSED.value, Case.closed_at >= period.starts_at,
                Case.closed_at < period.ends_before)


def _counts(session: Session, label: ColumnElement[str] | KeyedColumnElement[str], *where: ColumnElement[bool],
            join: type | None = None) -> dict[str, int]:
    query = select(label, func.count()).select_from(Case if join is None else join)
    if join is not None:
        query = query.join(Case, join.case_id == Case.id)  # type: ignore[attr-defined]
    rows = session.execute(query.where(*where).group_by(label)).all()
    return {str(key): int(count) for key, count in rows}


def _month_of(session: Session, column: KeyedColumnElement[object]) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def requests_by_month(session: Session, period: Period) -> dict[str, int]:
    month = _month_of(session, Case.created_at).label("month")
    found = _counts(session, month, Case.created_at >= period.starts_at, Case.created_at < period.ends_before)
    return {m: found.get(m, 0) for m in period.months()}


def screening(session: Session, period: Period) -> dict[str, int]:
    """Eligibility decisions taken in the period: to assessment (eligible) or closed (not eligible)."""
    decision = case((AuditEntry.to_state == CaseState.CLOSED.value, "ineligible"), else_="eligible").label("decision")
    rows = session.execute(select(decision, func.count()).where(
        AuditEntry.tag == AuditTag.SCREEN.value, AuditEntry.occurred_at >= period.starts_at,
        AuditEntry.occurred_at < period.ends_before).group_by(decision)).all()
    found = {str(key): int(count) for key, count in rows}
    return {"eligible": found.get("eligible", 0), "ineligible": found.get("ineligible", 0)}


def by_case_column(session: Session, period: Period, column: KeyedColumnElement[str | None],
                   labels: Sequence[str]) -> dict[str, int]:
    """Closed cases of the period by outcome or modality (every known label shown, 0 included)."""
    found = _counts(session, func.coalesce(column, NONE).label("value"), _closed_in(period))
    counts = {label: found.pop(label, 0) for label in labels}
    counts[NONE] = found.pop(NONE, 0)
    counts.update(found)  # a code from an older workflow still counts
    return counts


def by_status(session: Session, period: Period, model: type[ParticipantNeed] | type[AgreementItem],
              labels: Sequence[str]) -> dict[str, int]:
    """Needs (or agreement items) of the cases closed in the period, by their last status."""
    found = _counts(session, model.status, _closed_in(period), join=model)
    return {label: found.get(label, 0) for label in labels} | {k: v for k, v in found.items() if k not in labels}


def evaluation_answers(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """For each question, how many people of the cases closed in the period gave each answer (unanswered: left out)."""
    result: dict[str, dict[str, int]] = {}
    for question, answers in QUESTIONS.items():
        column = getattr(Evaluation, question)
        found = _counts(session, column, _closed_in(period), column.is_not(None), join=Evaluation)
        result[question] = {answer: found.get(answer, 0) for answer in answers}
    return result


def _days_between(session: Session, later: ColumnElement[object], earlier: ColumnElement[object]
                  ) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def step_times(session: Session, period: Period) -> dict[str, tuple[int, float, float, float]]:
    """For each step, the cases closed in the period that went through it and their days in it: (n, Q1, median,
    Q3), nearest-rank quartiles computed with window functions (the same SQL on SQLite and PostgreSQL)."""
    moves = (select(AuditEntry.case_id.label("case_id"), AuditEntry.from_state.label("step"),
                    _days_between(session, AuditEntry.occurred_at, func.coalesce(
                        func.lag(AuditEntry.occurred_at).over(partition_by=AuditEntry.case_id,
                                                              order_by=AuditEntry.seq),
                        Case.created_at)).label("days"))
             .join(Case, AuditEntry.case_id == Case.id)
             .where(_closed_in(period), AuditEntry.chain.like("case:%"), AuditEntry.from_state.is_not(None),
                    AuditEntry.to_state.is_not(None))
             .subquery("moves"))
    per_case = (select(moves.c.step, func.sum(moves.c.days).label("days"))
                .where(moves.c.step != CaseState.CLOSED.value).group_by(moves.c.case_id, moves.c.step)
                .subquery("per_case"))
    ranked = select(per_case.c.step, per_case.c.days,
                    func.row_number().over(partition_by=per_case.c.step, order_by=per_case.c.days).label("rank"),
                    func.count().over(partition_by=per_case.c.step).label("n")).subquery("ranked")
    n = ranked.c.n

    def at(rank: ColumnElement[int]) -> ColumnElement[float]:
        return func.max(case((ranked.c.rank == rank, ranked.c.days)))

    rows = session.execute(select(ranked.c.step, func.max(n), at((n + 3) // 4), at((n + 1) // 2),
                                  at((3 * n + 3) // 4)).group_by(ranked.c.step)).all()
    order = [s.value for s in CaseState]
    ordered = sorted(rows, key=lambda row: order.index(row[0]) if row[0] in order else len(order))
    return {str(step): (int(count), float(q1), float(median), float(q3)) for step, count, q1, median, q3 in ordered}

