"""The production server as an operator runs it: ``mediation-web`` (gunicorn) in production mode over HTTPS,
with a self-signed certificate made here, on an instance made by ``mediation init``. A person signs in through
the form and submits other forms in Chromium; the site sends HSTS, names no server software, builds links from
its public URL whatever Host a request names, refuses hosts it does not know and forms posted from other sites.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import Browser, BrowserContext, Page, expect

from config import load_settings
from mediation.demo import build_case, path_to
from mediation.passwords import new_password
from mediation.runtime import open_runtime
from mediation.services import users
from tests.e2e.conftest import AXE_SCRIPT, PASSWORD, Axe
from workflows.vocabulary import CaseState

BANNERS = re.compile(r"gunicorn|werkzeug|python", re.IGNORECASE)
START_SECONDS = 30


@dataclass(frozen=True)
class ProductionSite:
    port: int
    public_url: str  # https://127.0.0.1:PORT, MEDIATION_PUBLIC_URL
    alias_url: str  # https://localhost:PORT, a trusted host that is not the public one
    reference: str  # a case in assessment on the mediator's desk, with a participant to invite
    log: Path

    def alias(self, path: str) -> str:
        return self.alias_url + path


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key (the browser is told to accept it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


def fill_request(page: Page) -> None:
    """The public request as a harmed person fills it: how they are connected, who they are, how to reach them."""
    page.get_by_label("How are you connected to the crime?").select_option("victim")
    page.get_by_label("Your name", exact=True).fill("Robin Example")
    page.get_by_label("Phone number", exact=True).fill("555-0142")
    page.get_by_label("I understand that taking part is voluntary").check()


def raw_request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
                body: str | None = None) -> http.client.HTTPResponse:
    """One HTTPS request as a script (not a browser) sends it: any Host, any headers. The body is read."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=unverified(), timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def wait_until_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mediation-web stopped (exit {process.returncode}):\n{log.read_text()}")
        try:
            if raw_request(port, "GET", "/login", {"Host": f"127.0.0.1:{port}"}).status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"mediation-web did not answer on port {port} within {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionSite]:
    folder = tmp_path_factory.mktemp("production")
    cert_file, key_file = self_signed_certificate(folder)
    port = free_port()
    public_url = f"https://127.0.0.1:{port}"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("MEDIATION_")}
    environment.update({
        "MEDIATION_ENV": "production", "MEDIATION_INSTANCE_DIR": str(folder / "instance"),
        "MEDIATION_AUDIT_SIGNING_KEY_FILE": str(folder / "keys" / "audit-signing.key"),
        "MEDIATION_PUBLIC_URL": public_url, "MEDIATION_TRUSTED_HOSTS": "127.0.0.1,localhost",
        "MEDIATION_TLS_CERT": str(cert_file), "MEDIATION_TLS_KEY": str(key_file),
        "MEDIATION_HOST": "127.0.0.1", "MEDIATION_PORT": str(port), "MEDIATION_WEB_WORKERS": "1",
    })
    scripts = Path(sys.executable).parent
    init = subprocess.run([str(scripts / "mediation"), "init"], env=environment, cwd=folder, capture_output=True,
                          text=True, timeout=120, check=False)
    assert init.returncode == 0, init.stderr

    runtime = open_runtime(load_settings(environment, cwd=folder))
    try:
        made = {}
        for role, username in (("admin", "coordinator"), ("mediator", "mediator.prod"), ("staff", "officer.prod")):
            with runtime.transaction() as s:
                made[role] = users.create_user(s, None, username=username, display_name=username.title(),
                                               role=role, password=new_password(
                                                   PASSWORD, username=username, display_name=username.title()))
        reference = build_case(runtime, made["admin"], made["mediator"], made["staff"],
                               steps=path_to(CaseState.ASSESSMENT))
    finally:
        runtime.close()

    log = folder / "mediation-web.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(scripts / "mediation-web")], env=environment, cwd=folder, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        wait_until_serving(process, port, log)
        yield ProductionSite(port, public_url, f"https://localhost:{port}", reference, log)
    finally:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def new_page(browser: Browser, contexts: list[BrowserContext]) -> Page:
    """A person's own browser, which accepts the test's self-signed certificate and nothing else unusual."""
    context = browser.new_context(ignore_https_errors=True, locale="en-US")
    context.set_default_timeout(15_000)
    contexts.append(context)
    return context.new_page()


