"""Rate limits, through HTTP as a client meets them: the request form, sign-in, activation, and the promise that
nobody can turn the limits into a lockout of the coordinator. Each test builds its own app with limits on (the
shared fixtures turn them off, since the other tests sign in many times)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from config import load_settings
from mediation.models import HeldRequest
from mediation.runtime import Runtime
from tests.web.conftest import PASSWORD, Browser, World, make_app, page_text
from web.limits import client_address

REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRED = os.environ.get("MEDIATION_E2E_REQUIRED", "") not in ("", "0")
REQUEST = {"relationship": "victim", "understood": "y", "name": "Robin", "phone": "555-0142"}


def limited_app(runtime: Runtime, **limits: Any) -> Flask:
    """A new app on this test's runtime with rate limits on: the defaults, or ``limits`` where given."""
    settings = runtime.settings
    return make_app(runtime, replace(settings, rate_limits=replace(settings.rate_limits, enabled=True, **limits)))


def client(app: Flask, world: World, address: str) -> Browser:
    """An anonymous browser whose requests come from ``address``."""
    test_client = app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = address
    return Browser(test_client, world)


def held_count(runtime: Runtime) -> int:
    """Public requests filed (held apart from cases until the coordinator accepts them)."""
    with runtime.transaction() as s:
        return s.scalar(select(func.count(HeldRequest.id))) or 0


