"""Who may reach which page of the resocialisation training programme (blueprint "training"), for every route
and every kind of visitor, with the exact status:

- anonymous: a redirect to the login page;
- an account without the programme role the page needs (a participant on a staff page, staff on the client's
  pages, a coordinator on a worker's content): 403;
- the right role on someone else's client (another worker's, another officer's, another client's): 404, exactly as
  for a client that does not exist;
- the right role on their own client: 200, or a redirect to where the action leads.

Every answer is searched for the sealed canaries (phase notes, plan, help details): they appear only on the
worker's own notes, plan and help pages. The officer sees received / acknowledged and the certificate only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from mediation.db import Base
from mediation.services import users
from tests.integration.training_world import TrainingWorld, build_training_world
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from, route_pairs
from web import create_app

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
PRINCIPALS = ("anonymous", "coordinator", "worker", "other_worker", "officer", "other_officer", "client",
              "other_client", "ungranted")
STAFF_PAGE = {"coordinator": 403, "worker": 403, "other_worker": 403, "officer": 403, "other_officer": 403,
              "client": 403, "other_client": 403, "ungranted": 403}


def only(**allowed: int) -> dict[str, int]:
    """Every signed-in principal refused (403) but those named."""
    return {**STAFF_PAGE, **allowed}


WORKERS_CONTENT = only(worker=200, other_worker=404)
WORKERS_ACTION = only(worker=303, other_worker=404)
CLIENTS_PAGE = only(client=200, other_client=404)


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: Callable[[TrainingWorld], str]
    expected: dict[str, int]
    data: Callable[[TrainingWorld], dict[str, Any]] = field(default=lambda w: {})


ROUTES = (
    Route("training.home", "GET", lambda w: "/training/",
          only(coordinator=200, worker=200, other_worker=200, officer=302, other_officer=302)),
    Route("training.enrol", "GET", lambda w: "/training/enrol", only(coordinator=200)),
    Route("training.enrol", "POST", lambda w: "/training/enrol", only(coordinator=303),
          lambda w: {"client": "nobody.here", "track": "adults"}),  # refused for the coordinator: nothing changes
    Route("training.client", "GET", lambda w: f"/training/clients/{w.own}",
          only(coordinator=200, worker=200, other_worker=404)),
    Route("training.assign_worker", "POST", lambda w: f"/training/clients/{w.own}/worker", only(coordinator=303),
          lambda w: {"worker": str(w.people.worker.id)}),
    Route("training.sessions", "GET", lambda w: f"/training/clients/{w.own}/sessions", WORKERS_CONTENT),
    Route("training.sessions", "POST", lambda w: f"/training/clients/{w.own}/sessions", WORKERS_ACTION,
          lambda w: {"held_on": YESTERDAY, "minutes": "120", "attended": "yes"}),
    Route("training.notes", "GET", lambda w: f"/training/clients/{w.own}/notes", WORKERS_CONTENT),
    Route("training.notes", "POST", lambda w: f"/training/clients/{w.own}/notes", WORKERS_ACTION,
          lambda w: {"text": "Another note."}),
    Route("training.plan", "GET", lambda w: f"/training/clients/{w.own}/plan", WORKERS_CONTENT),
    Route("training.plan", "POST", lambda w: f"/training/clients/{w.own}/plan", WORKERS_ACTION,
          lambda w: {"plan": w.plan}),
    Route("training.help_given", "GET", lambda w: f"/training/clients/{w.own}/help", WORKERS_CONTENT),
    Route("training.help_given", "POST", lambda w: f"/training/clients/{w.own}/help", WORKERS_ACTION,
          lambda w: {"kind": "housing", "details": "A flat viewing.", "given_on": YESTERDAY}),
    Route("training.followed_up", "POST", lambda w: f"/training/clients/{w.own}/help/{w.help_id}/followed-up",
          WORKERS_ACTION),
    Route("training.move", "POST", lambda w: f"/training/clients/{w.own}/move", WORKERS_ACTION,
          lambda w: {"trigger": "begin_evaluation"}),
    Route("training.certificate", "GET", lambda w: f"/training/clients/{w.certified}/certificate",
          only(worker=200, other_worker=404, officer=200, other_officer=404)),
    Route("training.certificate", "POST", lambda w: f"/training/clients/{w.certified}/certificate",
          WORKERS_ACTION),  # already issued: refused for the worker, nothing changes
    Route("training.referrals", "GET", lambda w: "/training/referrals", only(officer=200, other_officer=200)),
    Route("training.my_programme", "GET", lambda w: f"/training/mine/{w.own}", CLIENTS_PAGE),
    Route("training.withdraw", "GET", lambda w: f"/training/mine/{w.own}/withdraw", CLIENTS_PAGE),
    Route("training.withdraw", "POST", lambda w: f"/training/mine/{w.own}/withdraw",
          only(client=303, other_client=404)),
)


@dataclass
class MatrixWorld(TrainingWorld):
    canaries: dict[str, str] = field(default_factory=dict)
    plan: str = ""


@pytest.fixture
def world(runtime, actors) -> MatrixWorld:
    canaries = {name: f"canary-training-{name}-{uuid.uuid4().hex}" for name in ("note", "plan", "help", "focus")}
    built = build_training_world(runtime, actors, note=canaries["note"], plan=canaries["plan"],
                                 help_details=canaries["help"], focus_note=canaries["focus"])
    return MatrixWorld(**vars(built), canaries=canaries, plan=canaries["plan"])


@pytest.fixture
def app(runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def principals(app: Flask, runtime, actors, world: MatrixWorld) -> dict[str, FlaskClient]:
    with runtime.transaction() as s:
        ungranted = users.create_user(s, None, username="mediator.plain", display_name="Plain", role="mediator",
                                      password=None)
    people = world.people
    accounts = {"anonymous": None, "coordinator": people.coordinator, "worker": people.worker,
                "other_worker": people.other_worker, "officer": people.officer, "other_officer": people.other_officer,
                "client": people.client, "other_client": people.other_client, "ungranted": ungranted}
    return {name: client_signed_in_as(app, None if user is None else user.id) for name, user in accounts.items()}


def token_for(browser: FlaskClient) -> str:
    """A valid CSRF token of this browser's session, from a page with a form (the sign-out button, or the login)."""
    page = browser.get("/account/")
    return csrf_from((page if page.status_code == 200 else browser.get("/login")).get_data(as_text=True))


