"""Benchmarks of the case engine, printed as ratios against a baseline measured in the same run.

The machines this runs on are shared and noisy, so nothing here is a timed assertion: every measurement is
taken in interleaved rounds together with its baseline, and the script prints medians and their ratio.

    .venv/bin/python -m benchmarks.engine               # full run (PostgreSQL too when a URL is known)
    .venv/bin/python -m benchmarks.engine --quick       # small smoke run
    .venv/bin/python -m benchmarks.engine --profile     # also profile the service (SQL, ladder, cProfile)

(a) one persisted transition through the service (``workflow.fire`` in ``Runtime.transaction()``) against
    the floor: what a hand-written SQLAlchemy Core app does for one user action, one transaction per call:
    ``with engine.begin() as connection:`` SELECT the case row, UPDATE it (version-checked), INSERT the
    chained audit row, COMMIT. Both sides go through ``make_engine`` (WAL, BEGIN IMMEDIATE, the same
    ``synchronous`` mode) and both pay a pool checkout, BEGIN and COMMIT per transition; this PRIMARY floor is
    the one the target (<= 1.3x) is judged against. The floor's audit row is a real chain entry (the same
    columns and the same canonical SHA-256, ``chain.digest``), so both sides' rows pass ``verify_audit_log``.
    For information only, the same floor on one held Connection (no checkout per transaction) is printed as
    a SECONDARY ratio. SQLite runs twice: under the product default ``synchronous=FULL`` (every commit
    survives power loss; this is the target row) and under ``synchronous=NORMAL`` (informational);
(b) firing an event on the shared machine against building a ``transitions.Machine`` per case and firing once;
(c) memory while loading and transitioning 100,000 cases through the ORM and the shared machine, and, for
    contrast, what registering models on a Machine (``add_model``) costs;
(d) (a) again on PostgreSQL, in a scratch database created and dropped here, when a server URL is given
    (``--postgres``, or MEDIATION_BENCH_POSTGRES_URL, or MEDIATION_TEST_POSTGRES_URL).

In (a) and (d) the three programmes are loaded: the table holds as many circles and resocialisation enrolments
as mediation cases, and every programme's machine is built before measuring (``load_other_programmes``).

``--profile`` adds, after each run of (a) and (d): the SQL of one transition on each side, a ladder that adds
the service's steps one at a time (transaction with its joined session; + load_record; + machine fire; + audit
entry computed; + save_record UPDATE; + INSERT = the full service) against the same steps of the Core floor,
the Python cost of those steps without a database, and a cProfile of the service (top 20 by tottime).

Exit status 0 whatever the numbers say; non-zero only when something fails.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import itertools
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

from benchmarks.measure import (
    Report,
    Row,
    add_postgres_argument,
    best_us,
    interleave,
    paired_ratios,
    per_op,
    print_profile,
    print_total,
    section,
)
from config import load_settings
from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.audit.verify import verify_audit_log
from mediation.case_record import CaseRecord, load_record, save_record
from mediation.db import make_engine, make_session_factory, utcnow
from mediation.demo import build_case, path_to
from mediation.keyfiles import ensure_instance
from mediation.models import Case, Origin, User, case_chain
from mediation.policy import require_may_fire
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import programme_cases, users, workflow
from mediation.services.lookup import normalise_reference, require_version
from workflows.case_workflow import CASE_WORKFLOW, CASE_WORKFLOW_VERSION, case_workflow
from workflows.engine import SharedWorkflow
from workflows.programmes import CIRCLES, RESOCIALISATION, programmes, workflow_of
from workflows.vocabulary import CaseState, Modality

WRITTEN = CaseState.DIALOGUE_WRITTEN.value
PAUSED = CaseState.PAUSED.value
REASON = "wellbeing"

# Targets (see the module docstring); "flat" memory means less than this many bytes per case.
TARGET_TRANSITION_RATIO = 1.3
TARGET_MACHINE_RATIO = 0.1
FLAT_TRACEMALLOC_BYTES = 64  # Python objects: less than a single small object per case
FLAT_RSS_BYTES = 256  # the process: allows for allocator slack and SQLite's bounded page cache

DEFAULT_SYNCHRONOUS = "FULL"  # the product default (config.settings, MEDIATION_SQLITE_SYNCHRONOUS)
SQLITE_MODES = (DEFAULT_SYNCHRONOUS, "NORMAL")


@dataclass(frozen=True)
class Plan:
    """How much work each part does; ``--quick`` shrinks everything."""

    rounds: int  # interleaved rounds for (a), (b), (d)
    transition_ops: int  # persisted transitions per round and side in (a), (d)
    pool: int  # prepared cases per side in (a), (d)
    fires: int  # shared-machine fires per round in (b)
    machines: int  # per-case machines built per round in (b)
    cases: int  # cases loaded and transitioned in (c)
    first_checkpoint: int  # where (c) takes its first memory reading
    batch: int  # ORM batch size in (c)
    registered: int  # plain objects registered with add_model in (c)
    profile_ops: int  # transitions under cProfile with --profile


FULL = Plan(rounds=15, transition_ops=120, pool=12, fires=4000, machines=40, cases=100_000,
            first_checkpoint=10_000, batch=2_000, registered=10_000, profile_ops=1500)
QUICK = Plan(rounds=3, transition_ops=30, pool=4, fires=1000, machines=10, cases=6_000,
             first_checkpoint=2_000, batch=1_000, registered=1_000, profile_ops=200)


# ---------------------------------------------------------------------------------------------------------
# Timing helpers

HELD_NOTE = (
    "  (a)/(d): baseline = the PRIMARY floor, bare Core with one engine.begin() per transition (pool checkout,\n"
    "  BEGIN [IMMEDIATE], SELECT, UPDATE, INSERT, COMMIT), like one service call; ratio and target are judged\n"
    "  against it. held-conn floor = the same Core on one held Connection (no checkout per transition):\n"
    "  a secondary ratio, for information only. The SQLite target row is "
    f"synchronous={DEFAULT_SYNCHRONOUS}, the product default.")


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


# ---------------------------------------------------------------------------------------------------------
# A database with prepared cases, for (a) and (d)


@dataclass
class Bed:
    """A migrated scratch database with prepared cases in the written dialogue, and its two engines.

    ``runtime`` is the service's, built from settings as an entry point builds it; ``floor_engine`` is the Core
    floor's own engine from ``make_engine`` with the same connection settings (and ``synchronous`` mode).
    Pools of cases: ``ours`` (service), ``floor`` (primary floor), ``held`` (held-connection floor), and two
    sets of spares for the --profile ladder, whose intermediate rungs move cases without audit entries.
    """

    database: str
    runtime: Runtime
    floor_engine: Engine
    mediator: User
    mediator_id: int
    ours: list[str]
    floor: list[str]
    held: list[str]
    spare_ours: list[str]
    spare_floor: list[str]

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    def close(self) -> None:
        self.runtime.close()
        self.floor_engine.dispose()


def prepare_bed(database: str, url: str, instance: Path, pool: int, synchronous: str | None) -> Bed:
    """Migrate the database at ``url`` and prepare its cases through the services.

    ``synchronous`` (SQLite only) goes into the settings as MEDIATION_SQLITE_SYNCHRONOUS for the service's
    Runtime, and straight into ``make_engine`` for the floor's engine.
    """
    environment = {"MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(instance), "MEDIATION_ENV": "test"}
    if synchronous is not None:
        environment["MEDIATION_SQLITE_SYNCHRONOUS"] = synchronous
    settings = load_settings(environment, cwd=instance.parent)
    ensure_instance(settings)  # a keyring: preparing a case seals its safety assessments
    runtime = open_runtime(settings)
    floor_engine = make_engine(url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                               sqlite_synchronous=synchronous or DEFAULT_SYNCHRONOUS)
    try:
        if synchronous is not None:
            check_synchronous(synchronous, runtime.engine, floor_engine)
        migrate(runtime.engine)

        def account(username: str, role: str) -> User:
            with runtime.transaction() as session:
                return users.create_user(session, None, username=username, display_name=username.title(),
                                         role=role, password=None)

        admin, mediator, staff = (account("bench.coordinator", "admin"), account("bench.mediator", "mediator"),
                                  account("bench.officer", "staff"))
        path = path_to(CaseState.DIALOGUE_WRITTEN, Modality.WRITTEN)
        spares = max(2, pool // 2)
        references = [build_case(runtime, admin, mediator, staff, steps=path,
                                 origin=Origin.OFFENDER_REQUEST if i % 2 else Origin.HARMED_PARTY_REQUEST)
                      for i in range(3 * pool + 2 * spares)]
        load_other_programmes(runtime, admin, len(references))
    except BaseException:
        runtime.close()
        floor_engine.dispose()
        raise
    main, spare = references[:3 * pool], references[3 * pool:]
    # Interleave the pools so no side gets all the early (or late) rows.
    return Bed(database, runtime, floor_engine, mediator, mediator.id, main[0::3], main[1::3], main[2::3],
               spare[0::2], spare[1::2])


def load_other_programmes(runtime: Runtime, admin: User, count: int) -> None:
    """Three programmes loaded: as many circles and resocialisation enrolments as mediation cases in the table
    (opened through the one service every programme uses), and every programme's machine built, so a
    mediation transition is measured beside the others' rows and machines."""
    with runtime.transaction() as session:
        for _ in range(count):
            programme_cases.open_case(session, admin, CIRCLES, Origin.CIRCLE_REQUEST, AuditTag.CIRCLE_REQUESTED)
            programme_cases.open_case(session, admin, RESOCIALISATION, Origin.ENROLMENT, AuditTag.CLIENT_ENROLLED)
    for loaded in programmes():
        workflow_of(loaded)


