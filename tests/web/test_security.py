"""The web layer's defences: CSRF on every POST, the session cookie's flags, security headers on every response,
the idle timeout, deactivation taking effect at once, a login that does not reveal which usernames exist, and
content that never leaks through the session cookie, HTML injection, redirects or someone else's ids."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from mediation.db import Base
from mediation.models import Case, Message, User
from mediation.runtime import Runtime
from tests.web.conftest import (
    ALL_CANARIES,
    CANARY_DELIVERED,
    PASSWORD,
    ROUTES,
    Browser,
    Route,
    World,
    csrf_from,
    flashes,
    page_text,
    route_pairs,
    send,
    video_upload,
)
from tests.web.test_authorization_matrix import PROGRAMME_BLUEPRINTS

ACCOUNT_FOR = {"public": None, "auth": None, "two_factor": None, "static": None, "health": None,
               "mediator": "mediator", "portal": "offender", "account": "mediator", "staff": "staff", "admin": "admin"}
HOME_OF = {"mediator": "/mediator/", "offender": "/portal/", "staff": "/staff/", "admin": "/admin/"}


def account_for(route: Route) -> str | None:
    """Who sends the route's request: the role it is for (signing out needs someone signed in)."""
    return "mediator" if route.endpoint == "auth.logout" else ACCOUNT_FOR[route.area]
POST_ROUTES = [route for route in ROUTES if route.method == "POST"]


def snapshot(runtime: Runtime) -> dict[str, Any]:
    """Row counts of every table, case versions and states, account status: what any change would touch."""
    with runtime.transaction() as s:
        counts = {table.name: s.execute(select(func.count()).select_from(table)).scalar_one()
                  for table in Base.metadata.sorted_tables
                  if table.name != "process_heartbeats"}  # the server saying it is alive, not anyone's data
        cases = {ref: (state, version) for ref, state, version in s.execute(
            select(Case.reference, Case.state, Case.version))}
        users = {name: active for name, active in s.execute(select(User.username, User.is_active))}
        messages = {mid: state for mid, state in s.execute(select(Message.id, Message.state))}
    return {"counts": counts, "cases": cases, "users": users, "messages": messages}


def session_cookie_header(response: TestResponse) -> str:
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("mediation_session=")]
    return cookie


# --- CSRF -----------------------------------------------------------------------------------------------------------

def test_every_post_route_of_the_app_is_checked_for_csrf(app: Flask) -> None:
    """The other programmes' blueprints check theirs in their own matrices (PROGRAMME_BLUEPRINTS)."""
    assert {(r.endpoint, "POST") for r in POST_ROUTES} == {
        p for p in route_pairs(app) if p[1] == "POST" and not p[0].startswith(PROGRAMME_BLUEPRINTS)}


@pytest.mark.parametrize("token", ["missing", "forged", "another-session", "another-site-key"])
@pytest.mark.parametrize("route", POST_ROUTES, ids=[r.id for r in POST_ROUTES])
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(browser_for, world: World,
                                                                         web_runtime: Runtime, route: Route,
                                                                         token: str) -> None:
    who = account_for(route)
    browser = browser_for(who)
    browser.token()  # the session has a CSRF secret: only the token in the request is wrong
    other_session_token = browser_for(who).token() if token == "another-session" else ""
    before = snapshot(web_runtime)
    form = route.data(world, False)
    if route.upload:
        form = {**form, "video": video_upload()}
    if token == "forged":
        form["csrf_token"] = "ImFiYyI.forged.token"
    elif token == "another-session":
        form["csrf_token"] = other_session_token
    elif token == "another-site-key":
        # a well-formed token signed with another key, for this session's own secret
        with browser.client.session_transaction() as session:
            secret = session["csrf_token"]
        form["csrf_token"] = URLSafeTimedSerializer("not the site's key", salt="wtf-csrf-token").dumps(secret)
    response = send(browser, route, data=form, csrf=False)
    assert response.status_code == 400
    assert "Please try again" in page_text(response)
    assert "did not come from this site" in page_text(response)
    assert snapshot(web_runtime) == before
    if who is not None:
        assert browser.get(HOME_OF[who]).status_code == 200  # still signed in: the refused request did nothing


