"""A form fuzzer over every route of the app, every kind of body and every kind of visitor, on SQLite and on
PostgreSQL: whatever arrives, the answer is never a server error (no 500, no traceback).

First a sweep, the same every run: each route (``ROUTES``) with each kind of body, as the visitor it is for and
with a valid CSRF token, so the request reaches the view. Then Hypothesis draws routes, bodies, field values,
path segments and query strings for each kind of visitor. The numbers of examples are fixed and derandomized:
the run takes seconds and fails the same way twice.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.web.conftest import ROUTES, Browser, Route, World, csrf_from, make_app, page_text
from tests.web.worlds import Site, postgres_web_world_fixture, site_fixture  # noqa: F401  (fixtures)

VISITORS: dict[str, str | None] = {"anonymous": None, "admin": "admin", "mediator": "mediator",
                                   "other_mediator": "other_mediator", "staff": "staff", "harmed": "harmed",
                                   "offender": "offender"}
VISITOR_FOR_AREA = {"public": None, "auth": None, "two_factor": None, "static": None, "health": None,
                    "mediator": "mediator", "portal": "offender", "account": "offender", "staff": "staff",
                    "admin": "admin"}
BODIES = ("form", "files", "json", "json-nested", "nul", "huge-field", "huge-body", "not-utf8", "repeated",
          "plain-text", "empty")
EXAMPLES_PER_VISITOR = 25
FIELD_NAMES = sorted({name for route in ROUTES for name in ("trigger", "text", "version", "participant_id",
                                                             "reason", "username", "password", "display_name",
                                                             "confirm", "video", "mediator_id", "rationale")}
                     | {"relationship", "understood", "willing", "kind", "years", "modality", "consent", "safety",
                        "note", "redacted_text", "on_behalf_of", "eligible", "role", "outcome", "category",
                        "wording_version", "risk_threats", "consulted_psychologist"})

# Text of any kind a browser could send: every code point but the surrogates (which no encoding can carry).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


def _fields(route: Route, world: World) -> dict[str, Any]:
    """The route's own well-formed fields (which get a request to the view's real work) as strings."""
    data = route.data(world, False)
    return {name: value for name, value in data.items() if isinstance(value, str)}


def _send(visitor: Browser, method: str, path: str, body: str, fields: dict[str, Any], token: str) -> TestResponse:
    headers = {"X-CSRFToken": token}
    if method == "GET":
        return visitor.request("GET", path)
    form = {**fields, "csrf_token": token}
    if body == "form":
        return visitor.request("POST", path, data=form)
    if body == "files":
        files = {name: (io.BytesIO(str(value).encode()), "field.txt") for name, value in fields.items()}
        return visitor.request("POST", path, data={"csrf_token": token, **files}, content_type="multipart/form-data")
    if body == "json":
        return visitor.request("POST", path, data=json.dumps(form), content_type="application/json",
                               headers=headers)
    if body == "json-nested":
        return visitor.request("POST", path, json={name: {"$ne": [None, 1]} for name in form}, headers=headers)
    if body == "nul":
        return visitor.request("POST", path, data={**{k: f"{v}\x00" for k, v in fields.items()}, "csrf_token": token})
    if body == "huge-field":
        return visitor.request("POST", path, data={**form, "text": "x" * 30_000, "display_name": "N" * 30_000})
    if body == "huge-body":
        return visitor.request("POST", path, data={**form, "padding": "p" * (2 * 1024 * 1024)})
    if body == "not-utf8":
        raw = b"&".join(f"{k}=".encode() + b"\xff\xfe" + quote(str(v)).encode() for k, v in form.items())
        return visitor.request("POST", path, data=raw, content_type="application/x-www-form-urlencoded")
    if body == "repeated":
        return visitor.request("POST", path, data=MultiDict([*form.items(), *fields.items()]))
    if body == "plain-text":
        return visitor.request("POST", path, data="text=hello", content_type="text/plain", headers=headers)
    return visitor.request("POST", path, headers=headers)


def _assert_no_server_error(response: TestResponse, what: object) -> None:
    body = page_text(response)
    assert response.status_code < 500 or (response.status_code == 503 and "Retry-After" in response.headers), \
        (what, response.status_code, body[:1200])
    assert "Traceback" not in body, (what, body[:1200])


class Visitors:
    """A browser per kind of visitor on one app, signed in again (and given a fresh token) before each request,
    since a request may sign out, withdraw or deactivate."""

    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world

    def fresh(self, key: str | None) -> tuple[Browser, str]:
        visitor = Browser(self.app.test_client(), self.world)
        if key is not None:
            visitor.sign_in(key)
        token = csrf_from(page_text(visitor.get("/request")))
        return visitor, token


@pytest.fixture
def visitors(site: Site) -> Visitors:
    return Visitors(make_app(site.runtime), site.world)


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_every_route_takes_every_kind_of_body_without_a_server_error(visitors: Visitors, route: Route) -> None:
    world = visitors.world
    for body in BODIES if route.method == "POST" else ("form",):
        visitor, token = visitors.fresh(VISITOR_FOR_AREA[route.area])
        response = _send(visitor, route.method, route.path(world, False), body, _fields(route, world), token)
        _assert_no_server_error(response, (route.id, body))


def _segments(world: World) -> set[str]:
    return {world.own, world.own_video, world.own_relay, world.own_assessment, world.own_requested, world.other,
            world.pending, world.delivered, world.returned, world.video_message, world.other_message,
            world.invitation}


@pytest.mark.parametrize("visitor_name", list(VISITORS))
def test_fuzzed_requests_never_give_a_server_error(visitors: Visitors, visitor_name: str) -> None:
    world = visitors.world
    ids = _segments(world)

    @settings(max_examples=EXAMPLES_PER_VISITOR, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(route=st.sampled_from(ROUTES), body=st.sampled_from(BODIES), other=st.booleans(),
           values=st.dictionaries(st.sampled_from(FIELD_NAMES) | ANY_TEXT, ANY_TEXT | st.sampled_from(
               ["", "0", "-1", "99999999999", "approve", "withdraw", "pause", "x" * 5000]), max_size=6),
           segment=st.none() | ANY_TEXT | st.sampled_from(["%00", "%FF", "RO-2026-00001", "a" * 32, ".."]),
           query=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3))
    def fuzz(route: Route, body: str, other: bool, values: dict[str, str], segment: str | None,
             query: dict[str, str]) -> None:
        visitor, token = visitors.fresh(VISITORS[visitor_name])
        path = route.path(world, other)
        if segment is not None:
            replacement = segment if segment.startswith("%") or segment == ".." else quote(segment, safe="")
            path = "/".join(replacement if part in ids else part for part in path.split("/"))
        if query:
            path += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items())
        response = _send(visitor, route.method, path, body, {**_fields(route, world), **values}, token)
        _assert_no_server_error(response, (visitor_name, route.id, body, path[:200]))

    fuzz()


