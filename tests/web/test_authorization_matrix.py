"""Who may reach which page (DESIGN.md section 3), for every route of the app and every kind of visitor.

For each (endpoint, method) and each principal the exact status is asserted:

- anonymous on a role's pages: a redirect to the login page (never the page, never a 403 that confirms it exists);
- a signed-in user of another role: 403;
- the right role on someone else's case: 404, exactly as for a case that does not exist (never 403);
- the right role on their own case: 200, or a redirect to where the action leads (never a refusal sent back).

Every response is also searched for content the principal may not see: sealed message text, notes and contact
details of cases that are not theirs, and, for referring staff, the case's progress and its mediator.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.web.conftest import (
    ALL_CANARIES,
    CANARY_HARMED_ADDRESS,
    CANARY_NOTE,
    MEDIATOR_NAME,
    MEETING_CANARIES,
    OTHER_CANARIES,
    OTHER_MEDIATOR_NAME,
    ROLE_HOME,
    ROUTES,
    Browser,
    Route,
    World,
    page_text,
    route_pairs,
    send,
)

# principal -> (world account key or None, acting on someone else's case?)
PRINCIPALS: dict[str, tuple[str | None, bool]] = {
    "anonymous": (None, False),
    "admin": ("admin", False),
    "mediator_own": ("mediator", False),
    "mediator_other": ("mediator", True),
    "staff_own": ("staff", False),
    "staff_other": ("staff", True),
    "participant_own": ("offender", False),
    "participant_other": ("offender", True),
}
ROLE_OF = {"admin": "admin", "mediator": "mediator", "staff": "staff", "offender": "participant"}
AREA_ROLE = {"admin": "admin", "mediator": "mediator", "staff": "staff", "portal": "participant"}
OPEN_AREAS = {"public", "auth", "two_factor", "static", "health"}
SIGNED_IN_AREAS = {"account"}  # each signed-in person's own account, whatever their role

# What each principal may never read, whatever the page.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "anonymous": ALL_CANARIES,
    "admin": ALL_CANARIES,
    "staff_own": (*ALL_CANARIES, MEDIATOR_NAME, OTHER_MEDIATOR_NAME, "mediator.one", "mediator.two"),
    "staff_other": (*ALL_CANARIES, MEDIATOR_NAME, OTHER_MEDIATOR_NAME, "mediator.one", "mediator.two"),
    "mediator_own": OTHER_CANARIES,
    "mediator_other": OTHER_CANARIES,
    # the offender: never the other case, the harmed party's contact card, or the mediator's notes
    "participant_own": (*OTHER_CANARIES, CANARY_HARMED_ADDRESS, CANARY_NOTE, *MEETING_CANARIES),
    "participant_other": (*OTHER_CANARIES, CANARY_HARMED_ADDRESS, CANARY_NOTE, *MEETING_CANARIES),
}
# Case progress referring staff must never see (the firewall of DESIGN.md section 1): codes and their labels.
STATE_WORDS = re.compile(
    r"\b(requested|assessment|preparation|dialogue|closing|paused|closed|completed|withdrawn|declined|ineligible|"
    r"face to face|in writing|by video message|relayed by the mediator)\b|data-state", re.IGNORECASE)


def expected(route: Route, principal: str, world: World) -> tuple[int, str | None]:
    """The status ``principal`` must get from ``route``, and the path a redirect must lead to."""
    key, other = PRINCIPALS[principal]
    done = route.done(world) if route.done else None
    if route.area == "account":  # every signed-in person's own account page
        return (302, "/login") if key is None else (route.ok, done)
    if route.area in OPEN_AREAS:
        if route.endpoint == "auth.login" and key is not None:
            return 302, ROLE_HOME[ROLE_OF[key]]  # already signed in: straight to their home
        return route.ok, done
    if key is None:
        return 302, "/login"
    if route.area in SIGNED_IN_AREAS:
        return route.ok, done
    if ROLE_OF[key] != AREA_ROLE[route.area]:
        return 403, None
    if route.scoped and other:
        return 404, None
    return route.ok, done


# The other programmes' pages answer to roles given per programme, not to the account's own role: each has its
# own matrix (tests/web/test_circles_matrix.py, tests/web/test_training_matrix.py) that covers its blueprint.
PROGRAMME_BLUEPRINTS = ("circles.", "training.", "referrals.", "directory.")  # each with a matrix of its own


def test_the_matrix_covers_every_route_of_the_app(app: Flask) -> None:
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert len(listed) == len(ROUTES), "a route is listed twice"
    mediation_routes = {pair for pair in route_pairs(app) if not pair[0].startswith(PROGRAMME_BLUEPRINTS)}
    assert mediation_routes - listed == set(), "routes without a row in the authorization matrix"
    assert listed - route_pairs(app) == set(), "rows for routes the app does not have"


@pytest.mark.parametrize("principal", list(PRINCIPALS))
@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_each_principal_gets_exactly_the_expected_answer(browser: Browser, world: World, route: Route,
                                                         principal: str) -> None:
    key, other = PRINCIPALS[principal]
    if key is not None:
        browser.sign_in(key)
    status, location = expected(route, principal, world)

    response = send(browser, route, other=other)

    assert response.status_code == status, page_text(response)[:2000]
    if location is not None:
        assert urlsplit(response.headers["Location"]).path == location
    body = page_text(response)
    leaked = [secret for secret in FORBIDDEN[principal] if secret in body]
    assert not leaked, f"{principal} was shown {leaked}"
    if principal.startswith("staff") and status == 200 and route.area == "staff":
        assert not STATE_WORDS.search(body), STATE_WORDS.search(body)


SCOPED = [pytest.param(route, principal, id=f"{route.id}-{principal}") for route in ROUTES if route.scoped
          for principal in ("mediator_other", "participant_other")
          if AREA_ROLE[route.area] == ROLE_OF[PRINCIPALS[principal][0] or ""]]


@pytest.mark.parametrize(("route", "principal"), SCOPED)
def test_someone_elses_case_answers_exactly_like_a_case_that_does_not_exist(browser: Browser, world: World,
                                                                           route: Route, principal: str) -> None:
    """Same status, same page: nothing tells a real case of someone else from a reference that matches nothing."""
    browser.sign_in(PRINCIPALS[principal][0] or "")
    real = send(browser, route, other=True)
    missing = send(browser, route, other=True, path=route.path(world, True).replace(world.other, "RO-2020-99999"))
    assert real.status_code == missing.status_code == 404

    def scrub(text: str) -> str:
        text = re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', "", text)
        return text.replace(world.other, "REF").replace("RO-2020-99999", "REF")

    assert scrub(page_text(real)) == scrub(page_text(missing))


def test_signed_in_roles_are_sent_home_from_the_login_page(browser_for) -> None:
    for key, role in ROLE_OF.items():
        response = browser_for(key).get("/login")
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == ROLE_HOME[role]


def test_the_harmed_party_never_sees_the_offenders_contact_card_or_unapproved_words(browser_for, world: World) -> None:
    """The other participant of the same case: the offender's pending and returned messages, their card, and the
    mediator's notes never reach the harmed party, on any page the harmed party can open."""
    from tests.web.conftest import CANARY_OFFENDER_ADDRESS, CANARY_PENDING, CANARY_RETURNED, CANARY_REVIEW_NOTE

    harmed = browser_for("harmed")
    base = f"/portal/cases/{world.own}"
    pages = ["/portal/", f"{base}/messages", f"{base}/withdraw", f"{base}/messages/{world.pending}",
             f"{base}/messages/{world.returned}", f"{base}/messages/{world.delivered}"]
    for path in pages:
        body = page_text(harmed.get(path))
        for secret in (CANARY_OFFENDER_ADDRESS, CANARY_PENDING, CANARY_RETURNED, CANARY_REVIEW_NOTE, CANARY_NOTE,
                       *OTHER_CANARIES):
            assert secret not in body, (path, secret)
    # what the harmed party wrote, they see (and it was delivered); a message they sent is not one they "open"
    assert "Canary-delivered" in page_text(harmed.get(f"/portal/cases/{world.own}/messages"))
    assert harmed.get(f"/portal/cases/{world.own}/messages/{world.delivered}").status_code == 404
    assert harmed.get(f"/portal/cases/{world.own}/messages/{world.pending}").status_code == 404
