"""The wall between organisations (issue 11) on every page that takes an id or a reference.

Each existing web world (mediation's, the circles', the training programme's) gets a second organisation "b",
with an account of each kind holding the programme roles its pages need. Every GET route of the mediation,
admin, staff, portal, circles and training blueprints that names one of the first organisation's objects,
requested by b's account of the kind the page is for, answers exactly like a reference or id that matches
nothing; and b's lists show none of the first organisation's references or accounts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from mediation.models import Case, Participant
from mediation.organisation_keys import add_organisation_with_keys
from mediation.runtime import Runtime
from mediation.services import programme_roles, users
from tests.integration.circles_steps import register_volunteer
from tests.integration.training_world import TrainingWorld, build_training_world
from tests.integration.web_sessions import client_signed_in_as
from tests.web.circles.test_circles_matrix import ROUTES as CIRCLE_ROUTES
from tests.web.circles.world import (  # noqa: F401 - the circles' world fixtures, asked for by name below
    CirclesWorld,
    circles_app,
    circles_runtime,
    circles_shared_app,
    circles_world,
    circles_world_template,
)
from tests.web.conftest import ACCOUNTS, ROUTES, World, page_text
from workflows.programmes import CIRCLES, RESOCIALISATION

KINDS = ("admin", "mediator", "staff", "participant", "volunteer")
# The kind of account each area's pages are for.
AREA_KIND = {"admin": "admin", "mediator": "mediator", "staff": "staff", "portal": "participant"}
CSRF = re.compile(r'name="csrf_token"([^>]*)value="[^"]+"')


@dataclass(frozen=True)
class OrganisationB:
    """Organisation b's accounts by kind: its coordinator coordinates both programmes, its staff member supervises
    circles and refers training clients, its mediator is an activation worker."""

    ids: dict[str, int]

    def client(self, app: Flask, kind: str) -> FlaskClient:
        return client_signed_in_as(app, self.ids[kind])


def add_organisation_b(runtime: Runtime) -> OrganisationB:
    organisation_id, _ = add_organisation_with_keys(runtime, "b", "Organisation B")  # with b's own KEK
    with runtime.transaction() as s:
        made = {kind: users.create_user(s, None, username=f"b.{kind}", display_name=f"B {kind}", role=kind,
                                        password=None, organisation_id=organisation_id) for kind in KINDS}
    with runtime.transaction() as s:
        admin = made["admin"]
        for user, programme, role in ((admin, CIRCLES, "coordinator"), (made["staff"], CIRCLES, "supervising_staff"),
                                      (admin, RESOCIALISATION, "coordinator"),
                                      (made["mediator"], RESOCIALISATION, "activation_worker"),
                                      (made["staff"], RESOCIALISATION, "referring_officer")):
            programme_roles.grant(s, admin, user.id, programme, role)
    register_volunteer(runtime, admin, made["volunteer"])
    return OrganisationB({kind: user.id for kind, user in made.items()})


def _references(world: object, pattern: str) -> set[str]:
    """Every reference of the first organisation the world holds."""
    whole = re.compile(pattern)
    return {value for value in vars(world).values() if isinstance(value, str) and whole.fullmatch(value)}


def _scrubbed(text: str, references: Iterable[str], missing: str) -> str:
    text = CSRF.sub("", text)
    for reference in (*references, missing):
        text = text.replace(reference, "REF")
    return text


def assert_answers_like_missing(client: FlaskClient, path: str, pattern: str, missing: str) -> None:
    """The page of the first organisation's object and the page of a reference that matches nothing are the same
    404 (the first organisation's references in the path replaced)."""
    found = re.findall(pattern, path)
    assert found, path
    real, nothing = client.get(path), client.get(re.sub(pattern, missing, path))
    assert (real.status_code, nothing.status_code) == (404, 404), (path, real.status_code, nothing.status_code)
    assert _scrubbed(page_text(real), found, missing) == _scrubbed(page_text(nothing), found, missing)


# --- mediation: the admin, mediator, staff and portal blueprints ----------------------------------------------

MEDIATION_REFERENCE = r"RO-\d{4}-\d{5,12}"
MISSING_CASE = "RO-2020-99999"
SCOPED = [route for route in ROUTES if route.method == "GET" and route.scoped and route.area in AREA_KIND]
# The programme-roles page names an account: tested below, on every account of the first organisation.
LISTS = [route for route in ROUTES if route.method == "GET" and not route.scoped and route.area in AREA_KIND
         and route.endpoint != "admin.programme_roles"]
# The first organisation's people, as b's pages would name them (usernames and display names).
FIRST_PEOPLE = tuple(name for username, display, _, _ in ACCOUNTS.values() for name in (username, display)
                     if "." in name or " " in name)


@pytest.fixture
def b_site(web_runtime: Runtime) -> OrganisationB:
    """Organisation b, its mediator and participant also tied by stray ids to every case of the first organisation
    (rows written around the services): the wall alone keeps the cases from them."""
    b = add_organisation_b(web_runtime)
    with web_runtime.transaction() as s:
        s.execute(update(Case).where(Case.assigned_mediator_id != b.ids["mediator"])
                  .values(co_mediator_id=b.ids["mediator"]))
        s.execute(update(Participant).values(user_id=b.ids["participant"]))
    return b


def test_the_matrix_names_every_page_of_a_case() -> None:
    assert {route.area for route in SCOPED} == {"mediator", "portal"}
    assert len(SCOPED) >= 20 and len(LISTS) >= 15


@pytest.mark.parametrize("route", SCOPED, ids=[route.id for route in SCOPED])
def test_a_case_page_of_the_first_organisation_answers_b_like_a_missing_case(app: Flask, world: World,
                                                                             b_site: OrganisationB, route) -> None:
    client = b_site.client(app, AREA_KIND[route.area])
    assert_answers_like_missing(client, route.path(world, False), MEDIATION_REFERENCE, MISSING_CASE)


@pytest.mark.parametrize("route", LISTS, ids=[route.id for route in LISTS])
def test_bs_lists_show_nothing_of_the_first_organisation(app: Flask, world: World, b_site: OrganisationB,
                                                         route) -> None:
    client = b_site.client(app, AREA_KIND[route.area])
    answer = client.get(route.path(world, False))
    assert answer.status_code == route.ok, page_text(answer)[:2000]
    body = page_text(answer)
    shown = [reference for reference in _references(world, MEDIATION_REFERENCE) if reference in body]
    assert shown == []
    assert world.held_receipt not in body
    assert [name for name in FIRST_PEOPLE if name in body] == []


def test_an_account_of_the_first_organisation_answers_bs_coordinator_like_a_missing_one(
        app: Flask, world: World, b_site: OrganisationB) -> None:
    client = b_site.client(app, "admin")
    for user_id in world.users.values():
        real = client.get(f"/admin/accounts/{user_id}/programmes")
        nothing = client.get("/admin/accounts/2147483000/programmes")
        assert (real.status_code, nothing.status_code) == (404, 404)
        assert (CSRF.sub("", page_text(real)).replace(f"/accounts/{user_id}/", "/accounts/ID/")
                == CSRF.sub("", page_text(nothing)).replace("/accounts/2147483000/", "/accounts/ID/"))
    own = client.get(f"/admin/accounts/{b_site.ids['mediator']}/programmes")
    assert own.status_code == 200  # not vacuous: b's own account's page opens


def test_bs_accounts_list_shows_its_own_accounts(app: Flask, b_site: OrganisationB) -> None:
    body = page_text(b_site.client(app, "admin").get("/admin/accounts"))
    assert all(f"b.{kind}" in body for kind in KINDS)


# --- circles --------------------------------------------------------------------------------------------------

CIRCLE_REFERENCE = r"CS-\d{4}-\d{5,12}"
MISSING_CIRCLE = "CS-2020-99999"
# Who in b stands for each place in a circle.
PLACE_KIND = {"coordinator": "admin", "supervisor": "staff", "volunteer": "volunteer", "core": "participant"}
CIRCLE_PAGES = [route for route in CIRCLE_ROUTES if route.method == "GET" and route.scoped]


def _circles(request: pytest.FixtureRequest) -> tuple[Flask, CirclesWorld, OrganisationB]:
    """The circles' world copied for this test, with organisation b added."""
    app, world = request.getfixturevalue("circles_app"), request.getfixturevalue("circles_world")
    return app, world, add_organisation_b(request.getfixturevalue("circles_runtime"))


@pytest.mark.parametrize("route", CIRCLE_PAGES, ids=[route.id for route in CIRCLE_PAGES])
def test_a_circle_page_of_the_first_organisation_answers_b_like_a_missing_circle(request: pytest.FixtureRequest,
                                                                                 route) -> None:
    app, world, b = _circles(request)
    places = [p for p, status in route.allowed.items() if status == 200 and p in PLACE_KIND]
    assert places
    for place in places:
        assert_answers_like_missing(b.client(app, PLACE_KIND[place]), route.path(world),
                                    CIRCLE_REFERENCE, MISSING_CIRCLE)


def test_bs_circles_lists_show_nothing_of_the_first_organisation(request: pytest.FixtureRequest) -> None:
    app, world, b = _circles(request)
    references = _references(world, CIRCLE_REFERENCE)
    assert references
    for kind, path in (("admin", "/circles/"), ("admin", "/circles/overdue"), ("admin", "/circles/volunteers"),
                       ("staff", "/circles/"), ("staff", "/circles/forwarded"), ("participant", "/portal/")):
        answer = b.client(app, kind).get(path)
        assert answer.status_code == 200, (kind, path)
        body = page_text(answer)
        assert [r for r in references if r in body] == [], (kind, path)
    registry = page_text(b.client(app, "admin").get("/circles/volunteers"))
    assert "b.volunteer" in registry and "vol.1" not in registry and "vol.new" not in registry


# --- training -------------------------------------------------------------------------------------------------

CLIENT_REFERENCE = r"RT-\d{4}-\d{5,12}"
MISSING_CLIENT = "RT-2020-99999"
ROLE_KIND = {"coordinator": "admin", "worker": "mediator", "officer": "staff", "client": "participant"}


@pytest.fixture
def training_world(runtime: Runtime, actors) -> TrainingWorld:
    return build_training_world(runtime, actors)


@pytest.fixture
def training_app(runtime: Runtime) -> Flask:
    from web import create_app

    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def _training_pages() -> list[tuple[str, Callable[[TrainingWorld], str], str]]:
    from tests.web.test_training_matrix import ROUTES as TRAINING_ROUTES

    return [(route.endpoint, route.path, role) for route in TRAINING_ROUTES if route.method == "GET"
            for role, status in route.expected.items() if status == 200 and role in ROLE_KIND
            and route.endpoint not in ("training.home", "training.enrol", "training.referrals")]


def test_a_client_page_of_the_first_organisation_answers_b_like_a_missing_client(
        training_app: Flask, runtime: Runtime, training_world: TrainingWorld) -> None:
    b = add_organisation_b(runtime)
    pages = _training_pages()
    assert len(pages) >= 8
    for _, path, role in pages:
        assert_answers_like_missing(b.client(training_app, ROLE_KIND[role]), path(training_world),
                                    CLIENT_REFERENCE, MISSING_CLIENT)


def test_bs_training_lists_and_choosers_show_nothing_of_the_first_organisation(
        training_app: Flask, runtime: Runtime, training_world: TrainingWorld) -> None:
    b = add_organisation_b(runtime)
    references = {training_world.own, training_world.certified, training_world.other}
    for kind, path in (("admin", "/training/"), ("mediator", "/training/"), ("staff", "/training/referrals"),
                       ("participant", "/portal/")):
        answer = b.client(training_app, kind).get(path)
        assert answer.status_code == 200, (kind, path)
        assert [r for r in references if r in page_text(answer)] == [], (kind, path)
    chooser = page_text(b.client(training_app, "admin").get("/training/enrol"))
    people = training_world.people
    assert "B mediator" in chooser and "B staff" in chooser
    assert people.worker.display_name not in chooser and people.officer.display_name not in chooser