def test_the_same_post_with_the_pages_own_token_goes_through(browser_for, world: World, web_runtime: Runtime) -> None:
    """The control for the test above: the token read from the page itself is accepted."""
    mediator = browser_for("mediator")
    page = page_text(mediator.get(f"/mediator/cases/{world.own}"))
    response = mediator.post(f"/mediator/cases/{world.own}/actions/pause",
                             {"reason": "wellbeing", "version": str(world.version(world.own))}, token=csrf_from(page))
    assert response.status_code == 303
    assert snapshot(web_runtime)["cases"][world.own][0] == "paused"


# --- the session cookie -----------------------------------------------------------------------------------------

def test_the_session_cookie_is_httponly_samesite_lax_and_expires_with_the_idle_timeout(browser: Browser,
                                                                                      app: Flask) -> None:
    cookie = session_cookie_header(browser.get("/"))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes  # settings.cookie_secure is off in the test environment
    expires = next(part.split("=", 1)[1] for part in attributes if part.startswith("expires="))
    lifetime = parsedate_to_datetime(expires) - datetime.now(UTC)
    idle = timedelta(seconds=app.config["IDLE_SECONDS"])
    assert idle - timedelta(minutes=1) < lifetime <= idle + timedelta(seconds=5)


def test_the_session_cookie_is_secure_when_the_settings_say_so(secure_app: Flask, world: World) -> None:
    browser = Browser(secure_app.test_client(), world)
    cookie = session_cookie_header(browser.get("/"))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(attributes)


def test_signing_in_sets_the_cookie_with_the_same_flags(browser: Browser, world: World) -> None:
    response = browser.log_in(world.usernames["mediator"])
    assert response.status_code == 302
    attributes = [part.strip().lower() for part in session_cookie_header(response).split(";")]
    assert {"httponly", "samesite=lax"} <= set(attributes)


