"""Accounts through HTTP: sessions that end for every copy of their cookie, invitation codes that never appear in
a URL, revoked and closed invitations, an activation answer that does not reveal taken usernames, the password
policy on every page that sets a password, participants' names sealed for their mediator, and sign-ins that
never fail one another."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask, Response, request
from sqlalchemy import func, select

from mediation.models import AssessmentNote, AuditEntry, User
from mediation.runtime import Runtime
from mediation.services import invitations
from tests.web.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    Browser,
    World,
    csrf_from,
    flashes,
    invitation_code_from,
    page_text,
    readable,
)

PARTICIPANT = {"name": "Hana Realname", "username": "hana.at.home", "password": PASSWORD, "confirm": PASSWORD}


def notes_count(runtime: Runtime) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(AssessmentNote)) or 0


def copy_of(browser: Browser, app: Flask, world: World) -> Browser:
    """Another client replaying ``browser``'s session cookie, as someone who copied it would."""
    cookie = browser.client.get_cookie("mediation_session")
    assert cookie is not None
    thief = Browser(app.test_client(), world)
    thief.client.set_cookie("mediation_session", cookie.value, domain=cookie.domain)
    return thief


def _sign_out(owner: Browser, _admin: Callable[[], Browser], _world: World) -> None:
    assert owner.post("/logout").status_code == 302