def submit(page: Page, button_name: str | re.Pattern[str]) -> int:
    """Press a form's button; the status of the page it ends on (after any redirect)."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button_name, exact=isinstance(button_name, str)).click()
    response = navigation.value
    assert response is not None
    return response.status


def test_forms_work_over_https_and_links_use_the_public_url(browser: Browser, contexts: list[BrowserContext],
                                                             site: ProductionSite) -> None:
    # The mediator works at a trusted alias of the site: the links she is given still name the public URL.
    mediator = new_page(browser, contexts)
    mediator.goto(site.alias("/login"))
    mediator.get_by_label("Username").fill("mediator.prod")
    mediator.get_by_label("Password").fill(PASSWORD)
    assert submit(mediator, "Sign in") == 200
    # Production requires two-factor sign-in of mediators: her first sign-in sets it up.
    assert mediator.url == site.alias("/login/enrol")
    secret = mediator.locator("#totp-secret").inner_text().replace(" ", "")
    mediator.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    assert submit(mediator, "Turn on two-factor sign-in") == 200
    expect(mediator.locator("h1")).to_have_text("Your recovery codes")
    mediator.get_by_role("link", name="I have saved my recovery codes: continue").click()
    mediator.wait_for_url(site.alias("/mediator/"))

    mediator.goto(site.alias(f"/mediator/cases/{site.reference}"))
    assert submit(mediator, "Invite to the portal") == 200
    expect(mediator.locator("h1")).to_have_text("Invitation code")
    address = mediator.locator("code.activation-address").inner_text().strip()
    assert address == f"{site.public_url}/activate", address

    assert submit(mediator, re.compile("^Sign out")) == 200
    assert mediator.url == site.alias("/")

    # Someone harmed by a crime asks to take part, without an account.
    visitor = new_page(browser, contexts)
    visitor.goto(f"{site.public_url}/request")
    fill_request(visitor)
    assert submit(visitor, "Send my request") == 200
    expect(visitor.locator("h1")).to_have_text("Your request was received")


def test_a_form_posted_from_another_site_is_refused(browser: Browser, contexts: list[BrowserContext],
                                                    site: ProductionSite) -> None:
    """With the person's own session cookie and a valid token, only the Referer differs: still refused."""
    page = new_page(browser, contexts)
    page.goto(f"{site.public_url}/request")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    form = {"csrf_token": token, "relationship": "victim", "understood": "y", "name": "Robin", "phone": "555-0142"}
    api = page.context.request
    for headers in ({"Origin": "https://evil.example", "Referer": "https://evil.example/page"},
                    {"Referer": "https://evil.example/page"}):
        refused = api.post(f"{site.public_url}/request", form=form, headers=headers, max_redirects=0)
        assert refused.status == 400, headers
        assert "did not come from this site" in refused.text()
    accepted = api.post(f"{site.public_url}/request", form=form, headers={"Referer": f"{site.public_url}/request"})
    assert accepted.status == 200  # the same request from this site goes through: only the origin was wrong
    assert "Your request was received" in accepted.text()


def test_every_response_sends_hsts_and_names_no_server_software(site: ProductionSite) -> None:
    host = {"Host": f"127.0.0.1:{site.port}"}
    for path, status in (("/", 200), ("/login", 200), ("/static/site.css", 200), ("/no/such/page", 404)):
        response = raw_request(site.port, "GET", path, host)
        assert response.status == status, path
        assert response.getheader("Strict-Transport-Security", "").startswith("max-age="), path
        assert response.getheader("Referrer-Policy") == "same-origin", path
        for name, value in response.getheaders():
            assert not BANNERS.search(value), f"{path}: {name}: {value}"
    assert "Traceback" not in site.log.read_text()


def test_a_request_naming_an_untrusted_host_is_refused(site: ProductionSite) -> None:
    response = raw_request(site.port, "GET", "/login", {"Host": "evil.example"})
    assert response.status == 400
    response = raw_request(site.port, "GET", "/", {"Host": f"evil.example:{site.port}"})
    assert response.status == 400


def test_a_flood_of_requests_meets_a_page_that_says_when_to_try_again(browser: Browser, contexts: list[BrowserContext],
                                                                     site: ProductionSite, axe: Axe) -> None:
    """Last in this file: it uses up this client's request-form allowance (5 an hour by default)."""
    page = new_page(browser, contexts)
    page.add_init_script(path=str(AXE_SCRIPT))
    for _ in range(8):
        page.goto(f"{site.public_url}/request")
        fill_request(page)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Send my request", exact=True).click()
        response = navigation.value
        assert response is not None
        if response.status == 429:
            break
        assert response.status == 200
    else:
        pytest.fail("eight requests from one client in a row were all accepted")
    seconds = int(response.headers["retry-after"])
    assert 0 < seconds <= 3600
    expect(page.locator("h1")).to_have_text("Too many attempts")
    expect(page.locator("main")).to_contain_text(f"Please try again in {-(-seconds // 60)} minutes.")
    axe.check(page, "the page of a throttled request")
