"""Benchmarks of the pages people use: lists that must stay small, and the production server under load.

Every figure is a ratio against a baseline measured in the same run (the machines are shared and noisy); nothing
here is a timed assertion.

    .venv/bin/python -m benchmarks.pages            # full run (PostgreSQL too when a URL is known)
    .venv/bin/python -m benchmarks.pages --quick    # small smoke run

(a) Each list page (the coordinator's cases, accounts and held requests; the mediator's dashboard, a filtered
    dashboard and the review queue; the staff's referrals), rendered through the Flask test client, on a database
    of 100,000 cases as a ratio to the same page on a database of 1,000 cases built the same way (same accounts,
    same mix of steps), in interleaved rounds. On SQLite twice: as loaded (no statistics, as a new database has
    them) and after ANALYZE; on PostgreSQL after ANALYZE (autovacuum would gather them). Target: at most 1.5x.
    The cases are written with Core bulk inserts that produce valid rows: references from the counter's range,
    two participants per case, a sentence-free mix of steps with their modality, pause origin and outcome;
    submitted messages sealed through the vault under real case keys. Their audit chains are empty (head 0), which
    ``mediation verify-audit`` accepts; the lists do not read the audit log.
(b) 50 simulated users for 60 s against ``gunicorn 'web.server:wsgi()'`` (gthread workers) on PostgreSQL (SQLite
    when no server is given): mediators review and approve messages and pause or resume cases, participants read
    and write, staff forward requests, the public files requests. Reported: server errors (target 0), p50 and
    p99 latency (target p99 <= 10x p50), throughput as a ratio to a hello-world WSGI app served by the same
    gunicorn settings in the same run, and server CPU per request (from /proc of the gunicorn master and
    workers) as a ratio to the hello-world page (target <= 6x). The server runs in test mode with rate limits
    off (MEDIATION_ENV=test, MEDIATION_RATELIMIT_ENABLED=false): no two-factor step, no throttling of the load.

Exit status 0 whatever the numbers say; non-zero only when something fails.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import Engine

from benchmarks.engine import postgres_scratch, safe_url
from benchmarks.measure import Report, Row, add_postgres_argument, interleave, per_op, print_total, section
from config import load_settings
from mediation.db import table, utcnow
from mediation.keyfiles import ensure_instance
from mediation.models import Message, Origin, Role
from mediation.models.content import new_record_id
from mediation.passwords import hash_password
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import accounts
from mediation.services.messages.common import field_context
from web import create_app
from web.auth import SESSION_KEY
from workflows.vocabulary import CaseState, Consent, Outcome, Relationship, Safety, Side, modality_of

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark password, not secret"  # accounts of a throwaway benchmark database
TARGET_PAGE_RATIO = 1.5
TARGET_TAIL_RATIO = 10.0
TARGET_CPU_RATIO = 6.0
WORKERS, THREADS = 2, 4
MEDIATORS, STAFF, PEOPLE = 20, 10, 24
# A hundred cases in the proportions a programme might hold; every bulk database repeats this mix.
STEP_MIX = (
    [CaseState.REQUESTED] * 10 + [CaseState.ASSESSMENT] * 15 + [CaseState.PREPARATION] * 8
    + [CaseState.DIALOGUE_FACE_TO_FACE] * 4 + [CaseState.DIALOGUE_WRITTEN] * 15 + [CaseState.DIALOGUE_VIDEO] * 4
    + [CaseState.DIALOGUE_RELAY] * 10 + [CaseState.CLOSING] * 4 + [CaseState.PAUSED] * 5 + [CaseState.CLOSED] * 25
)
CONSENTED_FROM = {CaseState.PREPARATION, CaseState.CLOSING, CaseState.PAUSED, *(s for s in CaseState
                                                                                 if s.startswith("dialogue_"))}
CLOSED_OUTCOMES = (Outcome.COMPLETED, Outcome.WITHDRAWN, Outcome.DECLINED, Outcome.INELIGIBLE)
ENVIRONMENT = {"MEDIATION_ENV": "test", "MEDIATION_RATELIMIT_ENABLED": "false"}


@dataclass(frozen=True)
class Plan:
    small: int  # cases in the baseline database of (a)
    large: int  # cases in the big database of (a), also served in (b)
    rounds: int  # interleaved rounds in (a)
    renders: int  # renders of a page per round and contender in (a)
    users: int  # simulated users in (b)
    seconds: float  # measured window of (b), for the app and for hello world each


FULL = Plan(small=1_000, large=100_000, rounds=7, renders=6, users=50, seconds=60)
QUICK = Plan(small=1_000, large=10_000, rounds=2, renders=2, users=10, seconds=10)


# ---------------------------------------------------------------------------------------------------------
# A population of cases, written with Core bulk inserts


@dataclass
class Population:
    """A migrated database with ``cases`` cases, its runtime, and the accounts the pages are seen as."""

    label: str
    cases: int
    runtime: Runtime
    environment: dict[str, str]
    admin: int
    mediators: list[int]
    staff: list[int]
    people: list[int]  # participant accounts, each the harmed party of a written dialogue of a load mediator
    usernames: dict[int, str]

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    def close(self) -> None:
        self.runtime.close()


def _accounts(connection: Any, password_hash: str, now: datetime) -> tuple[int, list[int], list[int], list[int],
                                                                         dict[int, str]]:
    users = table("users")
    wanted = ([("bench.coordinator", Role.ADMIN)] + [(f"bench.mediator.{i:02d}", Role.MEDIATOR) for i in
                                                     range(MEDIATORS)]
              + [(f"bench.officer.{i:02d}", Role.STAFF) for i in range(STAFF)]
              + [(f"bench.person.{i:02d}", Role.PARTICIPANT) for i in range(PEOPLE)])
    connection.execute(insert(users), [
        {"username": name, "display_name": name.replace(".", " ").title(), "role": role.value,
         "password_hash": password_hash, "is_active": True, "created_at": now}
        for name, role in wanted])
    ids = dict(connection.execute(select(users.c.username, users.c.id)).all())
    by_role = {role: [ids[name] for name, r in wanted if r is role] for role in Role}
    return (by_role[Role.ADMIN][0], by_role[Role.MEDIATOR], by_role[Role.STAFF], by_role[Role.PARTICIPANT],
            {v: k for k, v in ids.items()})


def _case_rows(count: int, mediators: list[int], staff: list[int], now: datetime) -> Iterator[dict[str, Any]]:
    year, span = now.year, timedelta(days=720)
    for index in range(count):
        state = STEP_MIX[index % len(STEP_MIX)]
        chance = random.Random(index)
        created = now - span * (count - index) / count
        updated = min(now, created + timedelta(hours=chance.uniform(0, 24 * 40)))
        offender = index % 2 == 1
        unassigned = state == CaseState.REQUESTED and index % 3 == 0
        modality = modality_of(state) or (modality_of(CaseState.DIALOGUE_WRITTEN) if state in (
            CaseState.PAUSED, CaseState.CLOSING) else None)
        outcome = CLOSED_OUTCOMES[index % len(CLOSED_OUTCOMES)] if state == CaseState.CLOSED else None
        yield {
            "id": index + 1, "reference": f"RO-{year}-{index + 1:05d}", "workflow_version": "vom-1",
            "origin": (Origin.OFFENDER_REQUEST if offender else Origin.HARMED_PARTY_REQUEST).value,
            "state": state.value, "modality": modality.value if modality else None,
            "paused_from": CaseState.DIALOGUE_WRITTEN.value if state == CaseState.PAUSED else None,
            "outcome": outcome.value if outcome else None,
            "withdrawn_by_participant_id": 2 * index + 1 if outcome == Outcome.WITHDRAWN else None,
            "withdrawn_from": CaseState.ASSESSMENT.value if outcome == Outcome.WITHDRAWN else None,
            "assigned_mediator_id": None if unassigned else mediators[chance.randrange(len(mediators))],
            "referred_by_id": staff[chance.randrange(len(staff))] if offender else None,
            "created_at": created, "updated_at": updated, "closed_at": updated if outcome else None,
            "audit_head_seq": 0, "audit_head_hash": None, "version": 1,
        }


def _participant_rows(case: dict[str, Any]) -> list[dict[str, Any]]:
    state = CaseState(case["state"])
    agreed = state in CONSENTED_FROM
    withdrawn = case["outcome"] == Outcome.WITHDRAWN
    common = {"case_id": case["id"], "created_at": case["created_at"], "contact_revision": 0,
              "safety": Safety.CLEARED.value if agreed else Safety.NOT_ASSESSED.value}
    harmed_consent = Consent.WITHDRAWN if withdrawn else Consent.GIVEN if agreed else Consent.PENDING
    return [
        {**common, "id": 2 * case["id"] - 1, "side": Side.HARMED.value, "relationship": Relationship.VICTIM.value,
         "consent": harmed_consent.value, "willing_to_take_responsibility": None},
        {**common, "id": 2 * case["id"], "side": Side.RESPONSIBLE.value, "relationship": Relationship.OFFENDER.value,
         "consent": (Consent.GIVEN if agreed else Consent.PENDING).value, "willing_to_take_responsibility": True},
    ]


def held_requests(cases: int) -> int:
    """One pending public request per hundred cases, and never less than two full pages of them."""
    return max(120, cases // 100)


def chunks(rows: Iterable[dict[str, Any]], size: int = 5_000) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def populate(label: str, url: str, instance: Path, cases: int, load_mediators: int) -> Population:
    """Migrate the database at ``url`` and fill it with ``cases`` cases and everything the lists show."""
    environment = {**ENVIRONMENT, "MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(instance)}
    settings = load_settings(environment, cwd=instance.parent)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    migrate(runtime.engine)
    now = utcnow()
    started = time.perf_counter()
    with runtime.engine.begin() as connection:
        admin, mediators, staff, people, usernames = _accounts(connection, hash_password(PASSWORD), now)
        written: list[dict[str, Any]] = []
        for batch in chunks(_case_rows(cases, mediators, staff, now)):
            connection.execute(insert(table("cases")), batch)
            connection.execute(insert(table("participants")),
                               [p for case in batch for p in _participant_rows(case)])
            written += [c for c in batch if c["state"] == CaseState.DIALOGUE_WRITTEN and c["assigned_mediator_id"]]
        connection.execute(insert(table("case_reference_counters")), {"year": now.year, "last_number": cases})
        connection.execute(insert(table("held_requests")), [
            {"receipt_code": f"HR-BNCH-{i // 10_000:04d}-{i % 10_000:04d}", "relationship": "victim",
             "received_at": now - timedelta(hours=i), "status": "pending"} for i in range(held_requests(cases))])
        if runtime.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in ("cases", "participants"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                        f"(SELECT max(id) FROM {name}))"))
        # Each participant account is the harmed party of a written dialogue of one of the load's mediators.
        loaded = [c for c in written if c["assigned_mediator_id"] in mediators[:load_mediators]]
        for person, case in zip(people, loaded[::3], strict=False):
            connection.execute(update(table("participants")).where(table("participants").c.id == 2 * case["id"] - 1)
                               .values(user_id=person))
    messages = _seal_messages(runtime, written[1::4])
    print(f"  {label}: {cases:,} cases, {2 * cases:,} participants, {messages:,} sealed messages awaiting review, "
          f"{held_requests(cases):,} held requests, {1 + MEDIATORS + STAFF + PEOPLE} accounts written with Core in "
          f"{time.perf_counter() - started:.1f} s")
    return Population(label, cases, runtime, environment, admin, mediators, staff, people, usernames)


def _seal_messages(runtime: Runtime, cases: list[dict[str, Any]]) -> int:
    """One submitted message on each of these written dialogues, sealed under the case's own data key."""
    rows = []
    with runtime.transaction() as session:
        for case in cases:
            message = Message(id=new_record_id(), case_id=case["id"], author_participant_id=2 * case["id"] - 1,
                              written_by_id=case["assigned_mediator_id"], recipient_side=Side.RESPONSIBLE.value,
                              recipient_participant_id=2 * case["id"], kind="text", state="submitted", revision=1,
                              submitted_at=case["updated_at"], delivered_redacted=False, version=1)
            sealed = runtime.vault.seal_text(session, field_context(message, "body"),
                                             "Words written for the benchmark; nobody reads them.")
            rows.append({column: getattr(message, column) for column in
                         ("id", "case_id", "author_participant_id", "written_by_id", "recipient_side",
                          "recipient_participant_id", "kind", "state", "revision", "submitted_at",
                          "delivered_redacted", "version")}
                        | {"sealed_body": sealed})
        for batch in chunks(rows):
            session.connection().execute(insert(table("messages")), batch)
    return len(rows)


def analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


# ---------------------------------------------------------------------------------------------------------
# (a) list pages at 1,000 and at 100,000 cases


@dataclass(frozen=True)
class ListPage:
    name: str
    path: str
    who: str  # "admin", "mediator", "staff"


PAGES = (
    ListPage("coordinator: cases", "/admin/", "admin"),
    ListPage("coordinator: cases, one mediator", "/admin/?mediator={mediator}", "admin"),
    ListPage("coordinator: held requests", "/admin/requests", "admin"),
    ListPage("coordinator: accounts", "/admin/accounts", "admin"),
    ListPage("mediator: dashboard", "/mediator/", "mediator"),
    ListPage("mediator: review queue", "/mediator/reviews", "mediator"),
    ListPage("staff: referrals", "/staff/", "staff"),
)


class Site:
    """The app on a population, with a signed-in test client per role."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self.app: Flask = create_app(population.runtime.settings, population.runtime)
        self.app.config.update(TESTING=True)
        ids = {"admin": population.admin, "mediator": population.mediators[0], "staff": population.staff[0]}
        self.clients = {who: signed_in_client(self.app, population.runtime, user_id) for who, user_id in ids.items()}

    def path(self, page: ListPage) -> str:
        return page.path.format(mediator=self.population.mediators[0])

    def render(self, page: ListPage) -> str:
        response = self.clients[page.who].get(self.path(page))
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            raise RuntimeError(f"{page.path} answered {response.status_code} on {self.population.label}")
        return body

    def statements(self, page: ListPage) -> int:
        seen: list[str] = []

        def count(*_: Any) -> None:
            seen.append("")

        event.listen(self.population.engine, "before_cursor_execute", count)
        try:
            self.render(page)
        finally:
            event.remove(self.population.engine, "before_cursor_execute", count)
        return len(seen)


def signed_in_client(app: Flask, runtime: Runtime, user_id: int) -> FlaskClient:
    """A test client signed in as ``user_id`` (a server-side session, as a real sign-in leaves)."""
    client = app.test_client()
    with runtime.transaction() as s:
        key = accounts.start_session(s, user_id)  # sessions are kept on the server
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"], session["seen"] = str(user_id), True, int(time.time())
        session[SESSION_KEY] = key
    return client


def measure_pages(report: Report, plan: Plan, small: Population, large: Population, database: str) -> None:
    sites = {"small": Site(small), "large": Site(large)}

    def contender(site: Site, page: ListPage) -> Callable[[], float]:
        return lambda: per_op(lambda: [site.render(page) for _ in range(plan.renders)], plan.renders)

    contenders = {f"{size}|{page.name}": contender(site, page) for page in PAGES for size, site in sites.items()}
    samples = interleave(plan.rounds, contenders)
    print(f"  {plan.rounds} interleaved rounds of {plan.renders} renders per page and database; medians in ms")
    print(f"  {'page':<36} {small.cases:>9,} {large.cases:>9,}  ratio  statements  rows      bytes")
    for page in PAGES:
        ours, base = samples[f"large|{page.name}"], samples[f"small|{page.name}"]
        ratio = statistics.median(a / b for a, b in zip(ours, base, strict=True))
        counts = (sites["small"].statements(page), sites["large"].statements(page))
        bodies = [sites[size].render(page) for size in ("small", "large")]
        rows = [body.count("<tr>") + body.count("<li><a href=\"/mediator/cases/") - 1 for body in bodies]
        print(f"  {page.name:<36} {statistics.median(base) * 1e3:9.1f} {statistics.median(ours) * 1e3:9.1f}  "
              f"{ratio:5.2f}x  {counts[0]:>3} / {counts[1]:<3}   {rows[0]:>2} / {rows[1]:<3}  "
              f"{len(bodies[0]):,} / {len(bodies[1]):,}")
        report.add(Row(f"(a) {page.name}, {database}", f"{statistics.median(ours) * 1e3:.1f} ms at {large.cases:,}",
                       f"{statistics.median(base) * 1e3:.1f} ms at {small.cases:,}", ratio,
                       f"<= {TARGET_PAGE_RATIO}x", ratio <= TARGET_PAGE_RATIO))


# ---------------------------------------------------------------------------------------------------------
# (b) the production server under load


def hello_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The baseline of (b): the smallest WSGI page, served by the same gunicorn settings."""
    body = b"<!doctype html><title>Hello</title><p>Hello, world.</p>"
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        """User and system CPU of the gunicorn master and its workers, from /proc."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.process.pid, *self._children()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / ticks

    def _children(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                    continue
                if parent == self.process.pid:
                    children.append(int(entry.name))
        return children


@contextmanager
def gunicorn(app: str, environment: dict[str, str], log: Path) -> Iterator[Server]:
    """Serve ``app`` with gunicorn on a free loopback port; stop it (this process's child, by its id) after."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads", str(THREADS),
               "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--graceful-timeout", "5", app]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **environment}, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start ({log})") from None
                time.sleep(0.2)
            finally:  # a refused connection while gunicorn starts must not leave its socket open
                connection.close()
        yield Server(process, port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
COOKIE = re.compile(r"^(mediation_session)=([^;]*)")


@dataclass
class Tally:
    """What a load run observed: (finished at, seconds, status) of each request, and failures to connect."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[tuple[float, float, int, str]] = field(default_factory=list)
    failures: int = 0
    recording: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


class Visitor:
    """One simulated person: a keep-alive connection, the session cookie, the CSRF token of their session."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port, self.tally = port, tally
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie: str | None = None
        self.token: str | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": f"mediation_session={self.cookie}"} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrf_token": self.token or ""})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            page = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            if self.tally.recording.is_set():
                with self.tally.lock:
                    self.tally.failures += 1
            return 0, "", ""
        finished = time.perf_counter()
        if self.tally.recording.is_set():
            with self.tally.lock:
                self.tally.requests.append((finished, finished - started, response.status, route_of(method, path)))
        for value in response.headers.get_all("Set-Cookie") or []:
            found = COOKIE.match(value)
            if found:
                self.cookie = found.group(2)
        token = CSRF.search(page)
        if token:
            self.token = token.group(1)
        if response.will_close:
            self.connection.close()
        return response.status, page, response.headers.get("Location", "")

    def get(self, path: str) -> str:
        return self.request("GET", path)[1]

    def post(self, path: str, form: dict[str, str]) -> str:
        status, page, location = self.request("POST", path, form)
        if status in (302, 303) and location:
            target = urllib.parse.urlsplit(location)
            return self.get((target.path or "/") + (f"?{target.query}" if target.query else ""))
        return page

    def sign_in(self, username: str) -> None:
        self.get("/login")
        self.post("/login", {"username": username, "password": PASSWORD})


