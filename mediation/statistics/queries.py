"""The statistics of a period, read from the tallies: rows are months x labels, whatever the number of cases.

The tallies (``mediation.statistics.tallies``) are kept by the services as cases are received, screened, closed,
reopened and evaluated. The population of a period is the cases *closed* in it (requests: the cases *received*
in it; screening: the decisions *taken* in it). The time in each step is kept as a histogram of whole days per
month of closure; the quartiles come from its cumulative sums, in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, ColumnElement, case, cast, func, select
from sqlalchemy.orm import Session

from mediation.models import StatisticsStepDays, StatisticsTally
from mediation.models.evaluation import QUESTIONS
from mediation.statistics.counting import EVALUATION, NONE, RECEIVED, REQUESTS, SCREENING
from mediation.statistics.period import Period
from workflows.vocabulary import CaseState

__all__ = ["NONE", "by_case_column", "by_status", "evaluation_answers", "requests_by_month", "screening",
           "step_times"]


def _in(period: Period, month: ColumnElement[str]) -> ColumnElement[bool]:
    return month.between(period.label_from, period.label_to)


def _of(organisation_id: int | None, column: ColumnElement[int]) -> list[ColumnElement[bool]]:
    """One organisation's rows (a coordinator's statistics); None: every organisation's (the operator's)."""
    return [] if organisation_id is None else [column == organisation_id]


def _sums(session: Session, period: Period, organisation_id: int | None, *where: ColumnElement[bool],
          by: Sequence[ColumnElement[str]] = (StatisticsTally.label,)) -> dict[tuple[str, ...], int]:
    rows = session.execute(select(*by, func.sum(StatisticsTally.count))
                           .where(_in(period, StatisticsTally.month), *where,
                                  *_of(organisation_id, StatisticsTally.organisation_id)).group_by(*by)).all()
    return {tuple(str(part) for part in row[:-1]): int(row[-1]) for row in rows if row[-1]}


def _labels(session: Session, period: Period, organisation_id: int | None, measure: str) -> dict[str, int]:
    return {key[0]: count for key, count in
            _sums(session, period, organisation_id, StatisticsTally.measure == measure).items()}


def requests_by_month(session: Session, period: Period, organisation_id: int | None) -> dict[str, int]:
    found = _sums(session, period, organisation_id, StatisticsTally.measure == REQUESTS,
                  StatisticsTally.label == RECEIVED, by=(StatisticsTally.month,))
    return {m: found.get((m,), 0) for m in period.months()}


def screening(session: Session, period: Period, organisation_id: int | None) -> dict[str, int]:
    """Eligibility decisions taken in the period: to assessment (eligible) or closed (not eligible)."""
    found = _labels(session, period, organisation_id, SCREENING)
    return {"eligible": found.get("eligible", 0), "ineligible": found.get("ineligible", 0)}


def by_case_column(session: Session, period: Period, organisation_id: int | None, measure: str,
                   labels: Sequence[str]) -> dict[str, int]:
    """Closed cases of the period by outcome or modality (every known label shown, 0 included)."""
    found = _labels(session, period, organisation_id, measure)
    counts = {label: found.pop(label, 0) for label in labels}
    counts[NONE] = found.pop(NONE, 0)
    counts.update(found)  # a code from an older workflow still counts
    return counts


def by_status(session: Session, period: Period, organisation_id: int | None, measure: str,
              labels: Sequence[str]) -> dict[str, int]:
    """Needs (or agreement items) of the cases closed in the period, by their status at closure."""
    found = _labels(session, period, organisation_id, measure)
    return {label: found.get(label, 0) for label in labels} | {k: v for k, v in found.items() if k not in labels}


def evaluation_answers(session: Session, period: Period, organisation_id: int | None) -> dict[str, dict[str, int]]:
    """For each question, how many people of the cases closed in the period gave each answer (unanswered: left out)."""
    found = _sums(session, period, organisation_id, StatisticsTally.measure.like(EVALUATION + "%"),
                  by=(StatisticsTally.measure, StatisticsTally.label))
    return {question: {answer: found.get((EVALUATION + question, answer), 0) for answer in answers}
            for question, answers in QUESTIONS.items()}


def step_times(session: Session, period: Period,
               organisation_id: int | None) -> dict[str, tuple[int, float, float, float]]:
    """For each step, the cases closed in the period that went through it and their whole days in it: (n, Q1,
    median, Q3), nearest-rank quartiles from the histogram's cumulative sums (window functions, a few hundred
    rows, the same SQL on SQLite and PostgreSQL)."""
    days = StatisticsStepDays
    histogram = (select(days.step, days.days, func.sum(days.count).label("count"))
                 .where(_in(period, days.month), *_of(organisation_id, days.organisation_id))
                 .group_by(days.step, days.days)
                 .having(func.sum(days.count) > 0).subquery("histogram"))
    # Cast: PostgreSQL sums bigints as numeric, and a rank must be divided as an integer.
    cumulative = select(
        histogram.c.step, histogram.c.days,
        cast(func.sum(histogram.c.count).over(partition_by=histogram.c.step, order_by=histogram.c.days),
             BigInteger).label("upto"),
        cast(func.sum(histogram.c.count).over(partition_by=histogram.c.step), BigInteger).label("n"),
    ).subquery("cumulative")
    n = cumulative.c.n

    def at(rank: ColumnElement[int]) -> ColumnElement[int]:
        """The smallest number of days whose cumulative count reaches the rank."""
        return func.min(case((cumulative.c.upto >= rank, cumulative.c.days)))

    rows = session.execute(select(cumulative.c.step, func.max(n), at((n + 3) // 4), at((n + 1) // 2),
                                  at((3 * n + 3) // 4)).group_by(cumulative.c.step)).all()
    order = [s.value for s in CaseState]
    ordered = sorted(rows, key=lambda row: order.index(row[0]) if row[0] in order else len(order))
    return {str(step): (int(count), float(q1), float(median), float(q3)) for step, count, q1, median, q3 in ordered}
