"""Who may reach which page of the circles (blueprint ``circles``), for every route and every kind of visitor.

Nobody reaches a circle through their account's role: the coordinator and supervising staff by grant, the
volunteers by membership, the core member by the account linked to the circle. For each route and principal the
exact status is asserted:

- anonymous: a redirect to the login page;
- someone with no place in the circle (another circle's volunteer or core member, a mediator without a grant,
  referring staff, the outer circle's staff account): 404, exactly as for a circle that does not exist;
- someone with a place in it but not the one who may do this: 403;
- the one who may: 200, or 303 to where the action leads (a refusal of the rules also comes back as 303, with
  its message flashed; the refusals themselves are tested in tests/integration/test_circles.py).

Every response is searched for sealed content the principal may not read: minutes, concerns, the escalation,
the request, the outer circle's names, and the other circle's minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.web.circles.world import (
    ALL_CIRCLE_CANARIES,
    CANARY_ESCALATION,
    CANARY_OTHER_MINUTES,
    CANARY_OUTER,
    CANARY_REQUEST,
    OWN_CANARIES,
    CirclesWorld,
)
from tests.web.conftest import Browser, page_text, route_pairs

PRINCIPALS = ("anonymous", "coordinator", "supervisor", "volunteer", "core", "other_volunteer", "other_core",
              "mediator", "admin", "staff", "outer_staff")  # admin: mediation's coordinator, no circles role
PLACED = {"coordinator", "supervisor", "volunteer", "core"}  # in the ``active`` circle
TEAM = {"coordinator", "supervisor", "volunteer"}

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "anonymous": ALL_CIRCLE_CANARIES,
    "coordinator": (),
    "supervisor": (CANARY_REQUEST, CANARY_OUTER, CANARY_OTHER_MINUTES),
    "volunteer": (CANARY_REQUEST, CANARY_OUTER, CANARY_OTHER_MINUTES),
    "core": ALL_CIRCLE_CANARIES,
    "other_volunteer": OWN_CANARIES,
    "other_core": ALL_CIRCLE_CANARIES,
    "mediator": ALL_CIRCLE_CANARIES,
    "admin": ALL_CIRCLE_CANARIES,
    "staff": ALL_CIRCLE_CANARIES,
    "outer_staff": ALL_CIRCLE_CANARIES,
}
STATE_WORDS = re.compile(r"\b(forming|active|renewal|paused|ended|declined|withdrawn|assessment)\b|data-state",
                         re.IGNORECASE)


@dataclass(frozen=True)
class CircleRoute:
    """One (endpoint, method) of the circles and a request to it; ``allowed`` maps who may to the status they
    get. ``scoped`` routes act on the ``active`` circle: no place in it answers 404, a place without the right
    answers 403; on the others, everyone not allowed gets 403."""

    endpoint: str
    method: str
    path: Callable[[CirclesWorld], str]
    allowed: dict[str, int]
    data: Callable[[CirclesWorld], dict[str, Any]] = field(default=lambda w: {})
    scoped: bool = True
    others: int | None = None  # what everyone else signed in gets, when it is not the usual 404 / 403

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.method}"


def _c(suffix: str = "") -> Callable[[CirclesWorld], str]:
    return lambda w: f"/circles/{w.active}{suffix}"


def _m(which: str, suffix: str = "") -> Callable[[CirclesWorld], str]:
    return lambda w: f"/circles/{w.active}/meetings/{getattr(w, which)}{suffix}"


EVERYONE_SIGNED_IN = {p: 200 for p in PRINCIPALS if p != "anonymous"}
STAFF_ONLY = {"staff": 200, "outer_staff": 200}

ROUTES: tuple[CircleRoute, ...] = (
    CircleRoute("circles.home", "GET", lambda w: "/circles/", EVERYONE_SIGNED_IN, scoped=False),
    CircleRoute("circles.overdue", "GET", lambda w: "/circles/overdue", {"coordinator": 200}, scoped=False),
    CircleRoute("circles.forwarded", "GET", lambda w: "/circles/forwarded", STAFF_ONLY, scoped=False),
    CircleRoute("circles.forward", "GET", lambda w: "/circles/forward", STAFF_ONLY, scoped=False),
    CircleRoute("circles.forward", "POST", lambda w: "/circles/forward", {"staff": 303, "outer_staff": 303},
                data=lambda w: {"note": "A. asks for a circle."}, scoped=False),
    CircleRoute("circles.record_request", "POST", lambda w: "/circles/requests", {"coordinator": 303},
                data=lambda w: {"note": "B. asks for a circle."}, scoped=False),
    CircleRoute("circles.registry", "GET", lambda w: "/circles/volunteers", {"coordinator": 200}, scoped=False),
    CircleRoute("circles.volunteer_application", "POST", lambda w: f"/circles/volunteers/{w.new_volunteer}/application",
                {"coordinator": 303}, data=lambda w: {"on": "2026-01-05"}, scoped=False),
    CircleRoute("circles.volunteer_step", "POST", lambda w: f"/circles/volunteers/{w.applied_volunteer}/steps",
                {"coordinator": 303}, data=lambda w: {"step": "interview", "on": "2026-11-01"}, scoped=False),
    CircleRoute("circles.circle", "GET", _c(), {p: 200 for p in PLACED}),
    CircleRoute("circles.act", "POST", _c("/actions"), {"supervisor": 303},
                data=lambda w: {"trigger": "pause", "reason": "other", "version": str(w.version)}),
    CircleRoute("circles.withdraw", "GET", _c("/withdraw"), {"core": 200}),
    CircleRoute("circles.link_core_member", "POST", _c("/core-member"), {"coordinator": 303},
                data=lambda w: {"username": "core.member"}),
    CircleRoute("circles.invite_core_member", "POST", lambda w: f"/circles/{w.forwarded}/invite-core-member",
                {"coordinator": 200}, scoped=False, others=404),  # a request: nobody else has a place in it yet
    CircleRoute("circles.supervisor", "POST", _c("/supervisor"), {"coordinator": 303},
                data=lambda w: {"user_id": str(w.users["supervisor"])}),
    CircleRoute("circles.add_volunteer", "POST", _c("/volunteers"), {"coordinator": 303},
                data=lambda w: {"user_id": str(w.users["free_volunteer"])}),
    CircleRoute("circles.renew", "POST", _c("/renew"), {"coordinator": 303}),
    CircleRoute("circles.renewal_wish", "POST", _c("/renewal-wish"), {"core": 303}, data=lambda w: {"wish": "renew"}),
    CircleRoute("circles.request_note", "GET", _c("/request"), {"coordinator": 200}),
    CircleRoute("circles.outer_circle", "GET", _c("/outer"), {"coordinator": 200}),
    CircleRoute("circles.outer_circle", "POST", _c("/outer"), {"coordinator": 303},
                data=lambda w: {"role": "therapist", "name": "Dr Who", "organisation": ""}),
    CircleRoute("circles.concern_list", "GET", _c("/concerns"), {p: 200 for p in TEAM}),
    CircleRoute("circles.acknowledge", "POST", lambda w: f"/circles/{w.active}/concerns/{w.concern}/acknowledge",
                {"supervisor": 303}, data=lambda w: {"escalated_to": "x"}),
    CircleRoute("circles.plan_meeting", "POST", _c("/meetings"), {"coordinator": 303, "volunteer": 303},
                data=lambda w: {"day": "2099-01-01", "at": "18:00"}),
    CircleRoute("circles.meeting", "GET", _m("held"), {p: 200 for p in TEAM}),
    CircleRoute("circles.hold_meeting", "POST", _m("planned", "/hold"), {"coordinator": 303, "volunteer": 303},
                data=lambda w: {f"attendee_{w.users['volunteer']}": "on"}),
    CircleRoute("circles.cancel_meeting", "POST", _m("planned", "/cancel"), {"coordinator": 303, "volunteer": 303}),
    CircleRoute("circles.minutes", "POST", _m("waiting", "/minutes"), {"volunteer": 303},
                data=lambda w: {"minutes": "We met."}),
    CircleRoute("circles.raise_concern", "POST", _m("waiting", "/concerns"), {"volunteer": 303},
                data=lambda w: {"concern": "Tired.", "serious": ""}),
)


def expected(route: CircleRoute, principal: str) -> int:
    if principal == "anonymous":
        return 302
    if principal in route.allowed:
        return route.allowed[principal]
    if route.others is not None:
        return route.others
    if route.scoped and principal not in PLACED:
        return 404
    return 403


def send(browser: Browser, route: CircleRoute, world: CirclesWorld, path: str | None = None) -> Any:
    target = path or route.path(world)
    if route.method == "GET":
        return browser.get(target)
    return browser.post(target, route.data(world))


def test_the_matrix_covers_every_route_of_the_circles(circles_app: Flask) -> None:
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert len(listed) == len(ROUTES)
    assert {pair for pair in route_pairs(circles_app) if pair[0].startswith("circles.")} == listed


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_each_principal_gets_exactly_the_expected_answer(circles_browser_for, circles_world: CirclesWorld,
                                                         route: CircleRoute, principal: str) -> None:
    browser = circles_browser_for(None if principal == "anonymous" else principal)
    response = send(browser, route, circles_world)
    status = expected(route, principal)
    assert response.status_code == status, page_text(response)[:1500]
    if status == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
    body = page_text(response)
    leaked = [secret for secret in FORBIDDEN[principal] if secret in body]
    assert not leaked, f"{principal} was shown {leaked}"
    if principal in ("staff", "outer_staff") and status == 200:
        assert not STATE_WORDS.search(body), STATE_WORDS.search(body)


OUTSIDERS = ("other_volunteer", "other_core", "mediator", "admin", "staff", "outer_staff")


@pytest.mark.parametrize("principal", OUTSIDERS)
@pytest.mark.parametrize("route", [r for r in ROUTES if r.scoped], ids=[r.id for r in ROUTES if r.scoped])
def test_a_circle_without_a_place_answers_exactly_like_one_that_does_not_exist(
        circles_browser_for, circles_world: CirclesWorld, route: CircleRoute, principal: str) -> None:
    browser = circles_browser_for(principal)
    real = send(browser, route, circles_world)
    missing = send(browser, route, circles_world,
                   path=route.path(circles_world).replace(circles_world.active, "CS-2020-99999"))
    assert real.status_code == missing.status_code == 404

    def scrub(text: str) -> str:
        text = re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', "", text)
        return text.replace(circles_world.active, "REF").replace("CS-2020-99999", "REF")

    assert scrub(page_text(real)) == scrub(page_text(missing))


def test_the_allowed_readers_do_see_the_sealed_content(circles_browser_for, circles_world: CirclesWorld) -> None:
    """Not vacuous: each canary comes back, decrypted, on the page where it belongs."""
    w = circles_world
    coordinator = circles_browser_for("coordinator")
    assert CANARY_REQUEST in page_text(coordinator.get(f"/circles/{w.forwarded}/request"))
    assert CANARY_OUTER in page_text(coordinator.get(f"/circles/{w.active}/outer"))
    supervisor = circles_browser_for("supervisor")
    concerns_page = page_text(supervisor.get(f"/circles/{w.active}/concerns"))
    assert CANARY_ESCALATION in concerns_page and "Canary-circle-concern" in concerns_page
    assert "Canary-circle-minutes" in page_text(circles_browser_for("volunteer").get(
        f"/circles/{w.active}/meetings/{w.held}"))
    assert CANARY_OTHER_MINUTES in page_text(circles_browser_for("other_volunteer").get(
        f"/circles/{w.other}/meetings/{w.held}".replace(w.held, _other_meeting(circles_browser_for, w))))


def _other_meeting(circles_browser_for, w: CirclesWorld) -> str:
    page = page_text(circles_browser_for("other_volunteer").get(f"/circles/{w.other}"))
    match = re.search(rf"/circles/{w.other}/meetings/([0-9a-f]{{32}})", page)
    assert match
    return match.group(1)


def test_every_post_route_of_the_circles_checks_csrf(circles_browser_for, circles_world: CirclesWorld) -> None:
    for route in ROUTES:
        if route.method != "POST":
            continue
        key = next(iter(route.allowed))
        browser = circles_browser_for(key)
        response = browser.post(route.path(circles_world), route.data(circles_world), csrf=False)
        assert response.status_code == 400, route.id


FIELDS = ("trigger", "reason", "version", "user_id", "username", "note", "day", "at", "role", "name", "organisation",
          "staff_user_id", "minutes", "concern", "serious", "escalated_to", "wish", "on", "step", "attendee_1")
FULL_WIDTH_DATE = "\uff12\uff10\uff12\uff16-\uff10\uff11-\uff10\uff11"  # 2026-01-01 in full-width digits
JUNK = ("x" * 30_000, "\x00", "-1", "99999999999999999999", FULL_WIDTH_DATE, "'; DROP TABLE cases; --", "\u202e",
        "<script>alert(1)</script>", "")


@pytest.mark.parametrize("junk", JUNK, ids=[f"junk{n}" for n in range(len(JUNK))])
def test_junk_in_every_field_of_every_form_never_makes_a_server_error(circles_browser_for,
                                                                      circles_world: CirclesWorld, junk: str) -> None:
    """Whoever may post each form, with every field it could read set to the same junk: a refusal, never a 500,
    and never the junk echoed unescaped."""
    for route in ROUTES:
        if route.method != "POST":
            continue
        browser = circles_browser_for(next(iter(route.allowed)))
        response = browser.post(route.path(circles_world), dict.fromkeys(FIELDS, junk))
        assert response.status_code < 500, (route.id, page_text(response)[:500])
        assert "<script>alert(1)</script>" not in page_text(response)
        if response.status_code in (302, 303):
            assert "<script>alert(1)</script>" not in page_text(browser.follow(response))