def route_of(method: str, path: str) -> str:
    """A request's route, with references and ids replaced, to group latencies by page."""
    shape = re.sub(r"RO-\d{4}-\d+", "<ref>", path.split("?", 1)[0])
    shape = re.sub(r"/[0-9a-f]{32}|/\d+(?=/|$)", "/<id>", shape)
    return f"{method} {shape}"


def _first(pattern: str, page: str) -> str | None:
    found = re.search(pattern, page)
    return found.group(1) if found else None


def mediator_turn(visitor: Visitor, turn: int) -> None:
    """The dashboard, the review queue and the oldest message's review; every other turn, pause or resume."""
    visitor.get("/mediator/")
    queue = visitor.get("/mediator/reviews")
    messages = _first(r'href="(/mediator/cases/RO-[0-9-]+/messages)"', queue)
    if messages:
        review = _first(r'action="(/mediator/cases/RO-[0-9-]+/messages/[0-9a-f]+/review)"', visitor.get(messages))
        if review:
            visitor.post(review, {"trigger": "approve"})
    if turn % 2:
        return
    pausing = turn % 4 == 0
    listing = visitor.get(f"/mediator/?state={'dialogue_relay' if pausing else 'paused'}")
    reference = _first(r'<td><a href="/mediator/cases/(RO-[0-9-]+)">', listing)
    if reference:
        version = _first(r'name="version" value="(\d+)"', visitor.get(f"/mediator/cases/{reference}")) or ""
        form = {"version": version, **({"reason": "wellbeing"} if pausing else {})}
        visitor.post(f"/mediator/cases/{reference}/actions/{'pause' if pausing else 'resume'}", form)