def test_the_session_cookie_carries_no_case_content(browser_for, app: Flask, world: World) -> None:
    """Flask's session is signed, not encrypted: nothing sensitive may ever be put in it (flashes included)."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    visits = {
        "mediator": ([f"/mediator/cases/{world.own}/messages", f"/mediator/cases/{world.own}/notes",
                      f"/mediator/cases/{world.own}/participants/{world.own_harmed}/contact"],
                     (f"/mediator/cases/{world.own}/notes", {"text": "A new note that is secret."})),
        "offender": ([f"/portal/cases/{world.own}/messages/{world.delivered}", f"/portal/cases/{world.own}/messages"],
                     (f"/portal/cases/{world.own}/messages", {"text": "A new note that is secret."})),
    }
    for key, (paths, (action, form)) in visits.items():
        browser = browser_for(key)
        for path in paths:
            assert browser.get(path).status_code == 200
        assert browser.post(action, form).status_code == 303  # leaves a flashed message in the session
        cookie = browser.client.get_cookie("mediation_session")
        assert cookie is not None
        content = serializer.loads(cookie.value)
        assert set(content) <= {"_user_id", "_fresh", "_id", "seen", "csrf_token", "_flashes", "_permanent", "lang",
                                "sid"}
        dumped = repr(content)
        for secret in (*ALL_CANARIES, "A new note that is secret."):
            assert secret not in dumped


# --- security headers -----------------------------------------------------------------------------------------------

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}
CSP_DIRECTIVES = ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                  "frame-ancestors 'none'", "form-action 'self'")


def assert_security_headers(response: TestResponse, **changed: str) -> None:
    """``changed``: a header one route sets otherwise on purpose (the calendar feed: no Referer at all)."""
    for name, value in {**HEADERS, **{k.replace("_", "-"): v for k, v in changed.items()}}.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in CSP_DIRECTIVES:
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


@pytest.mark.parametrize("route", ROUTES, ids=[r.id for r in ROUTES])
def test_every_route_answers_with_the_security_headers(browser_for, route: Route) -> None:
    response = send(browser_for(ACCOUNT_FOR[route.area]), route)
    assert response.status_code < 500
    changed = {"Referrer_Policy": "no-referrer"} if route.endpoint == "public.calendar_feed" else {}
    assert_security_headers(response, **changed)


@pytest.mark.parametrize("case", ["not-found", "forbidden", "method", "csrf", "conflict", "login-redirect",
                                  "refusal", "bad-request", "other-case"])
def test_error_pages_and_redirects_carry_the_security_headers_too(browser_for, world: World, case: str) -> None:
    mediator = browser_for("mediator")
    response = {
        "not-found": lambda: mediator.get("/no/such/page"),
        "forbidden": lambda: mediator.get("/admin/"),
        "method": lambda: mediator.get("/logout"),
        "csrf": lambda: mediator.post("/logout", csrf=False),
        "conflict": lambda: mediator.post(f"/mediator/cases/{world.own}/actions/pause",
                                          {"reason": "wellbeing", "version": "0"}),
        "login-redirect": lambda: browser_for(None).get("/mediator/"),
        "refusal": lambda: mediator.post(f"/mediator/cases/{world.own}/actions/explode"),
        "bad-request": lambda: mediator.post(f"/mediator/cases/{world.own}/actions/pause", {"version": "x"}),
        "other-case": lambda: mediator.get(f"/mediator/cases/{world.other}"),
    }[case]()
    assert response.status_code in (302, 303, 400, 403, 404, 405, 409)
    assert_security_headers(response)


# --- the idle timeout -----------------------------------------------------------------------------------------------

def set_seen(browser: Browser, seen: int) -> None:
    with browser.client.session_transaction() as session:
        session["seen"] = seen


def test_a_session_idle_longer_than_the_limit_is_signed_out(browser_for, app: Flask) -> None:
    mediator = browser_for("mediator")
    assert mediator.get("/mediator/").status_code == 200
    set_seen(mediator, int(time.time()) - app.config["IDLE_SECONDS"] - 5)
    response = mediator.get("/mediator/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    login = mediator.follow(response)
    assert "You were signed out after a period without activity." in flashes(page_text(login))
    assert mediator.get("/mediator/").status_code == 302  # and it stays signed out
    with mediator.client.session_transaction() as session:
        assert "_user_id" not in session


def test_a_session_used_within_the_limit_stays_and_its_clock_restarts(browser_for, app: Flask) -> None:
    mediator = browser_for("mediator")
    set_seen(mediator, int(time.time()) - app.config["IDLE_SECONDS"] + 30)
    assert mediator.get("/mediator/").status_code == 200
    with mediator.client.session_transaction() as session:
        assert abs(session["seen"] - time.time()) < 5


def test_the_idle_timeout_follows_the_clock(browser_for, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, moving the clock the timeout reads rather than the session's record of it."""
    mediator = browser_for("mediator")
    assert mediator.get("/mediator/").status_code == 200
    later = time.time() + app.config["IDLE_SECONDS"] + 1

    class Clock:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr("web.auth.time", Clock)
    assert mediator.get("/mediator/").status_code == 302


def test_a_post_from_an_idle_session_changes_nothing(browser_for, app: Flask, world: World,
                                                    web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    token = mediator.token()
    set_seen(mediator, int(time.time()) - app.config["IDLE_SECONDS"] - 5)
    before = snapshot(web_runtime)
    response = mediator.post(f"/mediator/cases/{world.own}/actions/pause",
                             {"reason": "wellbeing", "version": str(world.version(world.own))}, token=token)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert snapshot(web_runtime) == before


# --- deactivation ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "home"), [("mediator", "/mediator/"), ("offender", "/portal/"),
                                           ("staff", "/staff/")])