def test_the_matrix_covers_every_route_of_the_training_blueprint(app: Flask) -> None:
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert listed == {pair for pair in route_pairs(app) if pair[0].startswith("training.")}


def test_each_principal_gets_exactly_the_expected_answer_and_no_sealed_content(app, runtime, actors, world):
    browsers = principals(app, runtime, actors, world)
    tokens = {name: token_for(browser) for name, browser in browsers.items()}
    wrong, leaks, read = [], [], set()
    # The principals the page is for act last, so their changes (a withdrawal, a move) never decide another's answer.
    for route in ROUTES:
        order = sorted(PRINCIPALS, key=lambda p: route.expected.get(p, 0) in (200, 303))
        for principal in order:
            browser = browsers[principal]
            path = route.path(world)
            if route.method == "GET":
                answer = browser.get(path)
            else:
                answer = browser.post(path, data={"csrf_token": tokens[principal], **route.data(world)})
            expected = 302 if principal == "anonymous" else route.expected[principal]
            if answer.status_code != expected:
                wrong.append((route.endpoint, route.method, principal, answer.status_code, expected))
            elif principal == "anonymous":
                assert "/login" in answer.headers["Location"]
            text = answer.get_data(as_text=True)
            may_read = principal == "worker" and route.method == "GET" and route.endpoint in (
                "training.notes", "training.plan", "training.help_given")
            if may_read:
                read |= {name for name, canary in world.canaries.items() if canary in text}
            else:
                leaks += [(route.endpoint, route.method, principal, name)
                          for name, canary in world.canaries.items() if canary in text]
    assert wrong == []
    assert leaks == []
    assert read == set(world.canaries)  # not vacuous: each sealed text came back, to the worker only


def test_someone_elses_client_answers_exactly_like_a_missing_one(app, runtime, actors, world):
    other_worker = principals(app, runtime, actors, world)["other_worker"]
    missing = other_worker.get("/training/clients/RT-2026-99999")
    someone_elses = other_worker.get(f"/training/clients/{world.own}")
    assert missing.status_code == someone_elses.status_code == 404
    assert "Not found" in missing.get_data(as_text=True) and "Not found" in someone_elses.get_data(as_text=True)


def _counts(runtime) -> dict[str, int]:
    with runtime.transaction() as s:
        return {table.name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables if table.name != "process_heartbeats"}


@pytest.mark.parametrize("token", ["missing", "forged"])
def test_every_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, runtime, actors, world, token):
    browsers = principals(app, runtime, actors, world)
    before = _counts(runtime)
    for route in (r for r in ROUTES if r.method == "POST"):
        allowed = next(p for p in PRINCIPALS if route.expected.get(p) == 303)
        form = route.data(world) if token == "missing" else {"csrf_token": "forged-token", **route.data(world)}
        answer = browsers[allowed].post(route.path(world), data=form)
        assert answer.status_code == 400, (route.endpoint, answer.status_code)
    assert _counts(runtime) == before