def check_synchronous(expected: str, *engines: Engine) -> None:
    """The mode each engine's connections really run with (PRAGMA synchronous: 1 NORMAL, 2 FULL, 3 EXTRA)."""
    codes = {"NORMAL": 1, "FULL": 2, "EXTRA": 3}
    for engine in engines:
        with engine.connect() as connection:
            value = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
        if value != codes[expected]:
            raise RuntimeError(f"an engine runs with synchronous={value}, expected {expected}")


class Toggler:
    """Cycles over a pool of cases, pausing the ones in the dialogue and resuming the paused ones."""

    def __init__(self, engine: Engine, references: list[str]) -> None:
        with engine.connect() as connection:
            rows = connection.execute(select(_CASES.c.reference, _CASES.c.state)
                                      .where(_CASES.c.reference.in_(references))).all()
        self.states: dict[str, str] = {reference: state for reference, state in rows}
        if set(self.states) != set(references) or set(self.states.values()) - {WRITTEN, PAUSED}:
            raise RuntimeError("the pool's cases are not all in the written dialogue or paused")
        self._cycle = itertools.cycle(references)

    def next(self) -> tuple[str, str]:
        reference = next(self._cycle)
        trigger = "pause" if self.states[reference] == WRITTEN else "resume"
        self.states[reference] = PAUSED if trigger == "pause" else WRITTEN
        return reference, trigger