def test_deactivating_an_account_ends_its_open_session_at_once(browser_for, world: World, web_runtime: Runtime,
                                                              key: str, home: str) -> None:
    person = browser_for(key)
    assert person.get(home).status_code == 200
    token = person.token()
    response = browser_for("admin").post(f"/admin/accounts/{world.users[key]}/deactivate")
    assert response.status_code == 303

    page = person.get(home)
    assert page.status_code == 302
    assert urlsplit(page.headers["Location"]).path == "/login"
    before = snapshot(web_runtime)
    action = {"mediator": (f"/mediator/cases/{world.own}/actions/pause", {"reason": "wellbeing"}),
              "offender": (f"/portal/cases/{world.own}/withdraw", {}),
              "staff": ("/staff/forward", {"willing": "y"})}[key]
    refused = person.post(action[0], action[1], token=token)
    assert refused.status_code == 302
    assert urlsplit(refused.headers["Location"]).path == "/login"
    assert snapshot(web_runtime) == before


# --- login does not reveal which usernames exist ---------------------------------------------------------------

def _login_page(browser: Browser, username: str, password: str) -> tuple[int, str]:
    response = browser.log_in(username, password)
    body = page_text(response).replace(f'value="{username}"', 'value="USERNAME"')
    body = body.replace(csrf_from(body), "TOKEN")
    return response.status_code, body


def test_a_failed_login_looks_the_same_whether_or_not_the_username_exists(browser_for, world: World,
                                                                        web_runtime: Runtime) -> None:
    with web_runtime.transaction() as s:
        staff = s.get(User, world.users["staff"])
        assert staff is not None
        staff.is_active = False  # a deactivated account with the right password
    answers = {
        "unknown user": _login_page(browser_for(None), "nobody.at.all", "some long password"),
        "wrong password": _login_page(browser_for(None), world.usernames["mediator"], "some long password"),
        "deactivated": _login_page(browser_for(None), world.usernames["staff"], PASSWORD),
        "no password set": _login_page(browser_for(None), world.usernames["harmed"], "some long password"),
    }
    statuses = {status for status, _ in answers.values()}
    assert statuses == {400}
    bodies = {body for _, body in answers.values()}
    assert len(bodies) == 1, "the failed-login pages differ"
    assert "The username or password is not right." in bodies.pop()


def test_login_ignores_a_next_parameter_pointing_elsewhere(browser: Browser, world: World) -> None:
    token = csrf_from(page_text(browser.get("/login?next=https://evil.example/")))
    response = browser.post("/login?next=https://evil.example/",
                            {"username": world.usernames["admin"], "password": PASSWORD}, token=token)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")
    assert urlsplit(response.headers["Location"]).path == "/admin/"


def test_the_chosen_language_survives_signing_in(browser: Browser, world: World) -> None:
    browser.post("/language/fr")
    assert '<html lang="fr">' in page_text(browser.get("/login"))
    browser.log_in(world.usernames["offender"])
    assert '<html lang="fr">' in page_text(browser.get("/portal/"))


def test_signing_in_starts_a_fresh_session(browser: Browser, world: World) -> None:
    """Nothing from before signing in is carried over (a planted value and the old CSRF secret are gone)."""
    old_token = browser.token()
    with browser.client.session_transaction() as session:
        session["planted"] = "by someone else"
    browser.log_in(world.usernames["mediator"])
    with browser.client.session_transaction() as session:
        assert "planted" not in session
    refused = browser.post(f"/mediator/cases/{world.own}/actions/pause", {"reason": "wellbeing"}, token=old_token)
    assert refused.status_code == 400


# --- content that must not leak ---------------------------------------------------------------------------------

