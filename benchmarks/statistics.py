"""Benchmark of the programme statistics: the whole report of a year at 100,000 closed cases against 1,000.

    .venv/bin/python -m benchmarks.statistics            # full run (PostgreSQL too when a URL is known)
    .venv/bin/python -m benchmarks.statistics --quick    # 1,000 against 10,000
    .venv/bin/python -m benchmarks.statistics --tiny     # the smoke test's run: 50 against 500

Both databases are filled by ``mediation.demo_statistics.insert_closed_cases`` (Core bulk inserts; each case with
its hash-chained audit trail of transitions, two participants, needs, agreement items and answers; ciphertexts are
placeholders, never read), every case closed in the measured year, and tallied as they are written
(``mediation.statistics.tallies.tally_new_cases``, as the services would have), then ANALYZE. The measure is
``mediation.statistics.report.build_report`` (every table, read from the tallies and suppressed), in interleaved
rounds; the ratio of the medians is printed against the target of at most 3x. The report reads months x labels
and a histogram of whole days, not the cases: its cost should not grow with them.

Exit status 0 whatever the numbers say.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.engine import small_and_large
from benchmarks.measure import Report, Row, add_postgres_argument, interleave, print_total, section
from config import load_settings
from mediation.demo_statistics import insert_closed_cases
from mediation.keyfiles import ensure_instance
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import users
from mediation.statistics.period import parse_period
from mediation.statistics.report import build_report

TARGET = 3.0
PERIOD = parse_period("2025-01", "2025-12")
BATCH = 10_000


@dataclass(frozen=True)
class Plan:
    small: int
    large: int
    rounds: int


FULL, QUICK, TINY = Plan(1_000, 100_000, 5), Plan(1_000, 10_000, 3), Plan(50, 500, 1)


def populate(url: str, instance: Path, cases: int) -> Runtime:
    environment = {"MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(instance), "MEDIATION_ENV": "test",
                   "MEDIATION_SQLITE_SYNCHRONOUS": "NORMAL"}
    settings = load_settings(environment, cwd=instance.parent)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    migrate(runtime.engine)
    started = time.perf_counter()
    with runtime.transaction() as s:
        mediator = users.create_user(s, None, username="bench.mediator", display_name="Bench", role="mediator",
                                     password=None)
    for first in range(0, cases, BATCH):
        with runtime.transaction() as s:
            insert_closed_cases(s, min(BATCH, cases - first), mediator=mediator, seed=first,
                                closed_from=datetime(2025, 1, 1, tzinfo=UTC),
                                closed_until=datetime(2025, 12, 31, tzinfo=UTC))
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    print(f"  {cases:,} closed cases written in {time.perf_counter() - started:.1f} s")
    return runtime


def report_seconds(runtime: Runtime) -> float:
    started = time.perf_counter()
    with runtime.transaction(read_only=True) as s:
        build_report(s, PERIOD)
    return time.perf_counter() - started


def run_backend(report: Report, plan: Plan, database: str, urls: tuple[str, str], workdir: Path) -> None:
    section(f"{database}: the statistics of a year, {plan.small:,} against {plan.large:,} closed cases")
    small = populate(urls[0], workdir / f"{database}-small" / "instance", plan.small)
    large = populate(urls[1], workdir / f"{database}-large" / "instance", plan.large)
    try:
        samples = interleave(plan.rounds, {"small": lambda: report_seconds(small),
                                           "large": lambda: report_seconds(large)})
    finally:
        small.close()
        large.close()
    ours, baseline = statistics.median(samples["large"]), statistics.median(samples["small"])
    ratio = ours / baseline
    verdict = "met" if ratio <= TARGET else "missed"
    print(f"  {plan.small:,} cases: {baseline * 1000:.1f} ms; {plan.large:,} cases: {ours * 1000:.1f} ms; "
          f"ratio {ratio:.1f}x against a target of {TARGET:.0f}x: {verdict}")
    report.add(Row(f"statistics report, {plan.large:,} vs {plan.small:,} closed cases, {database}",
                   f"{ours * 1000:.1f} ms", f"{baseline * 1000:.1f} ms", ratio, f"<= {TARGET:.0f}x", ratio <= TARGET))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 against 10,000 closed cases")
    parser.add_argument("--tiny", action="store_true", help="50 against 500 closed cases (the smoke test)")
    add_postgres_argument(parser, "to measure PostgreSQL too")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    arguments = parser.parse_args(argv)
    plan = TINY if arguments.tiny else QUICK if arguments.quick else FULL
    postgres = None if arguments.no_postgres else arguments.postgres
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/statistics.py ({plan.small:,} against {plan.large:,} closed cases, {plan.rounds} rounds, "
          f"Python {sys.version.split()[0]})")
    small_and_large("mediation-statistics-", postgres,
                    lambda database, urls, workdir: run_backend(report, plan, database, urls, workdir))
    report.print("  The report reads the tallies (months x labels), not the cases (see README).")
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