def service_transition(bed: Bed, reference: str, trigger: str) -> None:
    """What an entry point does for one user action: one transaction around one service call."""
    with bed.runtime.transaction() as session:
        if trigger == "pause":
            workflow.fire(session, bed.mediator, reference, "pause", reason=REASON)
        else:
            workflow.fire(session, bed.mediator, reference, "resume")


_CASES = Case.metadata.tables["cases"]
_SELECT_CASE = select(_CASES).where(_CASES.c.reference == bindparam("ref"),
                                    _CASES.c.assigned_mediator_id == bindparam("actor_id"))
_UPDATE_CASE = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("case_id"), _CASES.c.version == bindparam("old_version"))
    .values(state=bindparam("new_state"), paused_from=bindparam("new_paused_from"),
            updated_at=bindparam("now"), audit_head_seq=bindparam("seq"), audit_head_hash=bindparam("hash"),
            version=bindparam("new_version"))
)

# The steps of one transition, in order; the --profile ladder stops after each in turn.
SELECTED, MOVED, ENTRY, UPDATED, INSERTED = 2, 3, 4, 5, 6


def core_transition(connection: Connection, actor_id: int, reference: str, *, upto: int = INSERTED) -> None:
    """The floor's work inside the caller's transaction: the rows read and written with bare Core.

    SELECT the case row (as its mediator), decide the move (pause or resume), compute the next entry of the
    case's audit chain (same columns, same canonical SHA-256 as the service), UPDATE the row if its version is
    unchanged, INSERT the entry. ``upto`` stops after an earlier step, for the --profile ladder.
    """
    row = connection.execute(_SELECT_CASE, {"ref": reference, "actor_id": actor_id}).one()
    if upto < MOVED:
        return
    if row.state == PAUSED:
        trigger, new_state, paused_from, reason = "resume", row.paused_from, None, None
    else:
        trigger, new_state, paused_from, reason = "pause", PAUSED, row.state, REASON
    now = utcnow()
    if upto < ENTRY:
        return
    entry = {"chain": case_chain(row.id), "seq": row.audit_head_seq + 1, "case_id": row.id, "occurred_at": now,
             "actor_id": actor_id, "actor_role": "mediator", "tag": AuditTag.for_trigger(trigger).value,
             "from_state": row.state, "to_state": new_state, "reason": reason, "details": "{}",
             "prev_hash": row.audit_head_hash or audit.GENESIS_HASH}
    entry["entry_hash"] = audit.digest(entry)
    if upto < UPDATED:
        return
    result = connection.execute(_UPDATE_CASE, {
        "case_id": row.id, "old_version": row.version, "new_state": new_state, "new_paused_from": paused_from,
        "now": now, "seq": entry["seq"], "hash": entry["entry_hash"], "new_version": row.version + 1})
    if result.rowcount != 1:
        raise RuntimeError(f"floor lost an update on {reference}")
    if upto < INSERTED:
        return
    connection.execute(audit.INSERT_ENTRY, entry)


def floor_transition(engine: Engine, actor_id: int, reference: str) -> None:
    """The PRIMARY floor: one bare Core transaction per call, as a hand-written Core app does per user action
    (pool checkout, BEGIN [IMMEDIATE], SELECT, UPDATE, INSERT, COMMIT, return to the pool)."""
    with engine.begin() as connection:
        core_transition(connection, actor_id, reference)


def held_floor_transition(connection: Connection, actor_id: int, reference: str) -> None:
    """The secondary floor: the same on one Connection held open throughout (no pool checkout per call)."""
    with connection.begin():
        core_transition(connection, actor_id, reference)


@dataclass(frozen=True)
class TransitionResult:
    ours_us: float
    floor_us: float
    held_us: float
    round_ratios: list[float]
    held_round_ratios: list[float]
    amortized_us: tuple[float, float, float]  # means of the rounds (service, primary floor, held connection)
    checked: str

    @property
    def ratio(self) -> float:
        return self.ours_us / self.floor_us

    @property
    def held_ratio(self) -> float:
        return self.ours_us / self.held_us


def measure_transition(bed: Bed, plan: Plan) -> TransitionResult:
    ours, floor, held = (Toggler(bed.engine, bed.ours), Toggler(bed.engine, bed.floor),
                         Toggler(bed.engine, bed.held))
    n, actor_id = plan.transition_ops, bed.mediator_id

    def run_ours() -> None:
        for _ in range(n):
            service_transition(bed, *ours.next())

    def run_floor() -> None:
        for _ in range(n):
            floor_transition(bed.floor_engine, actor_id, floor.next()[0])

    with bed.floor_engine.connect() as connection:

        def run_held() -> None:
            for _ in range(n):
                held_floor_transition(connection, actor_id, held.next()[0])

        samples = interleave(plan.rounds, {"ours": lambda: per_op(run_ours, n),
                                           "floor": lambda: per_op(run_floor, n),
                                           "held": lambda: per_op(run_held, n)})
    checked = verify_transitions(bed, ours, floor, held)
    return TransitionResult(statistics.median(samples["ours"]) * 1e6, statistics.median(samples["floor"]) * 1e6,
                            statistics.median(samples["held"]) * 1e6,
                            paired_ratios(samples["ours"], samples["floor"]),
                            paired_ratios(samples["ours"], samples["held"]),
                            tuple(statistics.fmean(samples[side]) * 1e6 for side in ("ours", "floor", "held")),
                            checked)