def test_html_in_content_is_escaped_everywhere_it_is_shown(browser_for, world: World) -> None:
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    offender, mediator, admin = browser_for("offender"), browser_for("mediator"), browser_for("admin")
    offender.post(f"/portal/cases/{world.own}/messages", {"text": script})
    mediator.post(f"/mediator/cases/{world.own}/participants/{world.own_offender}/contact", {"name": script})
    mediator.post(f"/mediator/cases/{world.own}/notes", {"text": script})
    admin.post("/admin/accounts", {"username": "html.person", "display_name": script, "role": "staff"})
    pages = [(mediator, f"/mediator/cases/{world.own}/messages"), (offender, f"/portal/cases/{world.own}/messages"),
             (mediator, f"/mediator/cases/{world.own}/participants/{world.own_offender}/contact"),
             (mediator, f"/mediator/cases/{world.own}/notes"), (admin, "/admin/accounts")]
    for browser, path in pages:
        body = page_text(browser.get(path))
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert "&lt;script&gt;alert(" in body, path


@pytest.mark.parametrize("referrer", ["https://evil.example/phish", "//evil.example/x", "http://localhost.evil/x",
                                      "javascript:alert(1)", "http://localhost@evil.example/"])
def test_a_refused_action_never_redirects_to_another_site(browser_for, world: World, referrer: str) -> None:
    mediator = browser_for("mediator")
    response = mediator.post(f"/mediator/cases/{world.own}/actions/explode", headers={"Referer": referrer})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.scheme in ("", "http")
    assert location.path == "/"


@pytest.mark.parametrize("attempt", [
    "participant opens another case's message through their own case",
    "participant answers another case's message through their own case",
    "mediator reviews another case's message through their own case",
    "mediator reads another case's participant's contact card through their own case",
    "mediator records consent for another case's participant through their own case",
    "mediator streams another case's message as a video through their own case",
])
def test_ids_from_another_case_are_not_found_through_ones_own_case(browser_for, world: World,
                                                                  web_runtime: Runtime, attempt: str) -> None:
    participant, mediator = browser_for("offender"), browser_for("mediator")
    before = snapshot(web_runtime)
    response = {
        "participant opens another case's message through their own case":
            lambda: participant.get(f"/portal/cases/{world.own}/messages/{world.other_message}"),
        "participant answers another case's message through their own case":
            lambda: participant.post(f"/portal/cases/{world.own}/messages/{world.other_message}/answer",
                                     {"trigger": "revise", "text": "hijack"}),
        "mediator reviews another case's message through their own case":
            lambda: mediator.post(f"/mediator/cases/{world.own}/messages/{world.other_message}/review",
                                  {"trigger": "withhold", "reason": "other"}),
        "mediator reads another case's participant's contact card through their own case":
            lambda: mediator.get(f"/mediator/cases/{world.own}/participants/{world.other_harmed}/contact"),
        "mediator records consent for another case's participant through their own case":
            lambda: mediator.post(f"/mediator/cases/{world.own_assessment}/participants/{world.other_harmed}/consent",
                                  {"consent": "declined"}),
        "mediator streams another case's message as a video through their own case":
            lambda: mediator.get(f"/mediator/cases/{world.own}/messages/{world.other_message}/video"),
    }[attempt]()
    assert response.status_code == 404
    body = page_text(response)
    for secret in ALL_CANARIES:
        assert secret not in body
    assert snapshot(web_runtime) == before


def test_the_delivered_message_is_shown_to_its_recipient_only(browser_for, world: World) -> None:
    path = f"/portal/cases/{world.own}/messages/{world.delivered}"
    assert CANARY_DELIVERED in page_text(browser_for("offender").get(path))
    for key in ("harmed", "other_offender", "other_harmed"):
        response = browser_for(key).get(path)
        assert response.status_code == 404
        assert CANARY_DELIVERED not in page_text(response)
