"""Benchmark of the worker: firing due timers through the runner, against doing the same work directly.

    .venv/bin/python -m benchmarks.timers             # 10,000 timers measured (5 rounds of 2,000; PostgreSQL too)
    .venv/bin/python -m benchmarks.timers --quick     # 1,500 measured (3 rounds of 500)
    .venv/bin/python -m benchmarks.timers --tiny      # the smoke test's run: 20 measured (1 round of 20)

What is measured, per timer, on one database filled with open cases whose last activity was 60 days ago:

- ours: ``mediation.timers.runner.fire_due`` over that many due stale-case timers (``TimerKind.CASE_STALE``),
  one transaction each: take the earliest due timer (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), lock its case's
  row, run the handler (read the case, leave a ``NoticeKind.CASE_STALE`` notice for its mediator, arm the
  escalation timer), mark the timer fired;
- baseline: the same work for the same cases without a timer: one transaction per case through
  ``Runtime.run`` that locks the case's row, reads it, leaves the same notice and arms the same escalation (what a
  service would do if a person asked for it).

So the ratio is the cost of the durable queue itself (finding, locking and marking the timer row). Both sides
commit once per timer, with the product's defaults (SQLite ``synchronous=FULL``). Rounds alternate the two sides
(``benchmarks.measure.interleave``, after one discarded warm-up round each); between rounds the notices and
timers are deleted and the stale timers armed again (not timed). The target is at most 1.5x.

Exit status 0 whatever the numbers say.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from benchmarks.engine import postgres_scratch, safe_url
from benchmarks.measure import Report, Row, add_postgres_argument, interleave, print_total, section
from config import load_settings
from mediation.audit import chain as audit
from mediation.db import table, utcnow
from mediation.keyfiles import ensure_instance
from mediation.models import Case, Notice, NoticeKind, Timer, TimerKind, TimerState
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import users
from mediation.services.reminders_arming import delays
from mediation.services.reminders_handlers import mediators_of, tell_all
from mediation.timers import runner, schedule
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.vocabulary import CaseState

TARGET = 1.5


@dataclass(frozen=True)
class Plan:
    per_round: int
    rounds: int

    @property
    def measured(self) -> int:
        return self.per_round * self.rounds


FULL, QUICK, TINY = Plan(2_000, 5), Plan(500, 3), Plan(20, 1)


def populate(url: str, instance: Path, cases: int) -> tuple[Runtime, list[int]]:
    """A migrated database with ``cases`` open cases of one mediator, untouched for 60 days."""
    settings = load_settings({"MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(instance),
                              "MEDIATION_ENV": "test"}, cwd=instance.parent)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    migrate(runtime.engine)
    long_ago = utcnow() - timedelta(days=60)
    with runtime.transaction() as s:
        mediator = users.create_user(s, None, username="bench.mediator", display_name="Bench", role="mediator",
                                     password=None)
        s.execute(insert(table("cases")), [
            {"reference": f"RO-2026-B{number:06d}", "workflow_version": CASE_WORKFLOW_VERSION,
             "origin": "harmed_party_request", "state": CaseState.ASSESSMENT.value, "read_receipts": False,
             "assigned_mediator_id": mediator.id, "created_at": long_ago, "updated_at": long_ago,
             "audit_head_seq": 0, "version": 1} for number in range(cases)])
        case_ids = list(s.scalars(select(Case.id).order_by(Case.id)))
    return runtime, case_ids


def reset(runtime: Runtime, case_ids: list[int]) -> None:
    """No notice, no timer; then one due stale-case timer per case (not timed)."""
    due = utcnow() - timedelta(minutes=1)
    with runtime.transaction() as s:
        s.execute(delete(Notice))
        s.execute(delete(Timer))
        s.execute(insert(table("timers")), [
            {"kind": TimerKind.CASE_STALE.value, "state": TimerState.PENDING.value, "due_at": due, "case_id": case_id,
             "created_at": due, "attempts": 0} for case_id in case_ids])


def notices_left(runtime: Runtime) -> int:
    with runtime.transaction(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(Notice).where(Notice.kind == NoticeKind.CASE_STALE.value))


def through_the_runner(runtime: Runtime, case_ids: list[int]) -> float:
    reset(runtime, case_ids)
    started = time.perf_counter()
    fired = runner.fire_due(runtime, limit=len(case_ids) + 1)
    seconds = time.perf_counter() - started
    assert fired.done == len(case_ids), fired
    assert notices_left(runtime) == len(case_ids)
    return seconds / len(case_ids)


def tell_directly(session: Session, case_id: int, now: datetime) -> None:
    """The stale-case handler's work, without a timer: what a service would do for the same case."""
    audit.lock_case_row(session, case_id)
    case = session.get(Case, case_id)
    assert case is not None
    tell_all(session, mediators_of(session, case), NoticeKind.CASE_STALE, case.id, now)
    schedule.arm(session, TimerKind.CASE_STALE_ESCALATION, now + timedelta(days=delays(session).escalation_days),
                 case_id=case.id, now=now)


def directly(runtime: Runtime, case_ids: list[int]) -> float:
    reset(runtime, case_ids)
    started = time.perf_counter()
    for case_id in case_ids:
        runtime.run(lambda s, case_id=case_id: tell_directly(s, case_id, utcnow()))
    seconds = time.perf_counter() - started
    assert notices_left(runtime) == len(case_ids)
    return seconds / len(case_ids)


def run_backend(report: Report, plan: Plan, database: str, url: str, workdir: Path) -> None:
    section(f"{database}: {plan.measured:,} due stale-case timers fired ({plan.rounds} rounds of {plan.per_round:,}),"
            " against the same notices given directly")
    runtime, case_ids = populate(url, workdir / database / "instance", plan.per_round)
    try:
        samples = interleave(plan.rounds, {"runner": lambda: through_the_runner(runtime, case_ids),
                                           "direct": lambda: directly(runtime, case_ids)})
    finally:
        runtime.close()
    ours, baseline = statistics.median(samples["runner"]), statistics.median(samples["direct"])
    ratio = ours / baseline
    print(f"  per timer: through the runner {ours * 1e6:.0f} us, directly {baseline * 1e6:.0f} us; "
          f"ratio {ratio:.2f}x against a target of {TARGET}x: {'met' if ratio <= TARGET else 'missed'}")
    report.add(Row(f"fire a due timer (notice + escalation armed), {database}", f"{ours * 1e6:.0f} us",
                   f"{baseline * 1e6:.0f} us", ratio, f"<= {TARGET}x", ratio <= TARGET))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 500 timers")
    parser.add_argument("--tiny", action="store_true", help="1 round of 20 timers (the smoke test)")
    add_postgres_argument(parser, "to measure PostgreSQL too")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    arguments = parser.parse_args(argv)
    plan = TINY if arguments.tiny else QUICK if arguments.quick else FULL
    postgres = None if arguments.no_postgres else arguments.postgres
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/timers.py ({plan.measured:,} timers measured per database, Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory(prefix="mediation-timers-") as folder:
        workdir = Path(folder)
        run_backend(report, plan, "SQLite", f"sqlite:///{workdir / 'timers.db'}", workdir)
        if postgres:
            with postgres_scratch(postgres) as url:
                print(f"\n  PostgreSQL: {safe_url(postgres)}, a scratch database")
                run_backend(report, plan, "PostgreSQL", url, workdir)
    report.print("  Ratio: the runner's cost per timer over the same work done directly (see the docstring).")
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