def verify_transitions(bed: Bed, *togglers: Toggler) -> str:
    """Every call was a real transition: states are where the togglers think, and every audit chain (the
    service's and the floor's) verifies: contiguous, hashes intact, linked, heads matching the case rows."""
    expected = {ref: state for toggler in togglers for ref, state in toggler.states.items()}
    with bed.engine.connect() as connection:
        rows = connection.execute(select(_CASES.c.reference, _CASES.c.state)
                                  .where(_CASES.c.reference.in_(list(expected)))).all()
    for reference, state in rows:
        if state != expected[reference]:
            raise RuntimeError(f"{reference} is {state}, expected {expected[reference]}")
    with bed.runtime.sessions() as session:
        result = verify_audit_log(session)
    if not result.intact:
        raise RuntimeError("audit log does not verify: " + "; ".join(result.problems[:3]))
    return (f"every case where expected; the audit log verifies ({result.chains_checked} chains, "
            f"{result.entries_checked:,} entries, the floor's included)")


def report_transition(report: Report, label: str, database: str, result: TransitionResult,
                      *, judged: bool) -> None:
    print(f"  service (workflow.fire in Runtime.transaction):           {result.ours_us:8.1f} us/transition")
    print(f"  PRIMARY floor (Core, one engine.begin() per transition):  {result.floor_us:8.1f} us/transition")
    print(f"  held-connection floor (Core on one held Connection):      {result.held_us:8.1f} us/transition")
    verdict = (f"target <= {TARGET_TRANSITION_RATIO}x is judged against this floor: "
               f"{'met' if result.ratio <= TARGET_TRANSITION_RATIO else 'NOT met'}" if judged else
               f"informational (the target row is synchronous={DEFAULT_SYNCHRONOUS}, the default)")
    print(f"  ratio vs the primary floor:                 {result.ratio:.2f}x  (per-round "
          f"{spread(result.round_ratios)}, median {statistics.median(result.round_ratios):.2f}x); {verdict}")
    print(f"  ratio vs a held connection (no checkout):   {result.held_ratio:.2f}x  (per-round "
          f"{spread(result.held_round_ratios)}); secondary, for information only: a service call cannot hold "
          "a connection across calls")
    ours, floor, held = result.amortized_us
    print(f"  amortized (means of the rounds): service {ours:.1f} us, primary floor {floor:.1f} us "
          f"({ours / floor:.2f}x), held connection {held:.1f} us ({ours / held:.2f}x)")
    if database.startswith("SQLite"):
        print("    (a WAL checkpoint, every ~1000 pages written, takes milliseconds and lands on whichever side "
              "crosses the threshold;\n    it widens the per-round spread, most visibly under synchronous=NORMAL; "
              "the means spread it evenly)")
    print(f"  checked: {result.checked}")
    report.add(Row(f"({label}) transition, {database}", f"{result.ours_us:.0f} us", f"{result.floor_us:.0f} us",
                   result.ratio, f"<= {TARGET_TRANSITION_RATIO}x" if judged else "informational",
                   result.ratio <= TARGET_TRANSITION_RATIO if judged else None,
                   f"{result.held_us:.0f} us", result.held_ratio))


# ---------------------------------------------------------------------------------------------------------
# (b) the shared machine against a machine per case


class PlainCase:
    """A case as a plain object: just the attributes the pause and resume transitions read and write."""

    def __init__(self) -> None:
        self.state = WRITTEN
        self.modality: str | None = Modality.WRITTEN.value
        self.paused_from: str | None = None
        self.outcome: str | None = None