def assert_throttled(response, *, at_most: int) -> int:
    """A 429 page that says when to try again, with that delay (in seconds) in Retry-After; returns it."""
    assert response.status_code == 429, response.status_code
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= at_most
    text = page_text(response)
    assert "Too many attempts" in text
    minutes = -(-seconds // 60)
    assert f"Please try again in {minutes} minute" in text
    assert response.headers["Content-Security-Policy"]  # an error page like any other
    return seconds


# --- the public request form ---------------------------------------------------------------------------------

def test_the_request_form_refuses_the_request_after_the_limit_from_one_client(web_runtime, world):
    app = limited_app(web_runtime, request_form="3 per hour")
    flooder = client(app, world, "203.0.113.7")
    before = held_count(web_runtime)
    for _ in range(3):
        assert flooder.post("/request", REQUEST).status_code == 200
    throttled = flooder.post("/request", REQUEST)
    assert_throttled(throttled, at_most=3600)
    assert held_count(web_runtime) == before + 3  # the fourth was not even held

    assert flooder.get("/request").status_code == 200  # reading the form is never limited
    neighbour = client(app, world, "203.0.113.8")
    assert neighbour.post("/request", REQUEST).status_code == 200  # another person is not held back
    assert held_count(web_runtime) == before + 4


def test_the_default_request_form_limit_stops_a_flood(web_runtime, world):
    """The reported flood (300 cases from one client in 4 s) stops at the default limit."""
    app = limited_app(web_runtime)
    flooder = client(app, world, "203.0.113.9")
    statuses = [flooder.post("/request", REQUEST).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3


def test_limits_can_be_switched_off(web_runtime, world):
    settings = web_runtime.settings
    app = make_app(web_runtime, replace(settings, rate_limits=replace(settings.rate_limits, enabled=False,
                                                                      request_form="1 per hour")))
    person = client(app, world, "203.0.113.10")
    assert [person.post("/request", REQUEST).status_code for _ in range(3)] == [200, 200, 200]


# --- signing in ----------------------------------------------------------------------------------------------

def test_a_client_spraying_usernames_is_throttled(web_runtime, world):
    app = limited_app(web_runtime)  # the defaults: 10 failures per 15 minutes per client
    sprayer = client(app, world, "198.51.100.20")
    statuses = [sprayer.log_in(f"someone.{number}", "Spring2026!").status_code for number in range(14)]
    assert statuses == [400] * 10 + [429] * 4
    seconds = assert_throttled(sprayer.log_in("someone.else", "Spring2026!"), at_most=15 * 60)
    assert seconds > 14 * 60  # the first failure leaves the window only 15 minutes after it was made


def test_the_coordinator_signs_in_while_an_attacker_fails_against_her_username(web_runtime, world):
    app = limited_app(web_runtime, sign_in_failures_per_account="3 per 15 minutes",
                      sign_in_failures_global="8 per 15 minutes")
    coordinator = world.usernames["admin"]
    attacker = client(app, world, "198.51.100.30")
    guesses = [attacker.log_in(coordinator, f"guess {n}").status_code for n in range(5)]
    assert guesses == [400, 400, 400, 429, 429]
    # More attackers elsewhere push every failure past the global ceiling.
    for number in range(6):
        assert client(app, world, f"198.51.100.{40 + number}").log_in(f"x{number}", "wrong").status_code == 400
    # A client that keeps failing (half its own allowance of 10) is now refused on any username ...
    keeps_failing = client(app, world, "198.51.100.60")
    assert [keeps_failing.log_in(f"y{n}", "wrong").status_code for n in range(6)] == [400] * 5 + [429]
    # ... while someone who mistyped once is not turned away because others are guessing.
    typo = client(app, world, "192.0.2.70")
    assert typo.log_in(world.usernames["mediator"], "a typo").status_code == 400
    assert typo.log_in(world.usernames["mediator"], PASSWORD).status_code == 302

    her = client(app, world, "192.0.2.50")
    signed_in = her.log_in(coordinator, PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].endswith("/admin/")


def test_successful_sign_ins_are_not_counted_as_failures(web_runtime, world):
    app = limited_app(web_runtime, sign_in_failures="2 per 15 minutes",
                      sign_in_failures_per_account="2 per 15 minutes", sign_in_failures_global="2 per 15 minutes")
    office = client(app, world, "192.0.2.60")
    for _ in range(4):
        assert office.log_in(world.usernames["mediator"], PASSWORD).status_code == 302
        assert office.post("/logout").status_code == 302


def test_every_sign_in_attempt_counts_against_the_clients_own_ceiling(web_runtime, world):
    app = limited_app(web_runtime, sign_in="3 per minute")
    staff = world.usernames["staff"]
    statuses = [client(app, world, "192.0.2.70").log_in(staff, PASSWORD).status_code for _ in range(3)]
    assert statuses == [302, 302, 302]  # e.g. three people in one office, each in their own browser
    assert_throttled(client(app, world, "192.0.2.70").log_in(staff, PASSWORD), at_most=60)
    assert client(app, world, "192.0.2.71").log_in(staff, PASSWORD).status_code == 302


# --- activating a portal account -----------------------------------------------------------------------------

def test_activation_is_limited_per_client(web_runtime, world):
    """Guessing invitation codes from one client is throttled; the person with the real code, elsewhere, is not."""
    app = limited_app(web_runtime, activation="2 per hour")
    guesser = client(app, world, "198.51.100.80")
    assert guesser.post("/activate", {"code": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"}).status_code == 404  # no such code
    assert guesser.post("/activate", {"code": "BBBB-CCCC-DDDD-EEEE-FFFF-GGGG"}).status_code == 404
    assert_throttled(guesser.post("/activate", {"code": world.invitation}), at_most=3600)
    assert guesser.get("/activate").status_code == 200  # the page itself still opens

    invited = client(app, world, "192.0.2.81")
    done = invited.post("/activate", {"code": world.invitation})
    assert done.status_code == 303


def test_guessing_calendar_addresses_is_limited_per_client(web_runtime, world):
    """The calendar feed is a GET with a secret in its address: fetching it counts, per client."""
    app = limited_app(web_runtime, calendar_feed="2 per hour")
    guesser = client(app, world, "198.51.100.90")
    assert guesser.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert guesser.get(f"/calendar/{world.feed_token}.ics").status_code == 200
    assert_throttled(guesser.get(f"/calendar/{world.feed_token}.ics"), at_most=3600)
    assert client(app, world, "192.0.2.91").get(f"/calendar/{world.feed_token}.ics").status_code == 200


# --- who the client is ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("remote", "expected"), [
    ("203.0.113.5", "203.0.113.5"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.5", "203.0.113.5"),
])
def test_a_client_is_its_address_and_an_ipv6_client_its_64_network(fresh_app, remote, expected):
    with fresh_app.test_request_context("/", environ_base={"REMOTE_ADDR": remote}):
        assert client_address() == expected


def _forwarded_app(runtime: Runtime, proxies: int) -> Flask:
    env = {"MEDIATION_DATABASE_URL": runtime.settings.database_url,
           "MEDIATION_INSTANCE_DIR": str(runtime.settings.instance_dir), "MEDIATION_ENV": "test",
           "MEDIATION_PROXY_COUNT": str(proxies), "MEDIATION_RATELIMIT_REQUEST_FORM": "1 per hour"}
    return make_app(runtime, load_settings(env))


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(web_runtime, world):
    proxy = client(_forwarded_app(web_runtime, 1), world, "10.0.0.2")
    first = proxy.post("/request", REQUEST, headers={"X-Forwarded-For": "203.0.113.11"})
    second = proxy.post("/request", REQUEST, headers={"X-Forwarded-For": "203.0.113.12"})
    again = proxy.post("/request", REQUEST, headers={"X-Forwarded-For": "203.0.113.11"})
    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 429)


def test_without_a_trusted_proxy_a_forged_forwarded_header_changes_nothing(web_runtime, world):
    direct = client(_forwarded_app(web_runtime, 0), world, "203.0.113.13")
    assert direct.post("/request", REQUEST, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert direct.post("/request", REQUEST, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


# --- several processes: Redis --------------------------------------------------------------------------------

def _redis_or_skip() -> Callable[[str], None]:
    """A function that deletes this test's keys; skips when Redis does not answer (fails when it is required)."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        reason = f"no Redis at {REDIS_URL} ({error}): start redis-server to test shared rate limits"
        if REQUIRED:
            pytest.fail(f"{reason} (MEDIATION_E2E_REQUIRED is set, so this test may not skip)", pytrace=False)
        pytest.skip(reason)

    def forget(marker: str) -> None:
        for key in connection.scan_iter(match=f"*{marker}*"):
            connection.delete(key)
        connection.close()

    return forget


def test_when_redis_stops_answering_each_process_keeps_counting_in_memory(web_runtime, world):
    app = limited_app(web_runtime, storage_url="redis://127.0.0.1:1/0", request_form="2 per hour")  # nobody there
    person = client(app, world, "203.0.113.90")
    assert [person.post("/request", REQUEST).status_code for _ in range(3)] == [200, 200, 429]


def test_with_redis_several_processes_share_one_count(web_runtime, world):
    forget = _redis_or_skip()
    marker = f"2001:db8:{uuid.uuid4().hex[:4]}:"  # this run's own client, so its keys are its own
    address = f"{marker}:1"
    try:
        # Two apps, as two gunicorn workers would build them, each with its own connection to Redis.
        workers = [limited_app(web_runtime, storage_url=REDIS_URL, request_form="3 per hour") for _ in range(2)]
        statuses = [client(workers[n % 2], world, address).post("/request", REQUEST).status_code for n in range(4)]
        assert statuses == [200, 200, 200, 429]
    finally:
        forget(marker)

    # The same with memory: each worker counts apart, which is why production refuses it with several workers.
    apart = [limited_app(web_runtime, request_form="3 per hour") for _ in range(2)]
    statuses = [client(apart[n % 2], world, address).post("/request", REQUEST).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 200]



def test_guessing_the_current_password_on_the_change_form_is_throttled(web_runtime, world):
    """A session left open must not become a way to guess its owner's password without limit."""
    app = limited_app(web_runtime, sign_in_failures="3 per 15 minutes")
    hijacked = client(app, world, "198.51.100.90").sign_in("mediator")
    wrong = {"current": "not the password", "password": "quiet harbour lantern seventeen",
             "confirm": "quiet harbour lantern seventeen"}
    statuses = [hijacked.post("/account/password", wrong).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
