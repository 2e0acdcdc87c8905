"""Benchmark of the referral indicators (mediation.services.network_indicators): a network of 500 organisations
against 5. (The directory's search pages are measured by benchmarks/network.py.)

    .venv/bin/python -m benchmarks.indicators            # 5 against 500 organisations (PostgreSQL too when known)
    .venv/bin/python -m benchmarks.indicators --tiny     # the smoke test's run: 2 against 20

Each organisation lists 10 services (random kinds, custody stages and areas, two languages each) and has sent 20
referrals in the measured year (random states and times). Rows are written with Core bulk inserts, then ANALYZE.
The measures, in interleaved rounds: one coordinator's own indicators (both sides), which read that
organisation's referrals through the referrals' organisation indexes and should not grow with the network
(target: at most 3x); and the network's indicators, which count every referral of the year and grow with them
(shown, no target).

Exit status 0 whatever the numbers say.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from benchmarks.engine import small_and_large
from benchmarks.measure import Report, Row, add_postgres_argument, interleave, print_total, section
from config import load_settings
from mediation.keyfiles import ensure_instance
from mediation.languages import SERVICE_LANGUAGES
from mediation.models import Organisation, PartnerService, PartnerServiceLanguage, Referral, User
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import users
from mediation.services.directory.fields import area_key
from mediation.services.network_indicators import network_indicators, own_indicators
from workflows.referral_workflow import CUSTODY_STAGES, SERVICE_KINDS

TARGET = 3.0
SERVICES_PER_ORGANISATION = 10
REFERRALS_PER_ORGANISATION = 20
AREAS = ("Timiș", "Arad", "Cluj", "Iași", "Bihor", "Montréal", "Québec", "Laval", "Gatineau", "Sherbrooke")
STATES = ("sent", "accepted", "declined", "in_progress", "completed", "ended", "withdrawn")
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Plan:
    small: int
    large: int
    rounds: int


FULL, TINY = Plan(5, 500, 5), Plan(2, 20, 1)


@dataclass
class Network:
    runtime: Runtime
    coordinator: User


def _rows(organisations: int, seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Organisations (the first exists already), their services and the services' languages."""
    rnd = random.Random(seed)
    orgs = [{"id": i, "slug": f"bench-{i}", "name": f"Organisation {i}"} for i in range(2, organisations + 1)]
    services: list[dict] = []
    languages: list[dict] = []
    for organisation in range(1, organisations + 1):
        for _ in range(SERVICES_PER_ORGANISATION):
            area = f"{rnd.choice(AREAS)} {rnd.randint(1, 40)}"
            services.append({"id": len(services) + 1, "organisation_id": organisation,
                             "kind": rnd.choice(SERVICE_KINDS), "custody_stage": rnd.choice(CUSTODY_STAGES),
                             "area": area, "area_key": area_key(area), "description": "", "contact": "",
                             "is_active": rnd.random() > 0.1})
            languages += [{"service_id": len(services), "language": code}
                          for code in rnd.sample(SERVICE_LANGUAGES, 2)]
    return orgs, services, languages


def populate(url: str, instance: Path, organisations: int) -> Network:
    environment = {"MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(instance), "MEDIATION_ENV": "test",
                   "MEDIATION_SQLITE_SYNCHRONOUS": "NORMAL"}
    settings = load_settings(environment, cwd=instance.parent)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    migrate(runtime.engine)
    started = time.perf_counter()
    with runtime.transaction() as s:
        coordinator = users.create_user(s, None, username="bench.coordinator", display_name="Bench", role="admin",
                                        password=None)
        worker_id = coordinator.id
    orgs, services, languages = _rows(organisations, seed=organisations)
    rnd = random.Random(-organisations)
    referrals = []
    for organisation in range(1, organisations + 1):
        for _ in range(REFERRALS_PER_ORGANISATION):
            target = rnd.choice(services)
            sent = YEAR_START + timedelta(minutes=rnd.randint(0, 364 * 24 * 60))
            state = rnd.choice(STATES)
            accepted = sent + timedelta(days=rnd.randint(0, 30)) if state not in ("sent", "declined") else None
            referrals.append({"reference": f"RF-B-{len(referrals) + 1:07d}", "state": state,
                              "referring_organisation_id": organisation, "referring_worker_id": worker_id,
                              "receiving_organisation_id": target["organisation_id"], "service_id": target["id"],
                              "kind": target["kind"], "sent_at": sent, "accepted_at": accepted,
                              "created_at": sent, "updated_at": sent})
    with runtime.transaction() as s:
        if orgs:
            s.execute(insert(Organisation), orgs)
        s.execute(insert(PartnerService), services)
        s.execute(insert(PartnerServiceLanguage), languages)
        s.execute(insert(Referral), referrals)
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    print(f"  {organisations:,} organisations, {len(services):,} services, {len(referrals):,} referrals written in "
          f"{time.perf_counter() - started:.1f} s")
    return Network(runtime, coordinator)


def own_seconds(network: Network) -> float:
    started = time.perf_counter()
    with network.runtime.transaction(read_only=True) as s:
        own_indicators(s, network.coordinator, "2025-01-01", "2025-12-31")
    return time.perf_counter() - started


def network_seconds(network: Network) -> float:
    started = time.perf_counter()
    with network.runtime.transaction(read_only=True) as s:
        network_indicators(s, network.coordinator, "2025-01", "2025-12")
    return time.perf_counter() - started


def run_backend(report: Report, plan: Plan, database: str, urls: tuple[str, str], workdir: Path) -> None:
    section(f"{database}: the referral indicators, {plan.small:,} against {plan.large:,} organisations")
    small = populate(urls[0], workdir / f"{database}-small" / "instance", plan.small)
    large = populate(urls[1], workdir / f"{database}-large" / "instance", plan.large)
    try:
        for name, measure, judged in (("an organisation's indicators", own_seconds, True),
                                      ("the network's indicators", network_seconds, False)):
            samples = interleave(plan.rounds, {"small": lambda m=measure: m(small),
                                               "large": lambda m=measure: m(large)})
            ours, baseline = statistics.median(samples["large"]), statistics.median(samples["small"])
            ratio = ours / baseline
            verdict = (f"against a target of {TARGET:.0f}x: {'met' if ratio <= TARGET else 'missed'}" if judged
                       else "(it counts every referral of the year: no target)")
            print(f"  {name}: {plan.small:,} organisations {baseline * 1000:.2f} ms; {plan.large:,} organisations "
                  f"{ours * 1000:.2f} ms; ratio {ratio:.1f}x {verdict}")
            report.add(Row(f"{name}, {plan.large:,} vs {plan.small:,} organisations, {database}",
                           f"{ours * 1000:.2f} ms", f"{baseline * 1000:.2f} ms", ratio,
                           f"<= {TARGET:.0f}x" if judged else "-", ratio <= TARGET if judged else None))
    finally:
        small.runtime.close()
        large.runtime.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="2 against 20 organisations (the smoke test)")
    add_postgres_argument(parser, "to measure PostgreSQL too")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    arguments = parser.parse_args(argv)
    plan = TINY if arguments.tiny else FULL
    postgres = None if arguments.no_postgres else arguments.postgres
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/indicators.py ({plan.small:,} against {plan.large:,} organisations, {plan.rounds} rounds, "
          f"Python {sys.version.split()[0]})")
    small_and_large("mediation-indicators-", postgres,
                    lambda database, urls, workdir: run_backend(report, plan, database, urls, workdir))
    report.print("  An organisation's indicators read its own referrals; the network's, every referral of the year.")
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