def measure_machine(report: Report, plan: Plan) -> None:
    section("(b) firing on the shared machine vs building a Machine per case")
    shared = case_workflow()
    model = PlainCase()

    def fire_shared() -> None:
        for _ in range(plan.fires // 2):
            shared.fire(model, "pause", reason=REASON)
            shared.fire(model, "resume")

    def machine_per_case() -> None:
        for _ in range(plan.machines):
            SharedWorkflow(CASE_WORKFLOW).fire(PlainCase(), "pause", reason=REASON)

    samples = interleave(plan.rounds, {"shared": lambda: per_op(fire_shared, plan.fires // 2 * 2),
                                       "per-case": lambda: per_op(machine_per_case, plan.machines)})
    if model.state != WRITTEN or model.paused_from is not None:
        raise RuntimeError("pause/resume on the shared machine did not return the model to where it was")
    ours, baseline = statistics.median(samples["shared"]) * 1e6, statistics.median(samples["per-case"]) * 1e6
    ratio = ours / baseline
    ratios = paired_ratios(samples["shared"], samples["per-case"])
    print(f"  shared machine, one fire:                        {ours:9.2f} us")
    print(f"  SharedWorkflow(CASE_WORKFLOW) + one fire:        {baseline:9.2f} us")
    print(f"  ratio {ratio:.4f}x  (per-round {min(ratios):.4f}-{max(ratios):.4f}); "
          f"target <= {TARGET_MACHINE_RATIO}x")
    report.add(Row("(b) fire on shared machine", f"{ours:.1f} us", f"{baseline:.0f} us", ratio,
                   f"<= {TARGET_MACHINE_RATIO}x", ratio <= TARGET_MACHINE_RATIO))


# ---------------------------------------------------------------------------------------------------------
# (c) memory over many cases


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@dataclass(frozen=True)
class Reading:
    cases: int
    rss: int
    traced: int


def reading(cases: int) -> Reading:
    gc.collect()
    return Reading(cases, rss_bytes(), tracemalloc.get_traced_memory()[0])


def insert_cases(engine: Engine, count: int) -> None:
    now = utcnow() - timedelta(days=1)
    chunk = 10_000
    with engine.begin() as connection:
        for start in range(0, count, chunk):
            connection.execute(insert(_CASES), [
                {"reference": f"RO-2099-{i:06d}", "workflow_version": CASE_WORKFLOW_VERSION,
                 "origin": Origin.HARMED_PARTY_REQUEST.value, "state": WRITTEN,
                 "modality": Modality.WRITTEN.value, "created_at": now, "updated_at": now,
                 "audit_head_seq": 0, "version": 1}
                for i in range(start, min(start + chunk, count))
            ])


def measure_memory(report: Report, plan: Plan, workdir: Path) -> None:
    section(f"(c) memory while loading and transitioning {plan.cases:,} cases")
    engine = make_engine(f"sqlite:///{workdir / 'memory.db'}")
    try:
        migrate(engine)
        started = time.perf_counter()
        insert_cases(engine, plan.cases)
        print(f"  inserted {plan.cases:,} case rows with Core in {time.perf_counter() - started:.1f} s")
        readings = load_and_pause(engine, plan)
        with engine.connect() as connection:
            paused = connection.execute(select(func.count()).select_from(_CASES)
                                        .where(_CASES.c.state == PAUSED)).scalar_one()
    finally:
        engine.dispose()
    if paused != plan.cases:
        raise RuntimeError(f"only {paused} of {plan.cases} cases were paused")
    first, last = readings
    span = last.cases - first.cases
    rss_growth, traced_growth = (last.rss - first.rss) / span, (last.traced - first.traced) / span
    registered = len(case_workflow()._machine.models)
    for r in readings:
        print(f"  after {r.cases:>7,} cases: RSS {r.rss / 2**20:7.1f} MiB, "
              f"tracemalloc {r.traced / 2**20:7.2f} MiB")
    print(f"  growth from {first.cases:,} to {last.cases:,}: RSS {rss_growth:+.1f} B/case, "
          f"tracemalloc {traced_growth:+.1f} B/case (flat means < {FLAT_TRACEMALLOC_BYTES} B/case traced, "
          f"< {FLAT_RSS_BYTES} B/case RSS)")
    print("  (SQLite's page cache, 2 MiB per connection by default, fills during the first cases; in small"
          " runs it shows as RSS growth)")
    print(f"  len(case_workflow()._machine.models) == {registered}  ({registered == 0})")

    per_model_traced, per_model_rss = measure_add_model(plan.registered)
    print(f"  contrast: Machine.add_model on {plan.registered:,} plain objects costs "
          f"{per_model_traced:,.0f} B/model traced ({per_model_rss:,.0f} B/model RSS), "
          f"i.e. {per_model_traced * plan.cases / 2**20:,.0f} MiB for {plan.cases:,} cases, "
          "held until each model is removed")
    report.add(Row("(c) memory growth, tracemalloc", f"{traced_growth:+.1f} B/case",
                   f"{per_model_traced:,.0f} B/model", traced_growth / per_model_traced,
                   f"~0 (< {FLAT_TRACEMALLOC_BYTES} B/case)", abs(traced_growth) < FLAT_TRACEMALLOC_BYTES))
    report.add(Row("(c) memory growth, RSS", f"{rss_growth:+.1f} B/case", f"{per_model_rss:,.0f} B/model",
                   rss_growth / per_model_rss if per_model_rss > 0 else None,
                   f"~0 (< {FLAT_RSS_BYTES} B/case)", abs(rss_growth) < FLAT_RSS_BYTES))
    report.add(Row("(c) models on the shared machine", str(registered), "-", None, "0", registered == 0))


def load_and_pause(engine: Engine, plan: Plan) -> tuple[Reading, Reading]:
    """Page through the cases with the ORM, pause each on the shared machine, commit and expunge per batch."""
    sessions = make_session_factory(engine)
    shared = case_workflow()
    first: Reading | None = None
    done, last_id = 0, 0
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with sessions() as session:
            while True:
                batch = session.scalars(select(Case).where(Case.id > last_id).order_by(Case.id)
                                        .limit(plan.batch)).all()
                if not batch:
                    break
                for case in batch:
                    shared.fire(case, "pause", reason=REASON)
                last_id = batch[-1].id
                session.commit()
                session.expunge_all()
                done += len(batch)
                del batch, case
                if first is None and done >= plan.first_checkpoint:
                    first = reading(done)
            last = reading(done)
    finally:
        tracemalloc.stop()
    print(f"  loaded, paused and committed {done:,} cases in batches of {plan.batch:,} "
          f"in {time.perf_counter() - started:.1f} s (under tracemalloc)")
    if first is None or last.cases == first.cases:
        raise RuntimeError("too few cases for two memory readings")
    return first, last


def measure_add_model(count: int) -> tuple[float, float]:
    """Bytes per model that registering plain objects on a fresh Machine of the same definition costs."""
    models = [PlainCase() for _ in range(count)]
    machine = SharedWorkflow(CASE_WORKFLOW)._machine
    tracemalloc.start()
    try:
        before = reading(0)
        for model in models:
            machine.add_model(model)
        after = reading(count)
    finally:
        tracemalloc.stop()
    if len(machine.models) != count:
        raise RuntimeError("add_model did not register every model")
    return (after.traced - before.traced) / count, (after.rss - before.rss) / count


# ---------------------------------------------------------------------------------------------------------
# (d) PostgreSQL scratch database


@contextmanager
def postgres_scratch(url: str) -> Iterator[str]:
    """Create a scratch database on the server ``url`` points at, yield its URL, drop it afterwards."""
    admin_url = make_url(url)
    name = f"mediation_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def small_and_large(prefix: str, postgres: str | None,
                    run: Callable[[str, tuple[str, str], Path], None]) -> None:
    """Run ``run(database, (small URL, large URL), workdir)`` on two SQLite files, then on two scratch PostgreSQL
    databases when ``postgres`` names a server: the shape of every small-against-large benchmark."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        workdir = Path(folder)
        run("SQLite", (f"sqlite:///{workdir / 'small.db'}", f"sqlite:///{workdir / 'large.db'}"), workdir)
        if postgres:
            with postgres_scratch(postgres) as small_url, postgres_scratch(postgres) as large_url:
                print(f"\n  PostgreSQL: {safe_url(postgres)}, two scratch databases")
                run("PostgreSQL", (small_url, large_url), workdir)


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------------------------------------------------
# --profile: where the service path spends its time


class StatementCounter:
    """The statements an engine sends through SQLAlchemy's cursor events (BEGIN IMMEDIATE, the pool's pre-ping
    and COMMIT go straight to the driver and do not show)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(" ".join(statement.split())[:110])

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def profile_service(bed: Bed, plan: Plan) -> None:
    section(f"--profile: the service path on {bed.database}")
    ours, floor = Toggler(bed.engine, bed.ours), Toggler(bed.engine, bed.floor)
    show_sql(bed, ours, floor)
    ladder(bed, plan, ours, floor)
    micro(bed)
    profile_calls(bed, plan, ours)


