"""Programme statistics through the services, on SQLite and PostgreSQL: the numbers on a built dataset (computed
again here from the rows, in Python), suppression on crafted data, the quartiles of each step, and bad periods."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from mediation.audit.verify import verify_audit_log
from mediation.demo_statistics import insert_closed_cases
from mediation.errors import Forbidden, InvalidInput
from mediation.models import AgreementItem, AuditEntry, Case, Evaluation, ParticipantNeed
from mediation.statistics import queries, tallies
from mediation.statistics.counting import whole_days
from mediation.statistics.csv_export import text_tables, to_csv
from mediation.statistics.period import parse_period, year_period
from mediation.statistics.report import build_report, programme_report
from mediation.statistics.suppression import suppress
from workflows.vocabulary import CaseState

YEAR = parse_period("2025-01", "2025-12")


def _fill(runtime, actors, count: int, seed: int = 4) -> None:
    with runtime.transaction() as s:
        insert_closed_cases(s, count, mediator=actors.mediator, seed=seed, vault=runtime.vault,
                            closed_from=datetime(2025, 2, 1, tzinfo=UTC), closed_until=datetime(2025, 11, 30,
                                                                                                tzinfo=UTC))


def _nearest_rank(values: list[float], numerator: int, denominator: int) -> float:
    ordered = sorted(values)
    return ordered[(numerator * len(ordered) + denominator - 1) // denominator - 1]


def test_the_figures_are_the_rows_counted(runtime, actors) -> None:
    _fill(runtime, actors, 80)
    with runtime.transaction() as s:
        cases = s.scalars(select(Case)).all()
        report = build_report(s, YEAR)
        outcomes = queries.by_case_column(s, YEAR, None, "outcomes", ["completed"])
        raw_needs = queries.by_status(s, YEAR, None, "needs", ["open"])
        raw_items = queries.by_status(s, YEAR, None, "agreement_items", ["open"])
        raw_answers = queries.evaluation_answers(s, YEAR, None)
        needs = Counter(s.scalars(select(ParticipantNeed.status)).all())
        items = Counter(s.scalars(select(AgreementItem.status)).all())
        felt = Counter(v for v in s.scalars(select(Evaluation.felt_safe)).all() if v is not None)
        entries = s.scalars(select(AuditEntry).where(AuditEntry.from_state.is_not(None))
                            .order_by(AuditEntry.case_id, AuditEntry.seq)).all()
        created = {c.id: c.created_at for c in cases}
        steps = queries.step_times(s, YEAR, None)
        assert verify_audit_log(s).intact
    assert len(cases) == 80
    assert {k: v for k, v in outcomes.items() if v} == dict(Counter(c.outcome for c in cases))
    assert {k: v for k, v in raw_needs.items() if v} == dict(needs)
    assert {k: v for k, v in raw_items.items() if v} == dict(items)
    assert {k: v for k, v in raw_answers["felt_safe"].items() if v} == dict(felt)
    # The page shows exactly the suppressed form of those counts.
    assert report.table("needs").rows[0][1].shown() == suppress(raw_needs).shown()
    assert report.table("evaluation").rows[0][1] == suppress(raw_answers["felt_safe"])
    assert report.table("evaluation").rows[0][1].total == sum(felt.values())
    # Days in each step, again in Python: the time since the previous transition (or since the case was opened),
    # summed per case and step, then to the nearest whole day (the histogram the tallies keep).
    days: dict[str, dict[int, float]] = {}
    previous: dict[int, datetime] = {}
    for entry in entries:
        start = previous.get(entry.case_id, created[entry.case_id])
        spent = (_utc(entry.occurred_at) - _utc(start)).total_seconds() / 86400
        days.setdefault(entry.from_state, {}).setdefault(entry.case_id, 0.0)
        days[entry.from_state][entry.case_id] += spent
        previous[entry.case_id] = entry.occurred_at
    for step, (n, q1, median, q3) in steps.items():
        values = [float(whole_days(value * 86400)) for value in days[step].values()]
        assert n == len(values)
        assert (q1, median, q3) == (_nearest_rank(values, 1, 4), _nearest_rank(values, 1, 2),
                                    _nearest_rank(values, 3, 4))
    assert CaseState.CLOSED.value not in steps


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_case_closed_through_the_services_counts_in_every_step_it_went_through(runtime, actors, make_case) -> None:
    make_case(CaseState.CLOSED)
    now = datetime.now(UTC)
    period = year_period(now.year)
    with runtime.transaction() as s:
        steps = queries.step_times(s, period, None)
        report = build_report(s, period)
    assert set(steps) >= {"requested", "assessment", "preparation", "dialogue_written", "closing"}
    assert all(n == 1 for n, *_ in steps.values())
    assert all(step.cases is None and step.median is None for step in report.steps)  # fewer than 5 cases
    assert report.table("outcomes").rows[0][1].total is None  # one closed case: the whole table is hidden


def test_crafted_outcomes_never_give_a_single_case_away(runtime, actors) -> None:
    _fill(runtime, actors, 7, seed=1)
    with runtime.transaction() as s:
        ids = s.scalars(select(Case.id).order_by(Case.id)).all()
        s.execute(update(Case).values(outcome="completed", modality="written"))
        s.execute(update(Case).where(Case.id == ids[0]).values(outcome="declined", modality="relay"))
        s.execute(update(Case).where(Case.id.in_(ids[1:3])).values(outcome="withdrawn"))
        tallies.recount(s.connection())  # rows changed around the services: the tallies are rebuilt from them
    with runtime.transaction() as s:
        report = build_report(s, YEAR)
    outcomes = report.table("outcomes").rows[0][1]
    # Naively: completed 4, withdrawn 2, declined 1, total 7; the total stays, no cell can be worked out from it.
    assert outcomes.total == 7
    assert outcomes.shown()["declined"] is None and outcomes.shown()["withdrawn"] is None
    assert outcomes.shown()["completed"] is None
    modalities = report.table("modalities").rows[0][1].shown()
    assert modalities["relay"] is None and modalities["written"] is None  # 6 written + 1 relay = 7: both hidden
    text, table = text_tables(report), to_csv(report)
    assert "fewer than 5*" in text and "fewer than 5*" in table
    assert "declined                                  1" not in text


@pytest.mark.parametrize(("first", "last", "words"), [
    ("2026-01", None, "Give the last month"), (None, "2026-01", "Give the first month"),
    ("2026-05", "2026-01", "ends (2026-01) before it starts (2026-05)"),
    ("2000-01", "2026-12", "one whole calendar year"), ("2026-01", "2026-06", "one whole calendar year"),
    ("2026-02", "2026-12", "one whole calendar year"), ("9999-01", "9999-12", "is not a month"),
    ("2026-1", "2026-02", "is not a month"), ("2026-00", "2026-02", "is not a month"),
    ("2026-01\x00", "2026-02", "NUL"), (12, "2026-02", "must be text"), ("x" * 500, "2026-02", "too long"),
])
def test_bad_periods_are_refused_before_any_query(first, last, words) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(first, last)
    assert words in str(refused.value)


def test_only_the_coordinator_sees_the_statistics(runtime, actors) -> None:
    with runtime.transaction() as s:
        for who in (actors.mediator, actors.staff, actors.harmed_user):
            with pytest.raises(Forbidden):
                programme_report(s, who, YEAR)
        assert programme_report(s, actors.admin, YEAR).period == YEAR
