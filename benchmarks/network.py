"""Benchmark of the partner network's pages at scale: the directory search and the referral lists.

Every figure is a ratio against a baseline measured in the same run (the machines are shared and noisy); nothing
here is a timed assertion.

    .venv/bin/python -m benchmarks.network            # full run (PostgreSQL too when a URL is known)
    .venv/bin/python -m benchmarks.network --quick    # small smoke run

Each page, rendered through the Flask test client as a signed-in worker, on a database of 500 organisations and
200,000 referrals as a ratio to the same page on a database of 10 organisations and 2,000 referrals built the same
way, in interleaved rounds, after ANALYZE, on SQLite and on PostgreSQL. Target: at most 1.5x.

- Each organisation lists 24 services (kinds, custody stages and one to three languages drawn in a fixed
  cycle, areas from a list of 40), has a coordinator and a worker: 240 services against 12,000.
- Pages hold 5 rows (the app's PAGE_SIZE for this run) so that every measured page is full at both scales: the
  ratio is what the tables' size adds, not more rows to show.
- Referrals go from a random organisation to another's service, in a fixed mix of states with their dates. The
  measured worker (organisation 1's) made 1% of them (20 against 2,000), so both lists fill their first page.
- The searches: by kind; by area prefix; by language; by kind and language; by kind, language and custody stage;
  then the worker's referrals and the coordinator's inbox of referrals received. Shared field values are not
  written (they are sealed per referral and not on these lists).

Exit status 0 whatever the numbers say; non-zero only when something fails.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from benchmarks.engine import small_and_large
from benchmarks.measure import Report, Row, add_postgres_argument, interleave, per_op, print_total, section
from benchmarks.pages import ENVIRONMENT, PASSWORD, analyze, chunks, signed_in_client
from config import load_settings
from mediation.db import table, utcnow
from mediation.keyfiles import ensure_instance
from mediation.models import Role
from mediation.passwords import hash_password
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services.directory.fields import area_key
from web import create_app
from workflows.referral_workflow import CUSTODY_STAGES, SERVICE_KINDS, ReferralState

TARGET_RATIO = 1.5
SERVICES_PER_ORGANISATION = 24
PAGE_SIZE = 5  # every measured search fills its first page at both scales
WORKER_SHARE = 100  # the measured worker made one referral in this many
AREAS = ("Timiș", "Timișoara", "Arad", "Caraș-Severin", "Hunedoara", "Bihor", "Cluj", "București", "Iași", "Brașov",
         "Montréal", "Laval", "Longueuil", "Québec", "Gatineau", "Sherbrooke", "Trois-Rivières", "Saguenay",
         "Lévis", "Terrebonne", "Paris", "Lyon", "Marseille", "Lille", "Bordeaux", "Nantes", "Toulouse", "Rennes",
         "Strasbourg", "Nice", "London", "Leeds", "Bristol", "Cardiff", "Glasgow", "Belfast", "Manchester",
         "Liverpool", "Newcastle", "Sheffield")
LANGUAGE_CYCLE = (("ro",), ("ro", "hu"), ("fr",), ("fr", "en"), ("en",), ("ro", "en", "fr"), ("hu",), ("en", "ar"))
# A hundred referrals in the proportions a network might hold.
STATE_MIX = ([ReferralState.DRAFT] * 5 + [ReferralState.SENT] * 15 + [ReferralState.ACCEPTED] * 10
             + [ReferralState.IN_PROGRESS] * 20 + [ReferralState.COMPLETED] * 25 + [ReferralState.DECLINED] * 10
             + [ReferralState.ENDED] * 10 + [ReferralState.WITHDRAWN] * 5)


@dataclass(frozen=True)
class Plan:
    small: tuple[int, int]  # (organisations, referrals) of the baseline database
    large: tuple[int, int]
    rounds: int
    renders: int


FULL = Plan(small=(10, 2_000), large=(500, 200_000), rounds=7, renders=6)
QUICK = Plan(small=(10, 2_000), large=(100, 20_000), rounds=2, renders=2)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # "worker" or "coordinator"


PAGES = (
    Page("directory: by kind", "/network/directory?kind=housing", "worker"),
    Page("directory: by area", "/network/directory?area=tim", "worker"),
    Page("directory: by language", "/network/directory?language=hu", "worker"),
    Page("directory: kind and language", "/network/directory?kind=housing&language=ro", "worker"),
    Page("directory: kind, language and stage",
         "/network/directory?kind=employment&language=en&custody_stage=in_custody", "worker"),
    Page("worker: my referrals", "/referrals", "worker"),
    Page("coordinator: referrals received", "/referrals/inbox", "coordinator"),
)


@dataclass
class Population:
    label: str
    organisations: int
    referrals: int
    runtime: Runtime
    worker: int
    coordinator: int

    def close(self) -> None:
        self.runtime.close()


def _organisations(connection: Any, count: int, password_hash: str, now: datetime) -> tuple[dict[int, int],
                                                                                          dict[int, int]]:
    """``count`` organisations (the first exists already), each with a coordinator and a worker; returns their
    accounts by organisation."""
    organisations, users = table("organisations"), table("users")
    connection.execute(insert(organisations), [
        {"id": o, "slug": f"bench-{o:04d}", "name": f"Benchmark organisation {o}", "created_at": now}
        for o in range(2, count + 1)])
    connection.execute(insert(users), [
        {"username": f"bench.{kind}.{o:04d}", "display_name": f"Bench {kind} {o}", "role": role.value,
         "organisation_id": o, "password_hash": password_hash, "is_active": True, "created_at": now}
        for o in range(1, count + 1) for kind, role in (("coordinator", Role.ADMIN), ("worker", Role.STAFF))])
    rows = connection.execute(select(users.c.username, users.c.id, users.c.organisation_id)
                              .where(users.c.username.like("bench.%"))).all()
    coordinators = {o: i for name, i, o in rows if ".coordinator." in name}
    workers = {o: i for name, i, o in rows if ".worker." in name}
    return coordinators, workers


def _service_rows(count: int, now: datetime) -> Iterator[dict[str, Any]]:
    service_id = 0
    for organisation in range(1, count + 1):
        for index in range(SERVICES_PER_ORGANISATION):
            service_id += 1
            area = AREAS[(organisation * 7 + index) % len(AREAS)]
            yield {"id": service_id, "organisation_id": organisation,
                   "kind": SERVICE_KINDS[(organisation + index * 5) % len(SERVICE_KINDS)],
                   "custody_stage": CUSTODY_STAGES[(organisation + index) % len(CUSTODY_STAGES)],
                   "area": area, "area_key": area_key(area), "description": f"Service {index} of organisation "
                   f"{organisation}", "contact": "", "is_active": True, "created_at": now, "updated_at": now}


def _referral_rows(count: int, organisations: int, services: list[dict[str, Any]], workers: dict[int, int],
                   now: datetime) -> Iterator[dict[str, Any]]:
    chance = random.Random(11)
    span = timedelta(days=720)
    by_organisation: dict[int, list[dict[str, Any]]] = {}
    for service in services:
        by_organisation.setdefault(service["organisation_id"], []).append(service)
    for number in range(1, count + 1):
        referring = 1 if number % WORKER_SHARE == 0 else chance.randint(1, organisations)
        receiving = chance.randint(1, organisations - 1)
        receiving += receiving >= referring  # another organisation than the referring one
        service = chance.choice(by_organisation[receiving])
        state = STATE_MIX[number % len(STATE_MIX)]
        created = now - span * (1 - number / count)
        sent = None if state == ReferralState.DRAFT else created + timedelta(hours=2)
        accepted = (sent + timedelta(days=3)) if sent and state in (
            ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, ReferralState.COMPLETED, ReferralState.ENDED) else None
        closed = created + timedelta(days=40) if state in (
            ReferralState.COMPLETED, ReferralState.ENDED, ReferralState.DECLINED, ReferralState.WITHDRAWN) else None
        yield {"id": number, "reference": f"RF-{now.year}-{number:06d}", "workflow_version": "referral-1",
               "state": state.value, "referring_organisation_id": referring, "referring_worker_id": workers[referring],
               "receiving_organisation_id": receiving, "service_id": service["id"], "kind": service["kind"],
               "consent_version": "referral-consent-1", "consent_recorded_at": created,
               "created_at": created, "updated_at": closed or accepted or sent or created, "sent_at": sent,
               "accepted_at": accepted, "closed_at": closed, "version": 1}


def populate(label: str, url: str, instance: Path, organisations: int, referrals: int) -> Population:
    environment = {**ENVIRONMENT, "MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(instance)}
    settings = load_settings(environment, cwd=instance.parent)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    migrate(runtime.engine)
    now = utcnow()
    started = time.perf_counter()
    with runtime.engine.begin() as connection:
        coordinators, workers = _organisations(connection, organisations, hash_password(PASSWORD), now)
        services = list(_service_rows(organisations, now))
        connection.execute(insert(table("partner_services")), services)
        connection.execute(insert(table("partner_service_languages")), [
            {"service_id": s["id"], "language": language}
            for s in services for language in LANGUAGE_CYCLE[s["id"] % len(LANGUAGE_CYCLE)]])
        for batch in chunks(_referral_rows(referrals, organisations, services, workers, now)):
            connection.execute(insert(table("referrals")), batch)
        if runtime.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in ("organisations", "partner_services", "referrals"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                        f"(SELECT max(id) FROM {name}))"))
    print(f"  {label}: {organisations:,} organisations, {len(services):,} services, {referrals:,} referrals "
          f"written with Core in {time.perf_counter() - started:.1f} s")
    return Population(label, organisations, referrals, runtime, workers[1], coordinators[1])


class Site:
    def __init__(self, population: Population) -> None:
        self.population = population
        app = create_app(population.runtime.settings, population.runtime)
        app.config.update(TESTING=True, PAGE_SIZE=PAGE_SIZE)
        self.clients: dict[str, FlaskClient] = {
            "worker": signed_in_client(app, population.runtime, population.worker),
            "coordinator": signed_in_client(app, population.runtime, population.coordinator)}

    def render(self, page: Page) -> str:
        response = self.clients[page.who].get(page.path)
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} answered {response.status_code} on {self.population.label}")
        return response.get_data(as_text=True)


def _rows(body: str) -> int:
    """The services or referrals a page shows (cards in the directory, table rows in the lists)."""
    return body.count('<article class="service"') or body.count("<tr") - 1


def measure(report: Report, plan: Plan, small: Population, large: Population, database: str) -> None:
    sites = {"small": Site(small), "large": Site(large)}

    def contender(site: Site, page: Page) -> Callable[[], float]:
        return lambda: per_op(lambda: [site.render(page) for _ in range(plan.renders)], plan.renders)

    samples = interleave(plan.rounds, {f"{size}|{page.name}": contender(site, page)
                                       for page in PAGES for size, site in sites.items()})
    print(f"  {plan.rounds} interleaved rounds of {plan.renders} renders per page and database; medians in ms")
    print(f"  {'page':<40} {'small':>9} {'large':>9}  ratio  rows (small / large)")
    for page in PAGES:
        ours, base = samples[f"large|{page.name}"], samples[f"small|{page.name}"]
        ratio = statistics.median(a / b for a, b in zip(ours, base, strict=True))
        rows = [_rows(sites[size].render(page)) for size in ("small", "large")]
        print(f"  {page.name:<40} {statistics.median(base) * 1e3:9.1f} {statistics.median(ours) * 1e3:9.1f}  "
              f"{ratio:5.2f}x  {rows[0]} / {rows[1]}")
        report.add(Row(f"{page.name}, {database}",
                       f"{statistics.median(ours) * 1e3:.1f} ms at {large.organisations}/{large.referrals:,}",
                       f"{statistics.median(base) * 1e3:.1f} ms at {small.organisations}/{small.referrals:,}", ratio,
                       f"<= {TARGET_RATIO}x", ratio <= TARGET_RATIO))


def run_backend(report: Report, plan: Plan, database: str, urls: tuple[str, str], workdir: Path) -> None:
    section(f"directory and referral lists at {plan.large[0]} organisations / {plan.large[1]:,} referrals against "
            f"{plan.small[0]} / {plan.small[1]:,}, {database}")
    small = populate(f"{database}, small", urls[0], workdir / f"instance-{database}-small", *plan.small)
    large = populate(f"{database}, large", urls[1], workdir / f"instance-{database}-large", *plan.large)
    try:
        for population in (small, large):
            analyze(population.runtime.engine)
        measure(report, plan, small, large, f"{database}, ANALYZE")
    finally:
        small.close()
        large.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (100 organisations, 20,000 "
                                                             "referrals)")
    add_postgres_argument(parser, "for SQLite's twin run on PostgreSQL")
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/network.py ({'quick' if arguments.quick else 'full'} run, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs); medians of interleaved rounds")
    small_and_large("mediation-network-", arguments.postgres,
                    lambda database, urls, workdir: run_backend(report, plan, database, urls, workdir))
    report.print()
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