def show_sql(bed: Bed, ours: Toggler, floor: Toggler) -> None:
    service_counter, floor_counter = StatementCounter(bed.engine), StatementCounter(bed.floor_engine)
    try:
        reference, trigger = ours.next()
        service_transition(bed, reference, trigger)
        floor_transition(bed.floor_engine, bed.mediator_id, floor.next()[0])
    finally:
        service_counter.remove()
        floor_counter.remove()
    for name, counter in ((f"one service transition ({trigger})", service_counter),
                          ("one primary-floor transition", floor_counter)):
        print(f"  SQL of {name}:")
        for statement in counter.statements:
            print(f"    {statement}")


def service_steps(session: Session, actor: User, reference: str, *, upto: int) -> None:
    """``workflow.fire``'s body for a pause or resume, replayed up to step ``upto`` (SELECTED to UPDATED).

    Used only by the ladder's intermediate rungs; its last rung calls ``workflow.fire`` itself. Pause and resume
    never close a case, so ``fire``'s branches for closing (closed_at, withholding pending messages) are left out.
    """
    case = load_record(session, actor, normalise_reference(reference))
    if case is None:
        raise RuntimeError(f"no case {reference}")
    if upto < MOVED:
        return
    shared = case_workflow(case.workflow_version)
    trigger = "pause" if case.state == WRITTEN else "resume"
    if trigger not in shared.definition.triggers:
        raise RuntimeError(trigger)
    require_may_fire(actor, case, trigger, None)
    require_version(case, None)
    arguments = {"reason": REASON} if trigger == "pause" else {}
    source = case.state
    shared.fire(case, trigger, **arguments)
    now = utcnow()
    if upto < ENTRY:
        return
    audit.advance_case_head(case, AuditTag.for_trigger(trigger), actor=actor, now=now, from_state=source,
                            to_state=case.state, reason=arguments.get("reason"), details={})
    if upto < UPDATED:
        return
    save_record(case)


