"""Who may reach which referral page (blueprint "referrals"), for every route and three organisations, with the
exact status: the referring side (its worker and coordinator), the partner (its coordinator and the worker given
the referral), the person referred, and everyone else (another worker of either organisation, a third
organisation, another person), who is told the referral does not exist (404), exactly as for a missing one. A
side that sees the referral but may not do this is refused (403). Every answer is searched for the shared value
and the partner's note; junk in every field never breaks a page; every form needs its CSRF token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from mediation.db import Base
from mediation.models import Notice, Referral
from mediation.services.referrals import moves, notes
from mediation.services.referrals.wording import CURRENT_WORDING
from tests.integration.referral_world import ReferralWorld, build_world, draft, step
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from, route_pairs
from web import create_app

PRINCIPALS = ("anonymous", "a_worker", "a_coordinator", "a_other_worker", "b_coordinator", "b_worker",
              "b_other_worker", "c_coordinator", "c_worker", "person", "other_person")
WORKERS = ("a_worker", "a_coordinator", "a_other_worker", "b_coordinator", "b_worker", "b_other_worker",
           "c_coordinator", "c_worker")
PERSONS = ("person", "other_person")
NOBODY = {name: 404 for name in PRINCIPALS if name != "anonymous"}


def answers(default: int, **given: int) -> dict[str, int]:
    return {**{name: default for name in PRINCIPALS if name != "anonymous"}, **given}


WORKERS_ONLY = answers(200, person=403, other_person=403)
REFERRING = {"a_worker": 303, "a_coordinator": 303}
RECEIVING = {"b_coordinator": 303, "b_worker": 303}


@dataclass
class MatrixWorld(ReferralWorld):
    draft: str = ""
    sent: str = ""
    notice: int = 0  # the referring worker's notice that the partner accepted a referral
    canaries: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: Callable[[MatrixWorld], str]
    expected: dict[str, int]
    data: Callable[[MatrixWorld], dict[str, Any]] = field(default=lambda w: {})


def _new_form(w: MatrixWorld) -> dict[str, Any]:
    return {"service": str(w.housing), "stage": "after_release", "wording": CURRENT_WORDING,
            "share_language": "yes", "value_language": "ro", "consent_language": "yes"}


ROUTES = (
    Route("referrals.outgoing", "GET", lambda w: "/referrals", WORKERS_ONLY),
    Route("referrals.inbox", "GET", lambda w: "/referrals/inbox", WORKERS_ONLY),
    Route("referrals.organisation", "GET", lambda w: "/referrals/organisation",
          answers(403, a_coordinator=200, b_coordinator=200, c_coordinator=200)),
    Route("referrals.mine", "GET", lambda w: "/referrals/mine", answers(403, person=200, other_person=200)),
    Route("referrals.new", "GET", lambda w: f"/referrals/new?service={w.housing}",
          answers(200, b_coordinator=400, b_worker=400, b_other_worker=400, person=403, other_person=403)),
    Route("referrals.new", "POST", lambda w: "/referrals/new", answers(303, person=403, other_person=403),
          _new_form),
    Route("referrals.referral", "GET", lambda w: f"/referrals/{w.sent}",
          {**NOBODY, "a_worker": 200, "a_coordinator": 200, "b_coordinator": 200, "b_worker": 200, "person": 200}),
    Route("referrals.record_consent", "POST", lambda w: f"/referrals/{w.draft}/consent",
          {**NOBODY, **REFERRING, "person": 403, "other_person": 403},  # only workers record consent
          lambda w: {"wording": CURRENT_WORDING, "share_name": "yes", "value_name": w.canaries["field"],
                     "consent_name": "yes"}),
    Route("referrals.send", "POST", lambda w: f"/referrals/{w.draft}/send", {**NOBODY, **REFERRING, "person": 403}),
    Route("referrals.assign_worker", "POST", lambda w: f"/referrals/{w.sent}/worker",
          {**NOBODY, "b_coordinator": 303, "b_worker": 403, "a_worker": 403, "a_coordinator": 403, "person": 403},
          lambda w: {"worker": str(w.b_worker.id)}),
    Route("referrals.add_note", "POST", lambda w: f"/referrals/{w.sent}/notes",
          {**NOBODY, **RECEIVING, "a_worker": 403, "a_coordinator": 403, "person": 403},
          lambda w: {"text": "Another note."}),
    Route("referrals.move", "POST", lambda w: f"/referrals/{w.sent}/move",
          {**NOBODY, **RECEIVING, "a_worker": 403, "a_coordinator": 403, "person": 403},
          lambda w: {"trigger": "accept"}),
    Route("referrals.withdraw_consent", "POST", lambda w: f"/referrals/{w.sent}/withdraw-consent",
          {**NOBODY, **REFERRING, "person": 303, "b_coordinator": 403, "b_worker": 403}),
    Route("referrals.dismiss_notice", "POST", lambda w: f"/referrals/notices/{w.notice}/dismiss",
          {**NOBODY, "a_worker": 303}),  # someone else's notice answers like a missing one
    Route("referrals.withdraw", "POST", lambda w: f"/referrals/{w.sent}/withdraw",
          {**NOBODY, **REFERRING, **RECEIVING, "person": 403}),
)
# Where each canary may be read: the shared value by both sides' page, the partner's note by the partner's only.
MAY_READ = {"field": {"a_worker", "a_coordinator", "b_coordinator", "b_worker"}, "note": {"b_coordinator", "b_worker"}}


@pytest.fixture
def world(runtime, actors) -> MatrixWorld:
    built = build_world(runtime, actors)
    canaries = {name: f"canary-referral-{name}-{uuid.uuid4().hex}" for name in ("field", "note")}
    made = MatrixWorld(**vars(built), canaries=canaries)
    made.draft = draft(runtime, built, fields={})
    made.sent = draft(runtime, built, fields={"name": (canaries["field"], True)})
    step(runtime, built.a_worker, made.sent, "send")
    with runtime.transaction() as s:
        moves.assign_worker(s, built.b_coordinator, made.sent, built.b_worker.id)
    with runtime.transaction() as s:
        notes.add_note(s, runtime.vault, built.b_coordinator, made.sent, text=canaries["note"])
    accepted = draft(runtime, built, fields={})
    step(runtime, built.a_worker, accepted, "send")
    step(runtime, built.b_coordinator, accepted, "accept")
    with runtime.transaction() as s:
        made.notice = s.scalar(select(Notice.id).where(Notice.user_id == built.a_worker.id))
    return made


@pytest.fixture
def app(runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def principals(app: Flask, world: MatrixWorld) -> dict[str, FlaskClient]:
    accounts = {name: getattr(world, name) for name in PRINCIPALS if name != "anonymous"}
    return {"anonymous": client_signed_in_as(app, None),
            **{name: client_signed_in_as(app, user.id) for name, user in accounts.items()}}


def token_for(browser: FlaskClient) -> str:
    page = browser.get("/account/")
    return csrf_from((page if page.status_code == 200 else browser.get("/login")).get_data(as_text=True))


def test_the_matrix_covers_every_route_of_the_referrals_blueprint(app: Flask) -> None:
    listed = {(route.endpoint, route.method) for route in ROUTES}
    assert listed == {pair for pair in route_pairs(app) if pair[0].startswith("referrals.")}


def test_each_principal_gets_exactly_the_expected_answer_and_nothing_it_may_not_read(app, world):
    browsers = principals(app, world)
    tokens = {name: token_for(browser) for name, browser in browsers.items()}
    wrong, leaks, read = [], [], set()
    for route in ROUTES:  # those the page is for act last: their changes never decide another's answer
        order = sorted(PRINCIPALS, key=lambda p: route.expected.get(p, 0) in (200, 303))
        for principal in order:
            browser, path = browsers[principal], route.path(world)
            if route.method == "GET":
                answer = browser.get(path)
            else:
                answer = browser.post(path, data={"csrf_token": tokens[principal], **route.data(world)})
            expected = 302 if principal == "anonymous" else route.expected[principal]
            if answer.status_code != expected:
                wrong.append((route.endpoint, route.method, principal, answer.status_code, expected))
            text = answer.get_data(as_text=True)
            for name, canary in world.canaries.items():
                if canary in text:
                    allowed = route.endpoint == "referrals.referral" and principal in MAY_READ[name]
                    (read.add((name, principal)) if allowed else leaks.append((route.endpoint, principal, name)))
    assert wrong == []
    assert leaks == []
    assert read == {(name, who) for name, people in MAY_READ.items() for who in people}  # not vacuous


def test_someone_elses_referral_answers_exactly_like_a_missing_one(app, world):
    third = principals(app, world)["c_coordinator"]
    missing, someone_elses = third.get("/referrals/RF-2026-99999"), third.get(f"/referrals/{world.sent}")
    assert missing.status_code == someone_elses.status_code == 404
    assert (missing.get_data(as_text=True).replace("RF-2026-99999", "X")
            == someone_elses.get_data(as_text=True).replace(world.sent, "X"))


def _counts(runtime) -> dict[str, int]:
    with runtime.transaction() as s:
        return {table.name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables if table.name != "process_heartbeats"}


@pytest.mark.parametrize("token", ["missing", "forged"])
def test_every_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, runtime, world, token):
    browsers = principals(app, world)
    before = _counts(runtime)
    for route in (r for r in ROUTES if r.method == "POST"):
        allowed = next(p for p in PRINCIPALS if route.expected.get(p) == 303)
        form = route.data(world) if token == "missing" else {"csrf_token": "forged-token", **route.data(world)}
        answer = browsers[allowed].post(route.path(world), data=form)
        assert answer.status_code == 400, (route.endpoint, answer.status_code)
    assert _counts(runtime) == before


JUNK = ("", " ", "x" * 2000, "\x00", "\u202e", "' OR 1=1 --", "-1", "0", "99999999999", "<script>", "ï¿½", "1.5")


def test_junk_in_every_field_is_refused_clearly_and_never_breaks_a_page(app, runtime, world):
    browsers = principals(app, world)
    broken = []
    for route in ROUTES:
        allowed = next(p for p in PRINCIPALS if route.expected.get(p) in (200, 303))
        names = list(route.data(world)) or (["service", "case", "after", "before"] if route.method == "GET"
                                            else ["reason"])
        for name in names:
            for junk in JUNK:
                browser = browsers[allowed]
                if route.method == "GET":
                    path, _, given = route.path(world).partition("?")
                    arguments = dict(part.split("=", 1) for part in given.split("&") if part)
                    answer = browser.get(path, query_string={**arguments, name: junk})
                else:
                    answer = browser.post(route.path(world),
                                          data={"csrf_token": token_for(browser), **route.data(world), name: junk})
                if answer.status_code >= 500 or "Something went wrong" in answer.get_data(as_text=True):
                    broken.append((route.endpoint, name, junk[:10], answer.status_code))
    for junk in JUNK[2:]:  # in the address itself
        for browser in (browsers["a_worker"], browsers["person"]):
            answer = browser.get(f"/referrals/{junk}")
            if answer.status_code not in (400, 404):
                broken.append(("referral", "reference", junk[:10], answer.status_code))
    assert broken == []


def test_the_story_through_the_pages_draft_send_accept_and_the_person_withdraws(app, runtime, world):
    browsers = principals(app, world)
    worker, partner, person = browsers["a_worker"], browsers["b_coordinator"], browsers["person"]
    form = worker.get(f"/referrals/new?service={world.housing}&case={world.case}").get_data(as_text=True)
    assert "Casa B" in form and "Offender.Person" in form  # the case's person is offered by their handle
    created = worker.post("/referrals/new", data={
        "csrf_token": csrf_from(form), "service": str(world.housing), "stage": "after_release",
        "case": world.case, "person": str(world.person.id), "wording": CURRENT_WORDING,
        "share_name": "yes", "value_name": "Ana Pop", "consent_name": "yes",
        "share_release_date": "yes", "value_release_date": "2027-01-05", "consent_release_date": "yes"})
    assert created.status_code == 303
    reference = created.headers["Location"].rsplit("/", 1)[1]
    page = worker.get(f"/referrals/{reference}").get_data(as_text=True)
    assert "Ana Pop" in page and "Send the referral" in page
    assert worker.post(f"/referrals/{reference}/send", data={"csrf_token": csrf_from(page)}).status_code == 303
    inbox = partner.get("/referrals/inbox").get_data(as_text=True)
    assert reference in inbox
    shown = partner.get(f"/referrals/{reference}").get_data(as_text=True)
    assert "Ana Pop" in shown and "2027-01-05" in shown
    partner.post(f"/referrals/{reference}/move", data={"csrf_token": csrf_from(shown), "trigger": "accept"})
    told = worker.get("/referrals").get_data(as_text=True)
    assert "A partner accepted one of your referrals." in told and "Ana Pop" not in told
    mine = person.get("/referrals/mine").get_data(as_text=True)
    assert "Casa B" in mine and "The partner accepted it" in mine
    own = person.get(f"/referrals/{reference}").get_data(as_text=True)
    assert "Ana Pop" not in own and "release date" in own
    person.post(f"/referrals/{reference}/withdraw-consent", data={"csrf_token": csrf_from(own)})
    assert "Ana Pop" not in partner.get(f"/referrals/{reference}").get_data(as_text=True)
    with runtime.transaction() as s:
        assert s.scalar(select(Referral.consent_withdrawn_at).where(Referral.reference == reference)) is not None


def test_a_field_without_consent_stops_the_send_until_the_consent_is_recorded_on_the_draft(app, runtime, world):
    worker = principals(app, world)["a_worker"]
    form = worker.get(f"/referrals/new?service={world.housing}").get_data(as_text=True)
    created = worker.post("/referrals/new", data={
        "csrf_token": csrf_from(form), "service": str(world.housing), "stage": "after_release",
        "wording": CURRENT_WORDING, "share_risk_summary": "yes", "value_risk_summary": "Low."})
    page_address = created.headers["Location"]
    page = worker.get(page_address).get_data(as_text=True)
    assert "has not consented to share" in page and "summary of risks" in page
    refused = worker.post(f"{page_address}/send", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "not consented to share" in refused.get_data(as_text=True)
    assert "flash-error" in refused.get_data(as_text=True)
    worker.post(f"{page_address}/consent", data={
        "csrf_token": csrf_from(page), "wording": CURRENT_WORDING, "share_risk_summary": "yes",
        "value_risk_summary": "Low.", "consent_risk_summary": "yes"})
    page = worker.get(page_address).get_data(as_text=True)
    assert "has not consented to share" not in page
    assert worker.post(f"{page_address}/send", data={"csrf_token": csrf_from(page)}).status_code == 303
    with runtime.transaction() as s:
        reference = page_address.rsplit("/", 1)[1]
        assert s.scalar(select(Referral.state).where(Referral.reference == reference)) == "sent"
