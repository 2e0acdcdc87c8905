"""Browser end-to-end tests: the real app served on a free local port, Debian's Chromium driven by Playwright,
and axe-core checking the accessibility of every page a story visits.

Without /usr/bin/chromium, the Playwright package or axe-core (``scripts/e2e-deps``), these tests skip and say
why; with ``MEDIATION_E2E_REQUIRED=1`` (CI) they fail instead, so a missing browser can never pass unnoticed.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from werkzeug.serving import make_server

from config import load_settings
from mediation.demo import build_case, path_to
from mediation.keyfiles import ensure_instance
from mediation.models import User
from mediation.passwords import new_password
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import invitations, users
from mediation.services.lookup import find_case
from web import create_app
from workflows.vocabulary import CaseState, Modality, Side

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.e2e.navigators import Coordinator, Mediator, Navigator, Officer, Participant, Visitor

    N = TypeVar("N", bound=Navigator)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("MEDIATION_E2E_CHROMIUM", "/usr/bin/chromium"))
AXE_SCRIPT = ROOT / ".cache" / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
REQUIRED = os.environ.get("MEDIATION_E2E_REQUIRED", "") not in ("", "0")
# Chromium as root in a sandbox with no network but the package registries: no sandbox, no GPU, and none of
# the background connections that this machine's closed network would refuse.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "e2e-password-2026"
BLOCKING_IMPACTS = ("serious", "critical")

# Warnings raised by the product while it serves the browser (in the server's thread) turn into 500 pages under
# the suite's filterwarnings=error. Each one tolerated here is a known product issue, named and reported,
# applied to these tests only and only for that exact message.
if REQUIRED and importlib.util.find_spec("playwright") is None:
    raise RuntimeError("MEDIATION_E2E_REQUIRED is set but the Python package playwright is not installed")


def unavailable(reason: str) -> None:
    """Skip with ``reason``; fail instead when the browser tests are required (CI)."""
    if REQUIRED:
        pytest.fail(f"{reason} (MEDIATION_E2E_REQUIRED is set, so the browser tests may not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's outcome on the test, so that a failed story leaves screenshots of what people saw."""
    report = yield
    setattr(item, f"e2e_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if Axe.pages_checked:
        terminalreporter.write_line(f"e2e: axe-core checked {Axe.pages_checked} pages (all violations: "
                                    f"{(ARTIFACTS / 'axe-violations.jsonl').relative_to(ROOT)}); "
                                    f"screenshots in {SCREENSHOTS.relative_to(ROOT)}/")


# --- the application ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    display_name: str


@dataclass(frozen=True)
class DialogueCase:
    """A case whose dialogue has begun, both participants with portal accounts."""

    reference: str
    harmed: Credentials
    offender: Credentials


@dataclass
class LiveApp:
    """The running app: its address, its runtime (to prepare data through the services), and staff accounts."""

    base_url: str
    runtime: Runtime
    accounts: dict[str, tuple[Credentials, User]]
    numbers: Iterator[int] = field(default_factory=itertools.count)

    @property
    def coordinator(self) -> Credentials:
        return self.accounts["admin"][0]

    @property
    def mediator(self) -> Credentials:
        return self.accounts["mediator"][0]

    @property
    def officer(self) -> Credentials:
        return self.accounts["staff"][0]

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_credentials(self, name: str) -> Credentials:
        """A participant's future account: a username no other test uses."""
        number = next(self.numbers)
        return Credentials(f"{name.lower()}.{number}", PASSWORD, f"{name} {number}")

    def dialogue_case(self, modality: Modality) -> DialogueCase:
        """Build a case through the services up to the dialogue in ``modality``, and give both participants a
        portal account through an invitation (the whole way through the browser is the first story's job)."""
        admin, mediator, staff = (self.accounts[role][1] for role in ("admin", "mediator", "staff"))
        reference = build_case(self.runtime, admin, mediator, staff, steps=path_to(CaseState(modality.dialogue_state)))
        made: dict[str, Credentials] = {}
        with self.runtime.transaction() as session:
            people = [(p.id, p.side) for p in find_case(session, mediator, reference).participants]
        for participant_id, side in people:
            credentials = self.new_credentials("Harmed" if side == Side.HARMED else "Offender")
            with self.runtime.transaction() as session:
                code = invitations.invite_participant(session, mediator, reference, participant_id=participant_id,
                                                      hours=1)
            chosen = new_password(credentials.password, username=credentials.username,
                                  display_name=credentials.display_name)
            with self.runtime.transaction() as session:
                user = invitations.activate_participant(
                    session, self.runtime.vault, invitations.code_key(code), username_stem=credentials.username,
                    name=credentials.display_name, password=chosen)
            made[side] = replace(credentials, username=user.username)
        return DialogueCase(reference, made[Side.HARMED], made[Side.RESPONSIBLE])


def _create_account(runtime: Runtime, username: str, display_name: str, role: str) -> tuple[Credentials, User]:
    """A staff account set up by the operator (as ``mediation create-user`` does), ready to sign in."""
    chosen = new_password(PASSWORD, username=username, display_name=display_name)
    with runtime.transaction() as session:
        user = users.create_user(session, None, username=username, display_name=display_name, role=role,
                                 password=chosen)
    return Credentials(username, PASSWORD, display_name), user


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The real app (``create_app``) on 127.0.0.1 and a free port, in a thread, over a fresh instance folder."""
    base = tmp_path_factory.mktemp("e2e")
    settings = load_settings({"MEDIATION_INSTANCE_DIR": str(base / "instance"), "MEDIATION_ENV": "test",
                              "MEDIATION_RATELIMIT_ENABLED": "false"}, cwd=base)  # the stories sign in often
    ensure_instance(settings)
    runtime = open_runtime(settings)
    migrate(runtime.engine)
    app = create_app(settings, runtime)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one line per request would drown a failure's report
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", runtime, {
            "admin": _create_account(runtime, "coordinator", "Camille Coordinator", "admin"),
            "mediator": _create_account(runtime, "mediator.ada", "Ada Mediator", "mediator"),
            "staff": _create_account(runtime, "officer.chen", "Chen Parole Officer", "staff"),
        })
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        runtime.close()
        werkzeug_log.setLevel(level)


# --- the browser ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole run (Playwright never downloads a browser here)."""
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        unavailable(f"axe-core is missing ({AXE_SCRIPT.relative_to(ROOT)}): run scripts/e2e-deps")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed (scripts/bootstrap test)")
        raise  # unreachable: unavailable() skips or fails
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception as error:
        playwright.stop()
        unavailable(f"Chromium at {CHROMIUM} did not start: {error}")
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def open_page(request: pytest.FixtureRequest, browser: Browser,
              live_app: LiveApp) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser context of its own (its own cookies: one person, one context).

    Every context of a test is closed at its end. The app's Content-Security-Policy stays in force, so the
    tests see what a person's browser does. axe-core is therefore not added with ``page.add_script_tag``
    (an inline script, which the policy, script-src 'self', rightly refuses) nor with the policy turned off
    (``bypass_csp``, which would hide the policy's own breakage): the context preloads the same file in every
    document, as an extension would, which the policy does not govern (and which costs a third of the time).
    """
    contexts = []

    def open_one() -> Page:
        context = browser.new_context(base_url=live_app.base_url, locale="en-US", viewport={"width": 1200,
                                                                                            "height": 900})
        context.set_default_timeout(10_000)
        context.add_init_script(path=str(AXE_SCRIPT))
        contexts.append(context)
        return context.new_page()

    yield open_one
    call = getattr(request.node, "e2e_call", None)
    if call is not None and call.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts):
            for page in context.pages:
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{number}.png"), full_page=True)
    for context in contexts:
        context.close()


# --- accessibility and screenshots ----------------------------------------------------------------------------

class AxeViolations(AssertionError):
    """axe-core found serious or critical problems on a page."""


class Axe:
    """Runs axe-core in a page; fails on any violation whose impact is serious or critical."""

    pages_checked = 0  # over the whole run, for the summary

    def __init__(self, script: Path, log: Path) -> None:
        self.source = script.read_text(encoding="utf-8")
        self.log = log

    def check(self, page: Page, where: str) -> None:
        __tracebackhide__ = True
        if not page.evaluate("() => typeof window.axe === 'object'"):
            self._inject(page)
        result = page.evaluate("""async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
              nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                        summary: n.failureSummary}))}));
        }""")
        Axe.pages_checked += 1
        with self.log.open("a", encoding="utf-8") as handle:
            for violation in result:
                handle.write(json.dumps({"page": where, "url": page.url, **violation}) + "\n")
        blocking = [v for v in result if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            lines = [f"axe-core: {len(blocking)} serious or critical violation(s) on {where} ({page.url}):"]
            for v in blocking:
                lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
                lines.extend(f"    at {n['target']}: {n['html']}\n      {n['summary']}" for n in v["nodes"])
            raise AxeViolations("\n".join(lines))

    def _inject(self, page: Page) -> None:
        """Load axe.min.js into a page that does not have it yet (the contexts preload it: ``open_page``)."""
        page.evaluate(self.source + "\n;undefined")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            raise AssertionError(f"axe-core could not be loaded into {page.url}")


@pytest.fixture(scope="session")
def axe(browser: Browser) -> Axe:  # after the browser: a missing browser skips before axe is looked for
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "axe-violations.jsonl"  # every violation, minor ones included, for whoever looks later
    log.write_text("", encoding="utf-8")
    return Axe(AXE_SCRIPT, log)


class Screenshots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, page: Page, role: str, name: str) -> Path:
        path = self.folder / f"{role}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def screenshots() -> Screenshots:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return Screenshots(SCREENSHOTS)


# --- the people -----------------------------------------------------------------------------------------------

class People:
    """Each person in a story gets their own browser context; staff arrive signed in."""

    def __init__(self, open_page: Callable[[], Page], app: LiveApp, axe: Axe, screenshots: Screenshots) -> None:
        self.open_page = open_page
        self.app = app
        self.axe = axe
        self.screenshots = screenshots

    def _new(self, kind: type[N]) -> N:
        return kind(self.open_page(), self.app, self.axe, self.screenshots)

    def visitor(self) -> Visitor:
        from tests.e2e.navigators import Visitor
        return self._new(Visitor)

    def coordinator(self) -> Coordinator:
        from tests.e2e.navigators import Coordinator
        person = self._new(Coordinator)
        person.login(self.app.coordinator)
        return person

    def mediator(self, credentials: Credentials | None = None) -> Mediator:
        """The story's mediator, signed in; or, given ``credentials``, that mediator (signed in if they can)."""
        from tests.e2e.navigators import Mediator
        person = self._new(Mediator)
        if credentials is None:
            person.login(self.app.mediator)
        return person

    def officer(self) -> Officer:
        from tests.e2e.navigators import Officer
        person = self._new(Officer)
        person.login(self.app.officer)
        return person

    def participant(self, credentials: Credentials | None = None) -> Participant:
        """A participant; signed in when ``credentials`` are given (else they activate an invitation first)."""
        from tests.e2e.navigators import Participant
        person = self._new(Participant)
        if credentials is not None:
            person.login(credentials)
        return person


@pytest.fixture
def people(open_page: Callable[[], Page], live_app: LiveApp, axe: Axe, screenshots: Screenshots) -> People:
    return People(open_page, live_app, axe, screenshots)
