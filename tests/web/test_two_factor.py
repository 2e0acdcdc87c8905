"""Two-factor sign-in through HTTP, as people use it: the rules the pages must keep.

The password alone reaches nothing; the marker it leaves expires and works once; a code works once; a recovery
code works once; production's default settings hold every role that sees content to it; the QR code carries the
secret the page shows; and the secret is never in the database in clear.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
import segno
from flask import Flask
from sqlalchemy import select

from mediation.db import Base
from mediation.models import TwoFactorCredential
from mediation.runtime import Runtime
from mediation.services import accounts
from mediation.services.two_factor import SecondStep
from tests.web.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    ROLE_HOME,
    ROUTES,
    TWO_FACTOR_ROLES,
    Browser,
    World,
    csrf_from,
    enrol,
    flashes,
    next_code,
    page_text,
    recovery_codes_from,
    secret_from,
    send,
)
from tests.web.test_serving import https_browser, production_app
from web.second_step import LIFETIME_SECONDS, MARKER

ROLE_OF = {"admin": "admin", "mediator": "mediator", "staff": "staff", "offender": "participant"}
ROLE_AREAS = {"admin", "mediator", "staff", "portal", "account"}


def location(response) -> str:
    return urlsplit(response.headers["Location"]).path


def password_only(app: Flask, world: World, key: str) -> Browser:
    """A browser whose password was just accepted for ``world.users[key]``: it holds the marker, nothing more."""
    browser = Browser(app.test_client(), world)
    response = browser.log_in(world.usernames[key])
    assert response.status_code == 303, page_text(response)
    return browser


def _age_marker(browser: Browser, seconds: int) -> None:
    with browser.client.session_transaction() as session:
        marker = dict(session[MARKER])
        marker["at"] -= seconds
        session[MARKER] = marker


def test_a_code_signs_in_once_and_the_same_code_is_refused_the_next_time(app: Flask, world: World,
                                                                         web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    code = next_code(secret)
    first = password_only(app, world, "mediator")
    assert location(first.post("/login/code", {"code": code})) == "/mediator/"

    second = password_only(app, world, "mediator")
    replayed = second.post("/login/code", {"code": code})
    assert replayed.status_code == 400
    assert second.get("/mediator/").status_code == 302


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(app: Flask, world: World) -> None:
    browser = Browser(app.test_client(), world).sign_in("staff")
    browser.post("/account/two-factor/start")
    secret = secret_from(page_text(browser.get("/account/two-factor/set-up")))
    codes = recovery_codes_from(page_text(browser.post("/account/two-factor/set-up",
                                                       {"code": pyotp.TOTP(secret).now()})))
    assert len(codes) == 10

    staff = password_only(app, world, "staff")
    used = staff.post("/login/code", {"code": codes[0].upper()})
    assert used.status_code == 303
    assert flashes(page_text(staff.follow(used))) == [
        "You used a recovery code; it will not work again. 9 recovery codes are left."]
    again = password_only(app, world, "staff")
    assert again.post("/login/code", {"code": codes[0]}).status_code == 400
    assert again.get("/staff/").status_code == 302


@pytest.mark.parametrize("key", ["admin", "mediator", "staff", "offender"])
def test_the_password_accepted_marker_alone_reaches_no_page(app: Flask, world: World, web_runtime: Runtime,
                                                            key: str) -> None:
    enrol(web_runtime, world.users[key])
    browser = password_only(app, world, key)
    for route in ROUTES:
        if route.area in ROLE_AREAS:
            response = send(browser, route)
            assert response.status_code == 302, route.id
            assert location(response) == "/login", route.id
    assert browser.get("/login/code").status_code == 200  # the marker is still there, for the code page only


@pytest.mark.parametrize("key", ["admin", "mediator", "staff"])
def test_required_roles_reach_nothing_but_enrolment_before_enrolling(required_app: Flask, world: World,
                                                                     key: str) -> None:
    browser = password_only(required_app, world, key)
    assert browser.get("/login/code").status_code == 302  # not the code step: the enrolment step
    assert browser.get("/login/enrol").status_code == 200
    for route in ROUTES:
        if route.area in ROLE_AREAS:
            response = send(browser, route)
            assert (response.status_code, location(response)) == (302, "/login"), route.id


def test_production_settings_require_two_factor_of_staff_and_volunteers_and_not_participants(
        web_runtime: Runtime, world: World) -> None:
    assert {"admin", "mediator", "staff", "volunteer"} == TWO_FACTOR_ROLES  # volunteers read circles' minutes
    app = production_app(web_runtime)  # the production defaults, nothing else
    assert app.config["TWO_FACTOR_REQUIRED_ROLES"] == TWO_FACTOR_ROLES
    for key in ("admin", "mediator", "staff", "offender"):
        browser = https_browser(app, world)  # the cookie is Secure in production
        token = csrf_from(browser.get("/login").get_data(as_text=True))
        response = browser.post("/login", {"username": world.usernames[key], "password": PASSWORD}, token=token,
                                headers={"Referer": "https://mediation.example.org/login"})
        expected = "/login/enrol" if key != "offender" else ROLE_HOME["participant"]
        assert location(response) == expected, key


def test_a_new_password_voids_a_sign_in_halfway_through_its_second_step(app: Flask, world: World,
                                                                         web_runtime: Runtime) -> None:
    """Whoever held the old password must not finish signing in with it after the owner changed it."""
    secret = enrol(web_runtime, world.users["mediator"])
    thief = password_only(app, world, "mediator")
    owner = Browser(app.test_client(), world).sign_in("mediator")
    changed = owner.post("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})
    assert changed.status_code == 303
    late = thief.post("/login/code", {"code": next_code(secret)})
    assert (late.status_code, urlsplit(late.headers["Location"]).path) == (302, "/login")
    assert thief.get("/mediator/").status_code == 302


def test_a_password_reset_voids_an_enrolment_begun_with_the_old_password(required_app: Flask, world: World,
                                                                         web_runtime: Runtime) -> None:
    """A thief with the old password who began setting up two-factor cannot finish it after the reset (their
    authenticator would otherwise become the account's second factor)."""
    thief = password_only(required_app, world, "staff")
    stolen_secret = secret_from(page_text(thief.get("/login/enrol")))
    with web_runtime.transaction() as s:
        accounts.end_all_sessions(s, world.users["staff"])  # what a reset, a password change or deactivation do
    late = thief.post("/login/enrol", {"code": pyotp.TOTP(stolen_secret).now()})
    assert late.status_code == 302 and urlsplit(late.headers["Location"]).path == "/login"
    with web_runtime.transaction() as s:
        assert s.get(TwoFactorCredential, world.users["staff"]) is None  # the secret they read is gone


def test_the_marker_expires_after_a_few_minutes(app: Flask, world: World, web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    browser = password_only(app, world, "mediator")
    _age_marker(browser, LIFETIME_SECONDS[SecondStep.CODE] + 1)
    late = browser.post("/login/code", {"code": next_code(secret)})
    assert (late.status_code, location(late)) == (302, "/login")
    assert browser.get("/mediator/").status_code == 302
    with browser.client.session_transaction() as session:
        assert MARKER not in session


def test_the_enrolment_marker_expires_too(required_app: Flask, world: World) -> None:
    browser = password_only(required_app, world, "staff")
    secret = secret_from(page_text(browser.get("/login/enrol")))
    _age_marker(browser, LIFETIME_SECONDS[SecondStep.ENROL] + 1)
    late = browser.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert (late.status_code, location(late)) == (302, "/login")
    assert browser.get("/staff/").status_code == 302


def test_a_copied_marker_is_spent_once_its_sign_in_succeeded(app: Flask, world: World, web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    browser = password_only(app, world, "mediator")
    copied = browser.client.get_cookie("mediation_session")
    assert copied is not None
    assert location(browser.post("/login/code", {"code": next_code(secret)})) == "/mediator/"

    thief = Browser(app.test_client(), world)
    thief.client.set_cookie("mediation_session", copied.value)
    refused = thief.post("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert (refused.status_code, location(refused)) == (302, "/login")
    assert "This sign-in has expired" in flashes(page_text(thief.follow(refused)))[0]
    assert thief.get("/mediator/").status_code == 302


def test_a_newer_password_replaces_an_older_marker(app: Flask, world: World, web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    older = password_only(app, world, "mediator")
    newer = password_only(app, world, "mediator")
    refused = older.post("/login/code", {"code": next_code(secret)})
    assert (refused.status_code, location(refused)) == (302, "/login")
    assert location(newer.post("/login/code", {"code": next_code(secret)})) == "/mediator/"


def test_the_marker_in_the_cookie_holds_no_secret(app: Flask, world: World, web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    browser = password_only(app, world, "mediator")
    with browser.client.session_transaction() as session:
        marker = dict(session[MARKER])
    assert set(marker) == {"user", "step", "at", "attempt"}
    assert marker["user"] == world.users["mediator"]
    assert secret not in repr(marker)
    with web_runtime.transaction() as s:
        stored = s.get(TwoFactorCredential, world.users["mediator"]).sign_in_attempt
    assert stored is not None
    assert marker["attempt"] != stored  # the database keeps only its hash


def test_garbage_codes_are_refused_with_400_and_guessing_locks_every_code_out(app: Flask, world: World,
                                                                             web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    browser = password_only(app, world, "mediator")
    for garbage in ["", " ", "x" * 5000, "12345", "1234567", "<script>", "🙂🙂🙂🙂🙂🙂", "\x00" * 6, "abcde-fghjk"]:
        response = browser.post("/login/code", {"code": garbage})
        assert response.status_code == 400, garbage
    locked = browser.post("/login/code", {"code": next_code(secret)})  # right, but after too many wrong ones
    assert locked.status_code == 400
    assert flashes(page_text(locked)) == [
        "That code is not right, or it was already used. Enter the code your app shows now."]
    assert browser.get("/mediator/").status_code == 302


def test_the_qr_code_carries_the_secret_the_page_shows(required_app: Flask, world: World) -> None:
    browser = password_only(required_app, world, "mediator")
    html = page_text(browser.get("/login/enrol"))
    secret = secret_from(html)
    uri = pyotp.TOTP(secret).provisioning_uri(name=world.usernames["mediator"], issuer_name="Restorative Opportunities")
    expected = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    assert f'src="{expected}"' in html.replace("&#39;", "'").replace("&amp;", "&")


def test_an_enrolled_secret_is_not_in_the_database_in_clear(required_app: Flask, world: World,
                                                            web_runtime: Runtime) -> None:
    browser = password_only(required_app, world, "mediator")
    secret = secret_from(page_text(browser.get("/login/enrol")))
    done = browser.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    codes = recovery_codes_from(page_text(done))
    assert len(codes) == 10
    rows = []
    with web_runtime.transaction() as s:
        for table in Base.metadata.sorted_tables:
            rows.extend(repr(tuple(row)) for row in s.execute(select(table)))
    dump = "\n".join(rows)
    for needle in (secret, *codes, *(code.replace("-", "") for code in codes)):
        assert needle not in dump
    web_runtime.engine.dispose()  # checkpoint the WAL, then read what is on disk
    database = Path(web_runtime.settings.database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert secret.encode() not in raw
    assert pyotp.TOTP(secret).byte_secret() not in raw


def test_a_required_role_cannot_turn_two_factor_off_from_the_account_page(required_app: Flask, world: World,
                                                                          web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    browser = Browser(required_app.test_client(), world).sign_in("mediator")
    page = page_text(browser.get("/account/two-factor"))
    assert "required for your role" in page
    assert "/account/two-factor/disable" not in page
    refused = browser.post("/account/two-factor/disable", {"disable-code": next_code(secret)})
    assert refused.status_code == 303
    assert "required for your role" in flashes(page_text(browser.follow(refused)))[0]
    with web_runtime.transaction() as s:
        assert s.get(TwoFactorCredential, world.users["mediator"]).confirmed_at is not None


def test_everyone_signed_in_finds_the_account_page_in_the_menu(browser_for) -> None:
    for key in ROLE_OF:
        assert 'href="/account/two-factor"' in page_text(browser_for(key).get(ROLE_HOME[ROLE_OF[key]]))


@pytest.mark.parametrize("marker", [{"step": "code"}, {"step": "code", "user": "x", "at": 0, "attempt": "a"},
                                    {"step": "code", "user": 2, "at": "soon", "attempt": "a"}, "code"])
def test_a_malformed_marker_sends_back_to_the_password(browser: Browser, marker) -> None:
    with browser.client.session_transaction() as session:
        session[MARKER] = marker
    for response in (browser.get("/login/code"), browser.post("/login/code", {"code": "123456"})):
        assert (response.status_code, location(response)) == (302, "/login")