def participant_turn(visitor: Visitor, turn: int) -> None:
    """Their case, their messages, one delivered message opened; every third turn, a new message."""
    reference = _first(r'href="/portal/cases/(RO-[0-9-]+)/messages"', visitor.get("/portal/"))
    if not reference:
        return
    page = visitor.get(f"/portal/cases/{reference}/messages")
    opened = _first(r'href="(/portal/cases/RO-[0-9-]+/messages/[0-9a-f]{32})"', page)
    if opened:
        visitor.get(opened)
    if turn % 3 == 0:
        visitor.post(f"/portal/cases/{reference}/messages", {"text": f"A few words, turn {turn}."})


def staff_turn(visitor: Visitor, _turn: int) -> None:
    visitor.get("/staff/")
    visitor.get("/staff/forward")
    visitor.post("/staff/forward", {"willing": "y", "kind": ""})


def public_turn(visitor: Visitor, _turn: int) -> None:
    visitor.get("/request")
    visitor.post("/request", {"relationship": "victim", "understood": "y"})


def hello_turn(visitor: Visitor, _turn: int) -> None:
    visitor.get("/")


def cast(users: int, population: Population) -> list[tuple[str | None, Callable[[Visitor, int], None]]]:
    """Who the simulated users are: 30% mediators, 40% participants, 10% staff, 20% the public."""
    mediators = max(1, users * 3 // 10)
    people = max(1, users * 4 // 10)
    staff = max(1, users // 10)
    public = max(1, users - mediators - people - staff)
    names = population.usernames
    return ([(names[population.mediators[i]], mediator_turn) for i in range(mediators)]
            + [(names[population.people[i % len(population.people)]], participant_turn) for i in range(people)]
            + [(names[population.staff[i % len(population.staff)]], staff_turn) for i in range(staff)]
            + [(None, public_turn)] * public)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    server_errors: int
    failures: int
    refusals: int
    p50: float
    p99: float
    cpu: float  # server CPU seconds in the window
    client_cpu: float
    by_route: dict[str, tuple[int, float, float]]  # route: requests, p50, p99

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / max(1, self.requests)


def load(server: Server, roles: list[tuple[str | None, Callable[[Visitor, int], None]]], seconds: float) -> LoadResult:
    """Every simulated user signs in (not measured), then all act in a loop for ``seconds``."""
    tally = Tally()
    ready = threading.Barrier(len(roles) + 1)

    def person(username: str | None, turn_of: Callable[[Visitor, int], None]) -> None:
        visitor = Visitor(server.port, tally)
        if username:
            visitor.sign_in(username)
        ready.wait()
        turn = 0
        while not tally.stop.is_set():
            turn_of(visitor, turn)
            turn += 1
        visitor.connection.close()

    threads = [threading.Thread(target=person, args=role, daemon=True) for role in roles]
    for thread in threads:
        thread.start()
    ready.wait(timeout=600)
    cpu_before, client_before, started = server.cpu_seconds(), time.process_time(), time.perf_counter()
    tally.recording.set()
    time.sleep(seconds)
    tally.recording.clear()
    ended, cpu_after, client_after = time.perf_counter(), server.cpu_seconds(), time.process_time()
    tally.stop.set()
    for thread in threads:
        thread.join(timeout=120)
    within = [r for r in tally.requests if started <= r[0] <= ended]
    latencies = sorted(r[1] for r in within)
    if not latencies:
        raise RuntimeError("no request completed during the measured window")
    grouped: dict[str, list[float]] = {}
    for _, seconds_taken, _, route in within:
        grouped.setdefault(route, []).append(seconds_taken)
    by_route = {route: (len(values), percentile(values, 0.5), percentile(values, 0.99))
                for route, values in sorted(grouped.items())}
    return LoadResult(len(within), ended - started, sum(1 for r in within if r[2] >= 500), tally.failures,
                      sum(1 for r in within if 400 <= r[2] < 500), latencies[len(latencies) // 2],
                      percentile(latencies, 0.99), cpu_after - cpu_before, client_after - client_before, by_route)


def measure_load(report: Report, plan: Plan, population: Population, database: str, workdir: Path) -> None:
    roles = cast(plan.users, population)
    environment = {**population.environment, "PYTHONPATH": str(ROOT)}
    log = workdir / "gunicorn.log"
    print(f"  gunicorn --workers {WORKERS} --threads {THREADS} --worker-class gthread, on {database} with "
          f"{population.cases:,} cases; MEDIATION_ENV=test (no two-factor step), MEDIATION_RATELIMIT_ENABLED=false")
    kinds = {turn.__name__.removesuffix("_turn"): sum(1 for _, t in roles if t is turn) for _, turn in roles}
    print(f"  {len(roles)} simulated users ({', '.join(f'{n} {k}' for k, n in kinds.items())}), "
          f"{plan.seconds:.0f} s each for the app and for hello world, no think time")
    with gunicorn("web.server:wsgi()", environment, log) as server:
        ours = load(server, roles, plan.seconds)
    with gunicorn("benchmarks.pages:hello_app", environment, log) as server:
        hello = load(server, [(None, hello_turn)] * len(roles), plan.seconds)
    for name, result in (("app", ours), ("hello world", hello)):
        print(f"  {name:<12} {result.requests:>7,} requests in {result.seconds:.1f} s = {result.throughput:7.1f}/s; "
              f"p50 {result.p50 * 1e3:7.1f} ms, p99 {result.p99 * 1e3:7.1f} ms; server CPU "
              f"{result.cpu_per_request * 1e3:6.2f} ms/request; 5xx {result.server_errors}, failed connections "
              f"{result.failures}, 4xx {result.refusals}; load generator CPU "
              f"{result.client_cpu / max(1, result.requests) * 1e3:.2f} ms/request")
    print("  the app by route: requests, p50 ms, p99 ms")
    for route, (number, p50, p99) in ours.by_route.items():
        print(f"    {route:<52} {number:>6,} {p50 * 1e3:8.1f} {p99 * 1e3:8.1f}")
    tail = ours.p99 / ours.p50
    report.add(Row(f"(b) server errors under load, {database}", f"{ours.server_errors + ours.failures}", "-", None,
                   "0", ours.server_errors + ours.failures == 0))
    report.add(Row(f"(b) p99 / p50 latency, {database}", f"p99 {ours.p99 * 1e3:.0f} ms",
                   f"p50 {ours.p50 * 1e3:.0f} ms", tail, f"<= {TARGET_TAIL_RATIO:.0f}x", tail <= TARGET_TAIL_RATIO))
    report.add(Row(f"(b) throughput vs hello world, {database}", f"{ours.throughput:.1f}/s",
                   f"{hello.throughput:.1f}/s", ours.throughput / hello.throughput, "-", None))
    cpu_ratio = ours.cpu_per_request / hello.cpu_per_request if hello.cpu_per_request else None
    report.add(Row(f"(b) server CPU per request vs hello world, {database}",
                   f"{ours.cpu_per_request * 1e3:.2f} ms", f"{hello.cpu_per_request * 1e3:.2f} ms", cpu_ratio,
                   f"<= {TARGET_CPU_RATIO:.0f}x", cpu_ratio is not None and cpu_ratio <= TARGET_CPU_RATIO))


# ---------------------------------------------------------------------------------------------------------


def count_cases(population: Population) -> int:
    with population.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table("cases"))).scalar_one())


def run_backend(report: Report, plan: Plan, database: str, urls: tuple[str, str], workdir: Path, *,
                pages: bool, serve: bool) -> None:
    load_mediators = max(1, plan.users * 3 // 10)
    section(f"(a) list pages at {plan.large:,} cases against {plan.small:,}, {database}")
    small = populate(f"{database}, small", urls[0], workdir / f"instance-{database}-small", plan.small,
                     load_mediators)
    large = populate(f"{database}, large", urls[1], workdir / f"instance-{database}-large", plan.large,
                     load_mediators)
    try:
        if pages:
            if database == "SQLite":
                print("  as loaded: no statistics (a new SQLite database has none until ANALYZE)")
                measure_pages(report, plan, small, large, "SQLite, no ANALYZE")
            for population in (small, large):
                analyze(population.engine)
            print("  after ANALYZE")
            measure_pages(report, plan, small, large, f"{database}, ANALYZE")
        if serve:
            section(f"(b) {plan.users} simulated users against gunicorn, {database}")
            large.runtime.engine.dispose()
            measure_load(report, plan, large, database, workdir)
            print(f"  the database now holds {count_cases(large):,} cases")
    finally:
        small.close()
        large.close()


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (10,000 cases, 10 users for 10 s)")
    add_postgres_argument(parser, "for SQLite's twin runs on PostgreSQL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only, (b) included")
    parser.add_argument("--only", choices=("a", "b"), action="append", help="run only these parts (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    plan = QUICK if arguments.quick else FULL
    parts = set(arguments.only or "ab")
    postgres = None if arguments.no_postgres else arguments.postgres
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/pages.py ({'quick' if arguments.quick else 'full'} run, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs); medians of interleaved rounds; the server runs with MEDIATION_ENV=test and "
          "MEDIATION_RATELIMIT_ENABLED=false")
    with tempfile.TemporaryDirectory(prefix="mediation-pages-") as folder:
        workdir = Path(folder)
        urls = (f"sqlite:///{workdir / 'small.db'}", f"sqlite:///{workdir / 'large.db'}")
        run_backend(report, plan, "SQLite", urls, workdir, pages="a" in parts,
                    serve="b" in parts and not postgres)
        if postgres:
            with postgres_scratch(postgres) as small_url, postgres_scratch(postgres) as large_url:
                print(f"\n  PostgreSQL: {safe_url(postgres)}, two scratch databases")
                run_backend(report, plan, "PostgreSQL", (small_url, large_url), workdir, pages="a" in parts,
                            serve="b" in parts)
        elif "b" in parts:
            print("\n  (b) ran on SQLite: no PostgreSQL URL (--postgres, MEDIATION_BENCH_POSTGRES_URL or "
                  "MEDIATION_TEST_POSTGRES_URL)")
        report.print()
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
