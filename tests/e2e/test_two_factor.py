"""Story: two-factor sign-in. On a site configured as production is by default (two-factor required for
mediators), a new mediator's password leads to setting it up: they scan the QR code or type the key shown on
the page into their app (pyotp plays the app here), confirm with a code, keep their recovery codes, and from
then on sign in with their password and a code."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

import pyotp
from playwright.sync_api import expect
from werkzeug.serving import make_server

from config.settings import PRODUCTION_TWO_FACTOR_ROLES
from mediation.passwords import new_password
from mediation.services import users
from tests.e2e.conftest import PASSWORD, Axe, Credentials, LiveApp, Screenshots
from tests.e2e.navigators import Mediator
from web import create_app


@pytest.fixture(scope="module")
def required_site(live_app: LiveApp) -> Iterator[LiveApp]:
    """The same database served by a second app whose settings require two-factor as production's do."""
    settings = replace(live_app.runtime.settings,
                       two_factor_required_roles=frozenset(PRODUCTION_TWO_FACTOR_ROLES.split(",")))
    server = make_server("127.0.0.1", 0, create_app(settings, live_app.runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-two-factor-server", daemon=True)
    thread.start()
    yield replace(live_app, base_url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class NewMediator(Mediator):
    """A mediator whose sign-in needs a second step."""

    def password(self, credentials: Credentials, *, then: str) -> None:
        self.visit("/login")
        self.page.get_by_label("Username").fill(credentials.username)
        self.page.get_by_label("Password").fill(credentials.password)
        self.submit(self.page.get_by_role("button", name="Sign in", exact=True))
        assert self.page.url == self.app.url(then), f"after the password, landed on {self.page.url}"

    def enter_code(self, code: str, button: str, *, refused: bool = False) -> None:
        self.page.get_by_label("Code").fill(code)
        self.submit(self.page.get_by_role("button", name=button), refused=refused)


def test_a_mediator_sets_up_two_factor_then_signs_in_with_a_code(required_site: LiveApp, open_page, axe: Axe,
                                                                 screenshots: Screenshots) -> None:
    with required_site.runtime.transaction() as session:
        users.create_user(session, None, username="mediator.new", display_name="Noor Newmediator", role="mediator",
                          password=new_password(PASSWORD, username="mediator.new", display_name="Noor Newmediator"))
    credentials = Credentials("mediator.new", PASSWORD, "Noor Newmediator")
    mediator = NewMediator(open_page(), required_site, axe, screenshots)

    mediator.password(credentials, then="/login/enrol")
    expect(mediator.page.locator("h1")).to_have_text("Set up two-factor sign-in")
    qr = mediator.page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    assert mediator.page.evaluate("(img) => img.complete && img.naturalWidth > 100", qr.element_handle())
    mediator.screenshot("two-factor-enrol")
    mediator.visit("/mediator/")  # not signed in yet: the dashboard leads to the sign-in page
    assert mediator.page.url.startswith(required_site.url("/login?"))
    mediator.visit("/login/enrol")
    secret = mediator.page.locator("#totp-secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)  # the person types the key into their authenticator app

    mediator.enter_code(app.at(time.time() - 300), "Turn on two-factor sign-in", refused=True)
    assert "That code is not right" in mediator.flash()
    mediator.enter_code(app.now(), "Turn on two-factor sign-in")
    expect(mediator.page.locator("h1")).to_have_text("Your recovery codes")
    codes = mediator.page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    mediator.screenshot("two-factor-recovery-codes")
    mediator.follow(mediator.page.get_by_role("link", name="I have saved my recovery codes: continue"))
    assert mediator.page.url == required_site.url("/mediator/")

    mediator.follow(mediator.page.get_by_role("navigation").get_by_role("link", name="Two-factor sign-in"))
    expect(mediator.page.locator("main")).to_contain_text("You have 10 unused recovery codes.")
    mediator.logout()

    mediator.password(credentials, then="/login/code")
    mediator.screenshot("two-factor-code")
    mediator.enter_code(app.at(time.time() + 30), "Sign in")
    assert mediator.page.url == required_site.url("/mediator/")
    expect(mediator.page.get_by_role("button", name="Sign out (Noor Newmediator)")).to_be_visible()
