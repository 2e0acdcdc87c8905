"""The network's pages (blueprint "directory", /network): every route for every kind of visitor, own and other
organisation, with the exact status; junk in every field of every form; CSRF on every form; and what the pages
say. The world is a small network built through the services (tests/integration/directory_world.py), on SQLite
and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from mediation.db import Base
from mediation.models import PartnerService
from tests.integration.directory_world import Network, add, build_network, service
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from, route_pairs
from web import create_app

PRINCIPALS = ("anonymous", "coordinator", "other_coordinator", "mediator", "staff", "participant", "volunteer")
NOBODY = {"coordinator": 403, "other_coordinator": 403, "mediator": 403, "staff": 403, "participant": 403,
          "volunteer": 403}


def only(**allowed: int) -> dict[str, int]:
    """Every signed-in principal refused (403) but those named."""
    return {**NOBODY, **allowed}


WORKERS = only(coordinator=200, other_coordinator=200, mediator=200, staff=200)
COORDINATORS = only(coordinator=200, other_coordinator=200)
# The north coordinator's own service: theirs to change; the south coordinator gets what a missing one gets.
OWN_PAGE = only(coordinator=200, other_coordinator=404)
OWN_ACTION = only(coordinator=303, other_coordinator=404)


@dataclass
class World:
    network: Network
    own: int  # a service of the north organisation (the coordinator's)
    quiet: int  # a deactivated one of north
    canaries: dict[str, str] = field(default_factory=dict)


def form(**change: str) -> dict[str, str]:
    values = {"kind": "housing", "custody_stage": "after_release", "area": "Cluj", "language_ro": "yes",
              "language_hu": "yes", "description": "Rooms.", "contact": "0264 000 000"}
    return {key: value for key, value in {**values, **change}.items() if value is not None}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


ROUTES = (
    Route("directory.directory", "GET", lambda w: "/network/directory?kind=housing&area=tim", WORKERS),
    Route("directory.services", "GET", lambda w: "/network/services", COORDINATORS),
    Route("directory.new_service", "GET", lambda w: "/network/services/new", COORDINATORS),
    Route("directory.add_service", "POST", lambda w: "/network/services/new",
          only(coordinator=303, other_coordinator=303), lambda w: form()),
    Route("directory.service", "GET", lambda w: f"/network/services/{w.own}", OWN_PAGE),
    Route("directory.edit_service", "POST", lambda w: f"/network/services/{w.own}", OWN_ACTION,
          lambda w: form(area="Timiș")),
    Route("directory.deactivate_service", "POST", lambda w: f"/network/services/{w.own}/deactivate", OWN_ACTION),
    Route("directory.reactivate_service", "POST", lambda w: f"/network/services/{w.quiet}/reactivate",
          OWN_ACTION),
    Route("directory.indicators_page", "GET", lambda w: "/network/indicators", COORDINATORS),
    Route("directory.network_page", "GET", lambda w: "/network/indicators/network", COORDINATORS),
)


@pytest.fixture
def world(runtime) -> World:
    network = build_network(runtime)
    canaries = {"area": "Canary-area-Z1", "description": "Canary-description-Z2", "contact": "Canary-contact-Z3"}
    own = add(runtime, network["coordinator"], service(area=canaries["area"], description=canaries["description"],
                                                       contact=canaries["contact"]))
    quiet = add(runtime, network["coordinator"], service(kind="legal", area="Arad"))
    from mediation.services.directory import manage
    with runtime.transaction() as s:
        manage.set_active(s, network["coordinator"], quiet, False)
    add(runtime, network["other_coordinator"], service(area="Timișoara", languages=("ro", "rmy")))
    return World(network, own, quiet, canaries)


@pytest.fixture
def app(runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def browsers(app: Flask, world: World) -> dict[str, FlaskClient]:
    return {name: client_signed_in_as(app, None if name == "anonymous" else world.network[name].id)
            for name in PRINCIPALS}


def token_for(browser: FlaskClient) -> str:
    page = browser.get("/account/")
    return csrf_from((page if page.status_code == 200 else browser.get("/login")).get_data(as_text=True))


def text_of(answer) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True))))


def counts(runtime) -> dict[str, int]:
    with runtime.transaction(read_only=True) as s:
        return {table.name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables if table.name != "process_heartbeats"}


def services(runtime) -> list[tuple[Any, ...]]:
    with runtime.transaction(read_only=True) as s:
        return [tuple(row) for row in s.execute(select(
            PartnerService.id, PartnerService.kind, PartnerService.area, PartnerService.custody_stage,
            PartnerService.description, PartnerService.contact, PartnerService.is_active).order_by(PartnerService.id))]


def test_the_matrix_covers_every_route_of_the_blueprint(app: Flask) -> None:
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert len(listed) == len(ROUTES)
    assert listed == {pair for pair in route_pairs(app) if pair[0].startswith("directory.")}


def test_each_principal_gets_exactly_the_expected_answer(app, runtime, world) -> None:
    clients = browsers(app, world)
    tokens = {name: token_for(client) for name, client in clients.items()}
    wrong = []
    for route in ROUTES:
        # those the page is for act last, so their change (a deactivation) never decides another's answer
        for principal in sorted(PRINCIPALS, key=lambda p: route.expected.get(p, 0) in (200, 303)):
            client, path = clients[principal], route.path(world)
            if route.method == "GET":
                answer = client.get(path)
            else:
                answer = client.post(path, data={"csrf_token": tokens[principal], **route.data(world)})
            expected = 302 if principal == "anonymous" else route.expected[principal]
            if answer.status_code != expected:
                wrong.append((route.endpoint, route.method, principal, answer.status_code, expected))
            elif principal == "anonymous":
                assert "/login" in answer.headers["Location"]
    assert wrong == []


def test_another_organisations_service_answers_exactly_like_a_missing_one(app, runtime, world) -> None:
    other = browsers(app, world)["other_coordinator"]
    token = token_for(other)
    before = services(runtime)
    for suffix, data in (("", None), ("", form()), ("/deactivate", {}), ("/reactivate", {})):
        answers = []
        for service_id in (world.own, 2_000_000_000):
            path = f"/network/services/{service_id}{suffix}"
            answer = other.get(path) if data is None else other.post(path, data={"csrf_token": token, **data})
            answers.append((answer.status_code, text_of(answer)))
        assert answers[0] == answers[1] and answers[0][0] == 404
    assert services(runtime) == before


def test_a_coordinator_adds_edits_deactivates_and_reactivates_through_the_pages(app, runtime, world) -> None:
    coordinator = browsers(app, world)["coordinator"]
    token = token_for(coordinator)
    new = coordinator.post("/network/services/new", data={"csrf_token": token, **form(area="Iași", language_rmy="yes")})
    assert new.status_code == 303 and new.headers["Location"].endswith("/network/services")
    listing = text_of(coordinator.get("/network/services"))
    assert "The service was added to the directory." in listing
    assert "Iași" in listing and "Romani" in listing and "housing" in listing
    [added] = [row for row in services(runtime) if row[2] == "Iași"]
    page = coordinator.get(f"/network/services/{added[0]}").get_data(as_text=True)
    assert 'value="Iași"' in page and 'name="language_rmy" value="yes" checked' in page
    edited = coordinator.post(f"/network/services/{added[0]}", data={
        "csrf_token": token, **form(kind="employment", area="Iasi", custody_stage="both")})
    assert edited.status_code == 303
    assert services(runtime)[-1][1:4] == ("employment", "Iasi", "both")
    assert coordinator.post(f"/network/services/{added[0]}/deactivate", data={"csrf_token": token}).status_code == 303
    staff = browsers(app, world)["staff"]
    assert "Iasi" not in text_of(staff.get("/network/directory"))
    again = coordinator.post(f"/network/services/{added[0]}/deactivate", data={"csrf_token": token},
                             headers={"Referer": "http://localhost/network/services"})
    assert again.status_code == 303
    assert "already deactivated" in text_of(coordinator.get("/network/services"))
    assert coordinator.post(f"/network/services/{added[0]}/reactivate", data={"csrf_token": token}).status_code == 303
    assert "Iasi" in text_of(staff.get("/network/directory?area=IAȘ"))


FORM_JUNK = [
    ({"kind": "plumbing"}, "Unknown kind of help 'plumbing'; choose one of:"),
    ({"kind": None}, "The kind of help is missing; choose one of: housing, employment"),
    ({"custody_stage": "free"}, "Unknown stage of custody"),
    ({"custody_stage": None}, "The stage of custody is missing"),
    ({"language_ro": None, "language_hu": None}, "Choose at least one language"),
    ({"language_xx": "yes"}, "Unknown language 'xx'"),
    ({"area": ""}, "Write the area"),
    ({"area": "a" * 81}, "The area is too long (81 characters; at most 80)."),
    ({"description": "d" * 501}, "The description is too long (501 characters; at most 500)."),
    ({"contact": "c" * 201}, "The public contact is too long (201 characters; at most 200)."),
    ({"contact": "line\none"}, "The public contact is one line of plain text."),
]


@pytest.mark.parametrize(("change", "message"), FORM_JUNK, ids=[str(i) for i in range(len(FORM_JUNK))])
def test_junk_in_a_field_shows_the_form_again_with_what_is_wrong(app, runtime, world, change, message) -> None:
    coordinator = browsers(app, world)["coordinator"]
    token = token_for(coordinator)
    before = services(runtime)
    for path in ("/network/services/new", f"/network/services/{world.own}"):
        answer = coordinator.post(path, data={"csrf_token": token, **form(**change)})
        assert answer.status_code == 400
        page = answer.get_data(as_text=True)
        assert message in text_of(answer)
        assert 'role="alert"' in page and csrf_from(page)
        if change.get("description"):
            assert "d" * 501 in page  # what was typed is not lost
    assert services(runtime) == before


@pytest.mark.parametrize(("path", "message"), [
    ("/network/directory?kind=plumbing", "Unknown kind of help"),
    ("/network/directory?language=xx", "Unknown language"),
    ("/network/directory?custody_stage=free", "Unknown stage of custody"),
    ("/network/directory?area=" + "a" * 81, "The area is too long"),
    ("/network/directory?area=%00", "NUL"),
    ("/network/directory?after=junk", "This page link is not valid"),
    ("/network/services?after=junk", "This page link is not valid"),
    ("/network/indicators?from=2025-02-30&to=2025-12-31", "does not exist"),
    ("/network/indicators?from=2025-12-31&to=2025-01-01", "before it starts"),
    ("/network/indicators?from=yesterday&to=2025-01-01", "is not a date"),
    ("/network/indicators/network?from=2025-02&to=2025-12", "whole calendar year"),
    ("/network/indicators/network?from=2025-99&to=2025-12", "is not a month"),
])
def test_junk_in_a_search_or_a_period_says_what_is_wrong(app, world, path, message) -> None:
    answer = browsers(app, world)["coordinator"].get(path)
    assert answer.status_code == 400
    assert message in text_of(answer)
    if "%00" not in path and not path.startswith("/network/services"):  # the form comes back, with the refusal
        # (a NUL is refused for the whole site before any view: web.forms.check_request)
        assert 'role="alert"' in answer.get_data(as_text=True) and 'method="get"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("token", ["missing", "forged", "another-session"])
def test_every_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, runtime, world, token) -> None:
    clients = browsers(app, world)
    before = counts(runtime)
    for route in (r for r in ROUTES if r.method == "POST"):
        data = route.data(world)
        if token == "forged":
            data = {"csrf_token": "forged-token", **data}
        elif token == "another-session":
            data = {"csrf_token": token_for(clients["other_coordinator"]), **data}
        answer = clients["coordinator"].post(route.path(world), data=data)
        assert answer.status_code == 400, (route.endpoint, answer.status_code)
    assert counts(runtime) == before


def test_every_form_carries_its_csrf_token(app, world) -> None:
    coordinator = browsers(app, world)["coordinator"]
    for path in ("/network/services", "/network/services/new", f"/network/services/{world.own}"):
        page = coordinator.get(path).get_data(as_text=True)
        assert page.count('name="csrf_token"') >= page.count('method="post"') > 0


def test_the_directory_shows_each_service_with_its_organisation_and_labels(app, world) -> None:
    mediator = browsers(app, world)["mediator"]
    page = text_of(mediator.get("/network/directory?area=TIMIS"))
    assert "Asociația Sud Timiș" in page and "Timișoara" in page and "Romani" in page
    assert "after release" in page
    assert world.canaries["area"] not in page  # its area does not start with "timis"
    everything = text_of(mediator.get("/network/directory"))
    assert world.canaries["description"] in everything and "North Reintegration Trust" in everything
    assert "Arad" not in everything  # deactivated
    assert "No active service matches these filters." in text_of(mediator.get("/network/directory?kind=legal"))


def test_a_worker_refers_from_another_organisations_service_never_from_their_own(app, runtime, world) -> None:
    mediator = browsers(app, world)["mediator"]
    page = mediator.get("/network/directory").get_data(as_text=True)
    with runtime.transaction() as s:
        south = s.scalars(select(PartnerService.id).where(PartnerService.area == "Timișoara")).one()
    assert f'href="/referrals/new?service={south}"' in page
    assert f'href="/referrals/new?service={world.own}"' not in page
    assert "Your own organisation" in text_of(mediator.get("/network/directory"))
    form_page = text_of(mediator.get(f"/referrals/new?service={south}"))
    assert "Asociația Sud Timiș" in form_page and "Timișoara" in form_page


def test_the_directory_pages_in_steps_and_keeps_the_filters(app, runtime, world) -> None:
    app.config["PAGE_SIZE"] = 10
    for number in range(25):
        add(runtime, world.network["other_coordinator"], service(area=f"Timiș {number:02d}"))
    staff = browsers(app, world)["staff"]
    first = staff.get("/network/directory?kind=housing&area=timis").get_data(as_text=True)
    links = re.findall(r'href="(/network/directory\?[^"]*after=[^"]+)"', first)
    assert links and "kind=housing" in links[0] and "area=timis" in links[0]
    second = staff.get(html.unescape(links[0])).get_data(as_text=True)
    assert "Previous page" in second
    shown = re.findall(r"Timiș (\d\d)", first + second)
    assert shown == [f"{n:02d}" for n in range(20)]  # in order, none twice, none missed


def test_the_navigation_offers_each_role_its_pages(app, world) -> None:
    clients = browsers(app, world)
    for who, directory, own in (("coordinator", True, True), ("mediator", True, False), ("staff", True, False),
                                ("participant", False, False), ("volunteer", False, False)):
        page = clients[who].get("/account/").get_data(as_text=True)
        assert ('href="/network/directory"' in page) is directory, who
        assert ('href="/network/services"' in page) is own, who
        assert ('href="/network/indicators"' in page) is own, who


def test_the_indicator_pages_show_suppressed_figures(app, world) -> None:
    coordinator = browsers(app, world)["coordinator"]
    own = text_of(coordinator.get("/network/indicators"))
    assert "As the referring organisation" in own and "As the receiving organisation" in own
    assert "not shown under 10 referrals" in own
    network = text_of(coordinator.get("/network/indicators/network?from=2025-01&to=2025-12"))
    assert "Every organisation together" in network
    assert "North Reintegration Trust" not in network and "Asociația Sud Timiș" not in network


BODIES = {
    "nul": lambda data: {**data, "area": "Cl\x00uj"},
    "huge": lambda data: {**data, "description": "x" * 30_000},
    "not-a-string-kind": lambda data: {**data, "kind": "' OR 1=1 --"},
    "every-language-and-more": lambda data: {**data, **{f"language_{n}": "yes" for n in range(40)}},
    "empty": lambda data: {},
}


@pytest.mark.parametrize("body", list(BODIES))
def test_whatever_a_form_receives_the_answer_is_never_a_server_error(app, runtime, world, body) -> None:
    coordinator = browsers(app, world)["coordinator"]
    token = token_for(coordinator)
    before = services(runtime)
    for route in (r for r in ROUTES if r.method == "POST" and r.data(world)):
        answer = coordinator.post(route.path(world), data={"csrf_token": token, **BODIES[body](route.data(world))})
        assert answer.status_code == 400, (route.endpoint, body, answer.status_code)
    raw = coordinator.post("/network/services/new", data=b"kind=\xff\xfe", headers={"X-CSRFToken": token},
                           content_type="application/x-www-form-urlencoded")
    assert raw.status_code == 400
    assert services(runtime) == before


def test_saving_a_form_someone_changed_meanwhile_is_refused_and_keeps_their_change(app, runtime, world) -> None:
    first, second = browsers(app, world)["coordinator"], browsers(app, world)["coordinator"]
    page = first.get(f"/network/services/{world.own}").get_data(as_text=True)
    [seen] = re.findall(r'name="seen" value="([0-9]+)"', page)
    token = csrf_from(page)
    assert second.post(f"/network/services/{world.own}",
                       data={"csrf_token": token_for(second), "seen": seen, **form(area="Arad")}).status_code == 303
    late = first.post(f"/network/services/{world.own}", data={"csrf_token": token, "seen": seen, **form(area="Bihor")})
    assert late.status_code == 409
    assert "Someone changed this service since you opened it" in text_of(late)
    assert [row[2] for row in services(runtime) if row[0] == world.own] == ["Arad"]