def _change_password(owner: Browser, _admin: Callable[[], Browser], _world: World) -> None:
    assert owner.post("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                            "confirm": NEW_PASSWORD}).status_code == 303


def _deactivation(_owner: Browser, admin: Callable[[], Browser], world: World) -> None:
    assert admin().post(f"/admin/accounts/{world.users['mediator']}/deactivate").status_code == 303


def _everywhere(owner: Browser, _admin: Callable[[], Browser], _world: World) -> None:
    assert owner.post("/account/sign-out-everywhere").status_code == 303


@pytest.mark.parametrize("ending", [_sign_out, _change_password, _deactivation, _everywhere],
                         ids=["sign-out", "password-change", "deactivation", "sign-out-everywhere"])
def test_a_replayed_copy_of_the_session_cookie_is_signed_out_when_the_session_ends(
        browser_for, app: Flask, world: World, web_runtime: Runtime, ending) -> None:
    owner = browser_for(None)
    assert owner.log_in(world.usernames["mediator"]).status_code == 302  # the real sign-in form
    thief = copy_of(owner, app, world)
    token = csrf_from(page_text(thief.get(f"/mediator/cases/{world.own}/notes")))
    assert thief.get("/mediator/").status_code == 200  # the copy works while the session lasts
    before = notes_count(web_runtime)

    ending(owner, lambda: browser_for("admin"), world)

    page = thief.get(f"/mediator/cases/{world.own}/notes")
    assert page.status_code == 302
    assert urlsplit(page.headers["Location"]).path == "/login"
    posted = thief.post(f"/mediator/cases/{world.own}/notes", {"text": "Written with a stolen cookie."},
                        token=token)
    assert posted.status_code == 302
    assert urlsplit(posted.headers["Location"]).path == "/login"
    assert notes_count(web_runtime) == before
    if ending is _change_password:
        assert owner.get("/mediator/").status_code == 200  # the person who changed it stays signed in


def test_the_idle_timeout_ends_the_session_on_the_server_too(browser_for, app: Flask, world: World) -> None:
    owner = browser_for("mediator")
    thief = copy_of(owner, app, world)
    with owner.client.session_transaction() as session:
        session["seen"] = 0  # idle for ages
    assert owner.get("/mediator/").status_code == 302
    assert thief.get("/mediator/").status_code == 302  # its own "seen" was fresh: the server ended the session


def test_an_invitation_code_never_appears_in_a_url_the_server_sees(fresh_app: Flask, world: World,
                                                                   web_runtime: Runtime) -> None:
    """Every request path and query string, every redirect and every link of the pages, from the invitation to
    the first sign-in: none holds the code or its hash (access logs record request lines, not POST bodies)."""
    seen: list[str] = []

    @fresh_app.after_request
    def record(response: Response) -> Response:
        seen.append(request.full_path)
        seen.append(response.headers.get("Location", ""))
        seen.extend(re.findall(r'(?:href|action|src)="([^"]*)"', response.get_data(as_text=True)))
        return response

    mediator = Browser(fresh_app.test_client(), world).sign_in("mediator")
    page = mediator.post(f"/mediator/cases/{world.own_assessment}/participants/{world.assessment_harmed}/invite")
    code = invitation_code_from(page_text(page))
    person = Browser(fresh_app.test_client(), world)
    person.get("/activate")
    done = person.activate(code, PARTICIPANT)
    assert done.status_code == 303
    username = re.search(r"Your username is ([a-z0-9.-]+):", readable(person.follow(done)))
    assert username
    assert person.log_in(username.group(1)).status_code == 302

    forms = {code, code.replace("-", ""), code.lower(), invitations.code_key(code)}
    assert len(seen) > 20
    leaked = [url for url in seen for form in forms if form in url]
    assert leaked == []


def test_a_new_invitation_revokes_the_earlier_one(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    path = f"/mediator/cases/{world.own_assessment}/participants/{world.assessment_harmed}/invite"
    first = invitation_code_from(page_text(mediator.post(path)))
    second = invitation_code_from(page_text(mediator.post(path)))
    refused = browser_for(None).post("/activate", {"code": first})
    assert refused.status_code == 404
    assert "This invitation was replaced by a newer one: use the newest code you were given." in readable(refused)
    assert browser_for(None).activate(second, PARTICIPANT).status_code == 303


def test_an_invitation_of_a_closed_case_is_refused_even_halfway_through(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    path = f"/mediator/cases/{world.own_assessment}/participants/{world.assessment_harmed}/invite"
    code = invitation_code_from(page_text(mediator.post(path)))
    halfway = browser_for(None)
    assert halfway.post("/activate", {"code": code}).status_code == 303  # the code was accepted
    declined = mediator.post(f"/mediator/cases/{world.own_assessment}/actions/decline",
                             {"reason": "participant_not_ready", "outcome": "declined"})
    assert declined.status_code == 303

    for response in (halfway.get("/activate"), browser_for(None).post("/activate", {"code": code})):
        assert response.status_code == 404
        assert "This invitation no longer works: the case is closed." in readable(response)
    assert halfway.post("/activate", PARTICIPANT).status_code == 303  # back to the code: nothing is created
    assert "Enter your invitation code first." in flashes(page_text(halfway.get("/activate")))


def _participant_code(browser_for, reference: str) -> str:
    """An invitation for a new participant of ``reference`` (added for the test)."""
    mediator = browser_for("mediator")
    response = mediator.post(f"/mediator/cases/{reference}/participants", {"relationship": "victim_family"})
    assert response.status_code == 303
    page = page_text(mediator.get(f"/mediator/cases/{reference}"))
    newest = max(int(i) for i in re.findall(rf"/mediator/cases/{reference}/participants/(\d+)/invite", page))
    return invitation_code_from(page_text(mediator.post(f"/mediator/cases/{reference}/participants/{newest}/invite")))


def _scrubbed(page: str, username: str) -> str:
    page = page.replace(username, "USERNAME")
    return re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', "", page)


def test_a_username_someone_else_chose_gives_the_same_answer_as_a_free_one(browser_for, world: World) -> None:
    answers = []
    for stem in ("same.name", "same.name", "free.name"):
        person = browser_for(None)
        code = _participant_code(browser_for, world.own_assessment)
        done = person.activate(code, {**PARTICIPANT, "username": stem})
        assert done.status_code == 303
        follow = readable(person.follow(done))
        username = re.search(r"Your username is ([a-z0-9.-]+):", follow)
        assert username
        assert username.group(1).startswith(f"{stem}-")
        answers.append((done.status_code, done.headers["Location"], _scrubbed(follow, username.group(1))))
    assert answers[0] == answers[1] == answers[2]


WEAK = [("aaaaaaaaaaaa", "This password is too easy to guess"),
        ("password1234", "This password is too easy to guess"),
        ("short", "A password needs at least 12 characters.")]


@pytest.mark.parametrize(("password", "message"), [*WEAK, ("hana.at.home", "A password may not contain your "
                                                                          "username or your name.")],
                         ids=["repeats", "common", "short", "the-username"])
def test_a_participant_cannot_choose_a_weak_password(browser_for, world: World, web_runtime: Runtime,
                                                     password: str, message: str) -> None:
    person = browser_for(None)
    refused = person.activate(world.invitation, {**PARTICIPANT, "password": password, "confirm": password})
    assert refused.status_code == 400
    assert message in readable(refused)
    assert re.search(r'<p class="error" id="password-error">', page_text(refused))
    with web_runtime.transaction() as s:
        assert s.scalar(select(func.count()).where(User.username.like("hana.at.home%"))) == 0
    assert person.post("/activate", PARTICIPANT).status_code == 303  # the invitation still works


@pytest.mark.parametrize(("password", "message"), [*WEAK, ("mediator.one", "A password may not contain your "
                                                                           "username or your name.")],
                         ids=["repeats", "common", "short", "the-username"])
def test_staff_cannot_choose_a_weak_password_at_activation_or_when_changing_it(browser_for, world: World,
                                                                                password: str, message: str) -> None:
    code = invitation_code_from(page_text(
        browser_for("admin").post(f"/admin/accounts/{world.users['mediator']}/invite")))
    refused = browser_for(None).activate(code, {"password": password, "confirm": password})
    assert refused.status_code == 400
    assert message in readable(refused)
    changed = browser_for("mediator").post("/account/password", {"current": PASSWORD, "password": password,
                                                                  "confirm": password})
    assert changed.status_code == 400
    assert message in readable(changed)
    assert browser_for(None).log_in(world.usernames["mediator"], PASSWORD).status_code == 302  # unchanged


def test_a_participants_name_is_shown_only_to_their_mediator_and_each_reading_is_audited(
        browser_for, world: World, web_runtime: Runtime) -> None:
    assert browser_for(None).activate(world.invitation, PARTICIPANT).status_code == 303
    case_page = readable(browser_for("mediator").get(f"/mediator/cases/{world.own_assessment}"))
    assert '<span class="given-name">Hana Realname</span>' in case_page
    accounts_page = readable(browser_for("admin").get("/admin/accounts"))
    assert "Hana Realname" not in accounts_page
    assert re.search(r"<td>hana\.at\.home-[a-z0-9]{4}</td><td>Participant [0-9A-Z]{4}</td>", accounts_page)
    with web_runtime.transaction() as s:
        readings = s.scalars(select(AuditEntry).where(AuditEntry.tag == "content:name:decrypted")).all()
    assert [(entry.actor_id, entry.details) for entry in readings] == [
        (world.users["mediator"], f'{{"participant_id":{world.assessment_harmed}}}')]


def test_thirty_sign_ins_at_once_never_fail_one_another(app: Flask, world: World) -> None:
    """On SQLite, in a database file, with threads: every right password signs in, every wrong one is refused
    with 400, none gives an error, and a mediator's page still loads meanwhile."""
    people = [("admin", PASSWORD), ("mediator", PASSWORD), ("staff", PASSWORD), ("offender", PASSWORD),
              ("mediator", "not the right password")]
    attempts = [people[i % len(people)] for i in range(30)]
    browsers = [Browser(app.test_client(), world) for _ in attempts]
    tokens = [csrf_from(page_text(b.get("/login"))) for b in browsers]
    reader = Browser(app.test_client(), world).sign_in("mediator")
    results: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(attempts) + 1)

    def sign_in(index: int) -> None:
        key, password = attempts[index]
        try:
            start.wait()
            response = browsers[index].post("/login", {"username": world.usernames[key], "password": password},
                                            token=tokens[index])
            results.append((password, response.status_code))
        except BaseException as error:
            errors.append(error)

    def read() -> None:
        try:
            start.wait()
            results.append(("dashboard", reader.get("/mediator/").status_code))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(len(attempts))]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == 31
    assert sorted(status for _, status in results if _ == PASSWORD) == [302] * 24
    assert [status for password, status in results if password == "not the right password"] == [400] * 6
    assert [status for what, status in results if what == "dashboard"] == [200]