def ladder(bed: Bed, plan: Plan, ours: Toggler, floor: Toggler) -> None:
    """Time the service one step at a time against the same steps of the primary floor, interleaved in rounds.

    Every rung is a whole transaction (pool checkout, BEGIN, the steps so far, COMMIT). Rungs 1-4 write nothing,
    so their COMMIT syncs nothing; rung 5 writes the case row without its audit entry, on spare cases; rung 6
    is the real thing on both sides: ``workflow.fire`` in ``Runtime.transaction()``, and the primary floor.
    """
    n, actor_id = plan.transition_ops, bed.mediator_id
    spare_ours, spare_floor = itertools.cycle(bed.spare_ours), itertools.cycle(bed.spare_floor)
    held = Toggler(bed.engine, bed.held)
    sqlite = bed.engine.dialect.name == "sqlite"
    begin = "BEGIN IMMEDIATE" if sqlite else "BEGIN"
    rungs = {
        1: f"{begin} + COMMIT (service: + joined Session)",
        SELECTED: "+ read the case (service: load_record)",
        MOVED: "+ move it (service: checks + machine fire)",
        ENTRY: "+ audit entry computed (advance_case_head / digest)",
        UPDATED: "+ UPDATE (service: save_record), no INSERT",
        INSERTED: "+ INSERT = full (service: workflow.fire itself)",
    }

    def service_rung(rung: int) -> None:
        if rung == INSERTED:
            for _ in range(n):
                service_transition(bed, *ours.next())
            return
        for _ in range(n):
            with bed.runtime.transaction() as session:
                if rung >= SELECTED:
                    service_steps(session, bed.mediator, next(spare_ours), upto=rung)

    def core_rung(rung: int) -> None:
        if rung == INSERTED:
            for _ in range(n):
                floor_transition(bed.floor_engine, actor_id, floor.next()[0])
            return
        for _ in range(n):
            with bed.floor_engine.begin() as connection:
                if rung >= SELECTED:
                    core_transition(connection, actor_id, next(spare_floor), upto=rung)

    with bed.floor_engine.connect() as connection:

        def held_begin() -> None:
            for _ in range(n):
                with connection.begin():
                    pass

        def held_full() -> None:
            for _ in range(n):
                held_floor_transition(connection, actor_id, held.next()[0])

        contenders: dict[str, Callable[[], float]] = {}
        for rung in rungs:
            contenders[f"service {rung}"] = functools.partial(per_op, functools.partial(service_rung, rung), n)
            contenders[f"core {rung}"] = functools.partial(per_op, functools.partial(core_rung, rung), n)
        contenders["held begin"] = functools.partial(per_op, held_begin, n)
        contenders["held full"] = functools.partial(per_op, held_full, n)
        rounds = max(3, plan.rounds // 2)
        samples = interleave(rounds, contenders)

    def us(name: str) -> float:
        return statistics.median(samples[name]) * 1e6

    print(f"\n  ladder: median us per transaction over {rounds} interleaved rounds of {n}; each rung adds a step "
          "to the one above;\n  the Core side is the primary floor's code (engine.begin() per transaction), "
          "stopped after the same step")
    print(f"    {'rung':<52} {'service':>8} {'Core':>8} {'svc-Core':>9} {'svc step':>9} {'Core step':>9}")
    previous = (0.0, 0.0)
    for rung, name in rungs.items():
        service_us, core_us = us(f"service {rung}"), us(f"core {rung}")
        print(f"    {rung} {name:<50} {service_us:8.1f} {core_us:8.1f} {service_us - core_us:+9.1f} "
              f"{service_us - previous[0]:+9.1f} {core_us - previous[1]:+9.1f}")
        previous = (service_us, core_us)
    print("    rungs 5 and 6 carry the commit's sync (and, now and then, a WAL checkpoint): their steps are noisy;\n"
          "    the Python cost of each step is measured on its own below" if sqlite else
          "    psycopg sends BEGIN with a transaction's first statement: rung 1 has no round trip but the pool's\n"
          "    pre-ping (make_engine sets pool_pre_ping on PostgreSQL), rung 2 carries BEGIN + SELECT")
    print(f"    on one held Connection (no checkout): {begin} + COMMIT {us('held begin'):.1f} us, the full floor "
          f"{us('held full'):.1f} us;\n    so the pool checkout and return of engine.begin() cost about "
          f"{us('core 1') - us('held begin'):+.1f} us (rung 1) / {us(f'core {INSERTED}') - us('held full'):+.1f} "
          "us (full) per transaction")


def micro(bed: Bed) -> None:
    """The service's steps one at a time, best of 5 runs: the Python work without a database, then the two
    statements that differ from the floor's inside one open transaction (rolled back, so nothing is synced)."""
    shared = case_workflow()

    def record() -> CaseRecord:
        return CaseRecord(1, "RO-2099-000001", 1, CASE_WORKFLOW_VERSION, WRITTEN, Modality.WRITTEN.value, None,
                          None, None, None, bed.mediator_id, None, utcnow(), 0, None,
                          session=None, connection=None)  # type: ignore[arg-type]

    case = record()
    entry = {"chain": case_chain(1), "seq": 1, "case_id": 1, "occurred_at": utcnow(), "actor_id": 1,
             "actor_role": "mediator", "tag": AuditTag.PAUSE.value, "from_state": WRITTEN, "to_state": PAUSED,
             "reason": REASON, "details": "{}", "prev_hash": audit.GENESIS_HASH}

    def toggle() -> None:
        require_may_fire(bed.mediator, case, "pause", None)
        shared.fire(case, "pause", reason=REASON)
        require_may_fire(bed.mediator, case, "resume", None)
        shared.fire(case, "resume")

    def advance() -> None:
        audit.advance_case_head(case, AuditTag.PAUSE, actor=bed.mediator, now=entry["occurred_at"],
                                from_state=WRITTEN, to_state=PAUSED, reason=REASON, details={})

    print("\n  the steps one at a time (best of 5, us per call); Python work without a database:")
    with bed.engine.connect() as connection:

        def joined_session() -> None:  # what Runtime.transaction adds to engine.begin(), minus the SQL
            session = bed.runtime.sessions(bind=connection)
            session.flush()
            session.close()
            session.close()

        checks = {
            "joined Session: create, flush (nothing), close twice": (joined_session, 1),
            "CaseRecord(*row)": (record, 1),
            "require_may_fire + shared machine fire on a CaseRecord": (toggle, 2),
            "  the floor's equivalent: if/else on the row": (lambda: PAUSED if case.state == WRITTEN else WRITTEN, 1),
            "advance_case_head (next_entry: canonical JSON + SHA-256)": (advance, 1),
            "  the floor's equivalent: chain.digest over the entry": (lambda: audit.digest(entry), 1),
        }
        for name, (function, per_call) in checks.items():
            print(f"    {name:<58} {best_us(function, per_call):7.2f}")

        print("  statements in one open transaction, rolled back (Python, driver and database; no sync):")
        with connection.begin() as transaction:
            session = bed.runtime.sessions(bind=connection)
            loaded = load_record(session, bed.mediator, bed.spare_ours[0])
            row = connection.execute(_SELECT_CASE, {"ref": bed.spare_floor[0], "actor_id": bed.mediator_id}).one()
            if loaded is None:
                raise RuntimeError("spare case not found")
            same_row = {"case_id": row.id, "old_version": row.version, "new_state": row.state,
                        "new_paused_from": row.paused_from, "seq": row.audit_head_seq, "hash": row.audit_head_hash,
                        "new_version": row.version}
            statements = {
                "load_record (SELECT 15 columns -> CaseRecord)":
                    lambda: load_record(session, bed.mediator, bed.spare_ours[0]),
                "  the floor's SELECT (the row)":
                    lambda: connection.execute(_SELECT_CASE, {"ref": bed.spare_floor[0],
                                                              "actor_id": bed.mediator_id}).one(),
                "save_record (UPDATE of 10 columns + version)": lambda: save_record(loaded),
                "  the floor's UPDATE (5 columns + version)":
                    lambda: connection.execute(_UPDATE_CASE, same_row | {"now": utcnow()}),
            }
            for name, function in statements.items():
                print(f"    {name:<58} {best_us(function, number=500):7.2f}")
            session.close()
            transaction.rollback()


def profile_calls(bed: Bed, plan: Plan, ours: Toggler) -> None:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(plan.profile_ops):
        service_transition(bed, *ours.next())
    profiler.disable()
    elapsed = (time.perf_counter() - started) / plan.profile_ops * 1e6
    print_profile(profiler, f"cProfile of {plan.profile_ops} service transitions ({elapsed:.0f} us each under the "
                            "profiler)")


# ---------------------------------------------------------------------------------------------------------


def run_transition_part(report: Report, label: str, title: str, database: str, url: str, instance: Path,
                        plan: Plan, *, synchronous: str | None, judged: bool, profile: bool) -> None:
    section(title)
    started = time.perf_counter()
    bed = prepare_bed(database, url, instance, plan.pool, synchronous)
    try:
        print(f"  prepared {3 * plan.pool} cases (+{len(bed.spare_ours) + len(bed.spare_floor)} spares) in "
              f"dialogue_written through the services in {time.perf_counter() - started:.1f} s; "
              f"{plan.rounds} interleaved rounds of {plan.transition_ops} transitions per side"
              + (f"; synchronous={synchronous} on both engines" if synchronous else ""))
        report_transition(report, label, database, measure_transition(bed, plan), judged=judged)
        if profile:
            profile_service(bed, plan)
    finally:
        bed.close()


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (seconds, not minutes)")
    add_postgres_argument(parser, "for (d)")
    parser.add_argument("--no-postgres", action="store_true", help="skip (d) even when a URL is known")
    parser.add_argument("--only", choices=("a", "b", "c", "d"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--profile", action="store_true",
                        help="after (a) and (d): the SQL, a step-by-step ladder and cProfile of the service")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    plan = QUICK if arguments.quick else FULL
    parts = set(arguments.only or "abcd")
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/engine.py ({'quick' if arguments.quick else 'full'} run, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs); ratios are medians of interleaved rounds; "
          f"the transition target is judged against the PRIMARY floor (one Core transaction per call)")
    with tempfile.TemporaryDirectory(prefix="mediation-bench-") as folder:
        workdir = Path(folder)
        if "a" in parts:
            for mode in SQLITE_MODES:
                default = mode == DEFAULT_SYNCHRONOUS
                database = f"SQLite synchronous={mode}" + (" (default)" if default else " (informational)")
                title = (f"(a) one persisted transition on SQLite (WAL, synchronous={mode}, "
                         + ("the product default" if default else "informational") + ") vs bare Core")
                run_transition_part(report, "a", title, database,
                                    f"sqlite:///{workdir / f'transitions-{mode.lower()}.db'}",
                                    workdir / f"instance-{mode.lower()}", plan, synchronous=mode,
                                    judged=default, profile=arguments.profile)
        if "b" in parts:
            measure_machine(report, plan)
        if "c" in parts:
            measure_memory(report, plan, workdir)
        if "d" in parts:
            url = None if arguments.no_postgres else arguments.postgres
            if not url:
                section("(d) one persisted transition on PostgreSQL")
                print("  skipped: no server URL (--postgres, MEDIATION_BENCH_POSTGRES_URL or "
                      "MEDIATION_TEST_POSTGRES_URL)")
                report.add(Row("(d) transition, PostgreSQL", "skipped", "-", None,
                               f"<= {TARGET_TRANSITION_RATIO}x", None))
            else:
                with postgres_scratch(url) as scratch:
                    run_transition_part(report, "d", f"(d) one persisted transition on PostgreSQL "
                                        f"({safe_url(url)}, scratch database) vs bare Core", "PostgreSQL",
                                        scratch, workdir / "instance-postgres", plan, synchronous=None,
                                        judged=True, profile=arguments.profile)
    report.print(HELD_NOTE if any(r.held != "-" for r in report.rows) else "")
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
