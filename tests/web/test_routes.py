"""Every route of the web app and its main behaviour, through the Flask test client with CSRF enabled.

Each test names the (endpoint, method) pairs it exercises with ``@covers``; the last test of the module fails if
the app serves a route no test covers, so a new page cannot arrive untested. Error handling is at the end: stale
versions, malformed numbers, unknown triggers and garbage input give a page that says what is wrong, never a 500.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select

from mediation.db import utcnow
from mediation.demo import DEMO_REFERRAL
from mediation.models import AssessmentNote, Case, CaseReferenceCounter, HeldRequest, Message, User
from mediation.runtime import Runtime
from mediation.services import invitations
from tests.web.conftest import (
    CANARY_ACTIVITY,
    CANARY_DELIVERED,
    CANARY_HARMED_ADDRESS,
    CANARY_NOTE,
    CANARY_PENDING,
    CANARY_RETURNED,
    CANARY_REVIEW_NOTE,
    MEDIATOR_NAME,
    NEW_PASSWORD,
    OTHER_CANARIES,
    OTHER_MEDIATOR_NAME,
    PASSWORD,
    ROLE_HOME,
    ROUTES,
    Browser,
    World,
    csrf_from,
    enrol,
    flashes,
    invitation_code_from,
    next_code,
    page_text,
    readable,
    recovery_codes_from,
    route_pairs,
    secret_from,
    send,
    video_upload,
)
from tests.web.test_authorization_matrix import PROGRAMME_BLUEPRINTS
from workflows.case_workflow import CASE_WORKFLOW
from workflows.vocabulary import CaseState

F = TypeVar("F", bound=Callable[..., Any])
COVERED: set[tuple[str, str]] = set()
REFERENCE = re.compile(r"RO-\d{4}-\d{5}")


def covers(*pairs: str) -> Callable[[F], F]:
    """Record that the decorated test exercises these routes, written "endpoint METHOD"."""

    def mark(test: F) -> F:
        for pair in pairs:
            endpoint, method = pair.split()
            COVERED.add((endpoint, method))
        return test

    return mark


# --- reading the database behind the pages ----------------------------------------------------------------------

def case_facts(runtime: Runtime, reference: str) -> dict[str, Any]:
    with runtime.transaction() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        return {"state": case.state, "version": case.version, "modality": case.modality, "outcome": case.outcome,
                "paused_from": case.paused_from, "mediator_id": case.assigned_mediator_id,
                "participants": {p.id: (p.relationship_to_case, p.consent, p.safety, p.user_id)
                                 for p in case.participants},
                "sentence": None if case.sentence is None else (case.sentence.kind, case.sentence.effective_eligible,
                                                                case.sentence.is_overridden)}


def message_state(runtime: Runtime, message_id: str) -> str:
    with runtime.transaction() as s:
        return s.scalars(select(Message.state).where(Message.id == message_id)).one()


def count(runtime: Runtime, model: Any) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def user_row(runtime: Runtime, username: str) -> User | None:
    with runtime.transaction() as s:
        return s.scalars(select(User).where(User.username == username)).first()


def case_page_path(reference: str) -> str:
    return f"/mediator/cases/{reference}"


def back_to(path: str) -> dict[str, str]:
    """The Referer a browser sends from ``path``: a refused action returns there with its reason."""
    return {"Referer": f"http://localhost{path}"}


def hidden_version(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "no version field on the page"
    return match.group(1)


def triggers_offered(html: str, reference: str) -> set[str]:
    fired = set(re.findall(rf'action="/mediator/cases/{reference}/actions/([a-z_]+)"', html))
    # A withdrawal on a participant's behalf has a page of its own, with a confirmation (tests/web/test_persons.py).
    return fired | ({"withdraw"} if f'href="/mediator/cases/{reference}/withdraw"' in html else set())


# --- public pages -------------------------------------------------------------------------------------------------

@covers("public.home GET", "static GET")
def test_the_home_page_explains_the_programme_and_links_to_the_request_form(browser: Browser) -> None:
    response = browser.get("/")
    assert response.status_code == 200
    html = page_text(response)
    assert "Voluntary at every stage" in html
    assert 'href="/request"' in html
    assert 'href="/static/site.css"' in html
    css = browser.get("/static/site.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"


@covers("public.request_mediation GET")
def test_the_request_form_asks_who_they_are_how_to_reach_them_and_shows_the_office(browser: Browser) -> None:
    response = browser.get("/request")
    assert response.status_code == 200
    html = page_text(response)
    for name in ("relationship", "name", "phone", "email", "address", "preferred_contact", "may_leave_message",
                 "safe_times_to_call", "language", "accessibility_needs", "who_harmed_them", "account", "understood"):
        assert f'name="{name}"' in html, name
    assert 'href="tel:1-800-555-0199"' in html and "restorative.opportunities@example.org" in html
    assert 'name="csrf_token"' in html
    assert 'value="offender"' not in html  # the offender's request comes through staff, not this form


RECEIPT = re.compile(r'<strong class="receipt">(HR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>')


def reference_counter(runtime: Runtime) -> int:
    with runtime.transaction() as s:
        return sum(s.scalars(select(CaseReferenceCounter.last_number)))


def held(runtime: Runtime, receipt: str) -> HeldRequest | None:
    with runtime.transaction() as s:
        return s.scalars(select(HeldRequest).where(HeldRequest.receipt_code == receipt)).first()


@covers("public.request_mediation POST")
def test_a_valid_request_answers_with_a_receipt_code_and_opens_no_case(browser: Browser, web_runtime: Runtime) -> None:
    cases, numbers = count(web_runtime, Case), reference_counter(web_runtime)
    response = browser.post("/request", {"relationship": "victim_family", "understood": "y", "name": "Robin",
                                         "email": "robin@example.org"})
    assert response.status_code == 200
    html = page_text(response)
    match = RECEIPT.search(html)
    assert match, html
    assert "keep this receipt code" in html
    assert not REFERENCE.search(html)  # no case reference: there is no case yet
    assert count(web_runtime, Case) == cases
    assert reference_counter(web_runtime) == numbers  # no reference was taken
    request = held(web_runtime, match.group(1))
    assert request is not None
    assert (request.status, request.relationship_to_case, request.case_id) == ("pending", "victim_family", None)


@covers("public.request_mediation POST")
def test_a_request_without_the_checkbox_comes_back_with_the_error_next_to_the_field(browser: Browser,
                                                                                    web_runtime: Runtime) -> None:
    before = count(web_runtime, Case)
    response = browser.post("/request", {"relationship": "victim_representative"})
    assert response.status_code == 400
    html = page_text(response)
    assert '<p class="error" id="understood-error">Please confirm that you understand this.</p>' in html
    assert re.search(r'<input[^>]*aria-describedby="understood-error"[^>]*id="understood"', html) or re.search(
        r'<input[^>]*id="understood"[^>]*aria-describedby="understood-error"', html)
    assert re.search(r'<option selected value="victim_representative">|<option value="victim_representative" '
                     r'selected', html), "the choice made is kept"
    assert not REFERENCE.search(html)
    assert count(web_runtime, Case) == before


@covers("public.request_mediation POST")
def test_a_request_with_a_relationship_outside_the_list_is_refused(browser: Browser, web_runtime: Runtime) -> None:
    before = count(web_runtime, Case)
    response = browser.post("/request", {"relationship": "offender", "understood": "y"})
    assert response.status_code == 400
    assert 'id="relationship-error"' in page_text(response)
    assert count(web_runtime, Case) == before


@covers("public.language POST")
def test_the_language_switch_changes_the_language_and_returns_to_the_page(browser: Browser) -> None:
    response = browser.post("/language/fr", headers=back_to("/request"))
    assert response.status_code == 303
    assert response.headers["Location"] == "http://localhost/request"
    assert '<html lang="fr">' in page_text(browser.get("/"))
    assert browser.post("/language/xx").status_code == 303  # an unknown language changes nothing
    assert '<html lang="fr">' in page_text(browser.get("/"))
    response = browser.post("/language/en", headers={"Referer": "https://elsewhere.example/page"})
    assert urlsplit(response.headers["Location"]).path == "/"  # never back to another site
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")
    assert '<html lang="en">' in page_text(browser.get("/"))


@covers("public.request_status GET", "public.request_status POST")
def test_the_receipt_code_and_secret_show_where_the_request_stands_and_nothing_else(browser: Browser,
                                                                                   world: World) -> None:
    form = page_text(browser.get("/request/status"))
    assert 'name="receipt"' in form and 'name="secret"' in form
    answer = browser.post("/request/status", {"receipt": world.held_receipt, "secret": world.held_secret})
    assert answer.status_code == 200
    assert "Your request was received." in readable(answer)
    assert not REFERENCE.search(page_text(answer)) and "Dana" not in page_text(answer)
    wrong = [browser.post("/request/status", {"receipt": receipt, "secret": secret}) for receipt, secret in (
        (world.held_receipt, "AAAA-AAAA-AAAA-AAAA-AAAA"), ("HR-0000-0000-0000", world.held_secret))]
    assert {r.status_code for r in wrong} == {404}
    problems = {re.search(r'<div class="error-summary".*?</div>', page_text(r), re.S).group(0) for r in wrong}
    assert len(problems) == 1 and "We found no request" in problems.pop()  # the same answer either way


# --- signing in and out, and portal activation ---------------------------------------------------------------

@covers("auth.login GET")
def test_the_login_page_has_the_form(browser: Browser) -> None:
    response = browser.get("/login")
    assert response.status_code == 200
    html = page_text(response)
    assert 'name="username"' in html
    assert 'type="password"' in html


@covers("auth.login POST")
@pytest.mark.parametrize("key", ["admin", "mediator", "staff", "offender"])
def test_the_right_password_signs_in_and_leads_to_the_roles_home(browser: Browser, world: World, key: str) -> None:
    response = browser.log_in(world.usernames[key].upper())  # usernames are not case-sensitive
    assert response.status_code == 302
    role = {"offender": "participant"}.get(key, key)
    assert urlsplit(response.headers["Location"]).path == ROLE_HOME[role]
    home = browser.follow(response)
    assert home.status_code == 200


@covers("auth.login POST")
@pytest.mark.parametrize("username", ["mediator.one", "nobody.here"], ids=["wrong-password", "unknown-user"])
def test_a_failed_login_says_only_that_something_was_not_right(browser: Browser, username: str) -> None:
    response = browser.log_in(username, "a wrong password, long")
    assert response.status_code == 400
    html = page_text(response)
    assert flashes(html) == ["The username or password is not right."]
    assert "does not exist" not in html.lower()
    assert "unknown" not in html.lower()
    assert browser.get("/mediator/").status_code == 302  # still signed out


@covers("auth.login POST")
def test_an_empty_login_form_is_refused_without_a_crash(browser: Browser) -> None:
    response = browser.post("/login", {"username": "", "password": ""})
    assert response.status_code == 400
    assert 'id="username-error"' in page_text(response)


@covers("auth.logout POST")
def test_logout_signs_out_and_only_by_post(browser_for) -> None:
    mediator = browser_for("mediator")
    assert mediator.get("/logout").status_code == 405  # a link or an image cannot sign anyone out
    assert mediator.get("/mediator/").status_code == 200
    response = mediator.post("/logout")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert "You are signed out." in flashes(page_text(mediator.follow(response)))
    after = mediator.get("/mediator/")
    assert after.status_code == 302
    assert urlsplit(after.headers["Location"]).path == "/login"


def new_username(page: str) -> str:
    """The username an activation gave (the chosen start and a random ending), from the flashed message."""
    match = re.search(r"Your username is ([a-z0-9._-]+):", page)
    assert match, page
    return match.group(1)


PARTICIPANT_FORM = {"name": "Hana Realname", "username": "hana.new", "password": PASSWORD, "confirm": PASSWORD}


@covers("mediator.invite POST", "auth.activate GET", "auth.activate POST")
def test_an_invitation_code_creates_the_portal_account_once(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = mediator.post(f"/mediator/cases/{world.own_assessment}/participants/{world.assessment_harmed}/invite")
    assert page.status_code == 200
    code = invitation_code_from(page_text(page))

    visitor = browser_for(None)
    first = visitor.get("/activate")
    assert first.status_code == 200
    assert 'name="code"' in page_text(first)
    assert 'name="password"' not in page_text(first)  # nothing but the code before the code is given
    entered = visitor.post("/activate", {"code": code.lower().replace("-", " ")})  # as a person might type it
    assert entered.status_code == 303
    assert urlsplit(entered.headers["Location"]).path == "/activate"
    form = visitor.get("/activate")
    assert form.status_code == 200
    html = page_text(form)
    assert all(f'name="{name}"' in html for name in ("name", "username", "password", "confirm"))
    assert "Please do not use your real name." in readable(form)

    mismatch = visitor.post("/activate", {**PARTICIPANT_FORM, "confirm": "another long password"})
    assert mismatch.status_code == 400
    assert 'id="confirm-error"' in page_text(mismatch)

    done = visitor.post("/activate", PARTICIPANT_FORM)
    assert done.status_code == 303
    assert urlsplit(done.headers["Location"]).path == "/login"
    login_page = readable(visitor.follow(done))
    username = new_username(login_page)
    assert re.fullmatch(r"hana\.new-[a-z0-9]{4}", username)
    assert f'value="{username}"' in login_page  # offered on the sign-in form
    user = user_row(web_runtime, username)
    assert user is not None
    assert user.role == "participant"
    assert re.fullmatch(r"Participant [0-9A-Z]{4}", user.display_name)  # no real name on the account
    assert case_facts(web_runtime, world.own_assessment)["participants"][world.assessment_harmed][3] == user.id

    again = browser_for(None).post("/activate", {"code": code})
    assert again.status_code == 404
    assert "This invitation code is not valid" in readable(again)
    assert visitor.post("/activate", PARTICIPANT_FORM).status_code == 303  # the used invitation left the session
    assert count(web_runtime, User) == len(world.users) + 1

    signed_in = browser_for(None).log_in(username)
    assert urlsplit(signed_in.headers["Location"]).path == "/portal/"


@covers("auth.activate GET", "auth.activate POST")
def test_an_expired_or_unknown_invitation_code_is_refused_clearly(browser: Browser, world: World,
                                                                  web_runtime: Runtime) -> None:
    with web_runtime.transaction() as s:
        mediator = s.get(User, world.users["mediator"])
        assert mediator is not None
        code = invitations.invite_participant(s, mediator, world.own_assessment,
                                              participant_id=world.assessment_harmed, hours=72,
                                              now=utcnow() - timedelta(hours=73))
    expired = browser.post("/activate", {"code": code})
    assert expired.status_code == 404
    assert "This invitation has expired. Ask for a new one." in readable(expired)
    unknown = browser.post("/activate", {"code": "NOT-A-CODE-AT-ALL"})
    assert unknown.status_code == 404
    assert "This invitation code is not valid" in readable(unknown)
    empty = browser.post("/activate", {"code": " "})
    assert empty.status_code == 400
    assert 'id="code-error"' in page_text(empty)
    posted = browser.post("/activate", PARTICIPANT_FORM)  # no code given in this session: back to the code
    assert posted.status_code == 303
    assert "Enter your invitation code first." in flashes(page_text(browser.follow(posted)))
    assert count(web_runtime, User) == len(world.users)


# --- every signed-in person's own account -----------------------------------------------------------------------

@covers("account.home GET")
@pytest.mark.parametrize("key", ["admin", "mediator", "staff", "offender"])
def test_everyone_signed_in_has_an_account_page_linked_from_the_header(browser_for, world: World, key: str) -> None:
    person = browser_for(key)
    home = page_text(person.get(ROLE_HOME[{"offender": "participant"}.get(key, key)]))
    assert 'href="/account/"' in home
    page = person.get("/account/")
    assert page.status_code == 200
    html = readable(page)
    assert f"Signed in as {world.usernames[key]}." in html
    assert 'name="current"' in html
    assert 'action="/account/sign-out-everywhere"' in html


@covers("account.change_password POST")
def test_changing_ones_password_needs_the_current_one_and_a_strong_new_one(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    wrong = mediator.post("/account/password", {"current": "not my password at all", "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert "The current password is not right." in readable(wrong)
    weak = mediator.post("/account/password", {"current": PASSWORD, "password": "password1234",
                                               "confirm": "password1234"})
    assert weak.status_code == 400
    assert "This password is too easy to guess" in readable(weak)
    assert 'id="password-error"' in page_text(weak)

    done = mediator.post("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert urlsplit(done.headers["Location"]).path == "/account/"
    assert "Your password was changed. Every other session of your account was signed out." in flashes(
        page_text(mediator.follow(done)))
    assert mediator.get("/mediator/").status_code == 200  # this session goes on
    assert browser_for(None).log_in("mediator.one", PASSWORD).status_code == 400
    assert browser_for(None).log_in("mediator.one", NEW_PASSWORD).status_code == 302


@covers("account.sign_out_everywhere POST")
def test_signing_out_everywhere_ends_this_session_and_every_other(browser_for) -> None:
    here, elsewhere = browser_for("staff"), browser_for("staff")
    assert here.get("/account/sign-out-everywhere").status_code == 405  # only a form can do it
    response = here.post("/account/sign-out-everywhere")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert "Your account was signed out everywhere. Sign in again to continue." in flashes(
        page_text(here.follow(response)))
    for browser in (here, elsewhere):
        assert browser.get("/staff/").status_code == 302


# --- the mediator -------------------------------------------------------------------------------------------------

@covers("mediator.dashboard GET")
def test_the_dashboard_lists_the_mediators_own_cases_only(browser_for, world: World) -> None:
    html = page_text(browser_for("mediator").get("/mediator/"))
    for mine in (world.own, world.own_requested, world.own_assessment, world.own_relay, world.own_video):
        assert mine in html
    for not_mine in (world.other, world.new_referral, world.other_referral):
        assert not_mine not in html
    assert "Messages awaiting review" in html
    other = page_text(browser_for("other_mediator").get("/mediator/"))
    assert world.other in other
    assert world.own not in other


@covers("mediator.case GET")
@pytest.mark.parametrize("which", ["own", "own_requested", "own_assessment", "own_relay", "own_video"])
def test_the_case_page_offers_exactly_the_triggers_of_the_current_state(browser_for, world: World,
                                                                        web_runtime: Runtime, which: str) -> None:
    reference = getattr(world, which)
    response = browser_for("mediator").get(case_page_path(reference))
    assert response.status_code == 200
    html = page_text(response)
    state = case_facts(web_runtime, reference)["state"]
    from_machine = {t.trigger for t in CASE_WORKFLOW.transitions if t.source == state}
    assert triggers_offered(html, reference) == from_machine
    assert f'data-state="{state}"' in html
    assert f'name="version" value="{world.version(reference)}"' in html


@covers("mediator.case GET")
def test_a_trigger_whose_conditions_are_not_met_is_shown_disabled_with_what_it_waits_for(browser_for,
                                                                                         world: World) -> None:
    html = page_text(browser_for("mediator").get(case_page_path(world.own_assessment)))
    assert re.search(r'<button type="submit" disabled aria-describedby="waiting-prepare"', html)
    assert 'id="waiting-prepare"' in html


@covers("mediator.fire POST")
def test_pause_and_resume_with_a_reason_and_the_version_seen(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    response = mediator.post(f"{page}/actions/pause", {"reason": "safety_concern",
                                                      "version": str(world.version(world.own))})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == page
    html = page_text(mediator.follow(response))
    assert "Done: Pause the case." in flashes(html)
    facts = case_facts(web_runtime, world.own)
    assert (facts["state"], facts["paused_from"]) == ("paused", "dialogue_written")
    assert triggers_offered(html, world.own) == {"resume", "withdraw"}
    assert "safety concern" in html  # the reason is on the timeline

    response = mediator.post(f"{page}/actions/resume", {"version": hidden_version(html)})
    assert response.status_code == 303
    assert "Done: Resume the case." in flashes(page_text(mediator.follow(response)))
    assert case_facts(web_runtime, world.own)["state"] == "dialogue_written"


@covers("mediator.fire POST")
def test_pausing_without_a_reason_is_refused_with_the_reason_why(browser_for, world: World,
                                                                 web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    response = mediator.post(f"{page}/actions/pause", {"version": str(world.version(world.own))},
                             headers=back_to(page))
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{page}"
    assert any("needs a reason" in text for text in flashes(page_text(mediator.follow(response))))
    assert case_facts(web_runtime, world.own)["state"] == "dialogue_written"


@covers("mediator.record_sentence POST")
def test_recording_a_sentence_shows_the_decision_and_its_reason(browser_for, world: World,
                                                                web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_requested)
    response = mediator.post(f"{page}/sentence", {"kind": "fixed", "years": "1", "months": "11",
                                                  "version": str(world.version(world.own_requested))})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).fragment == "eligibility"
    html = page_text(mediator.follow(response))
    assert "The sentence was recorded." in flashes(html)
    assert "Not eligible" in html
    assert case_facts(web_runtime, world.own_requested)["sentence"] == ("fixed", False, False)


@covers("mediator.record_sentence POST")
@pytest.mark.parametrize("fields", [{"kind": "fixed", "years": "-2"}, {"kind": "fixed"},
                                    {"kind": "life", "years": "3"}, {"kind": "forever"},
                                    {"kind": "fixed", "years": "99999999999999"}])
def test_bad_sentence_data_is_refused_with_a_clear_message(browser_for, world: World, web_runtime: Runtime,
                                                           fields: dict[str, str]) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_requested)
    before = case_facts(web_runtime, world.own_requested)["sentence"]
    response = mediator.post(f"{page}/sentence", fields, headers=back_to(page))
    assert response.status_code == 400  # the case page again, the reasons beside the sentence form
    shown = page_text(response)
    assert 'id="sentence-problems"' in shown and "The sentence was not recorded:" in shown
    assert case_facts(web_runtime, world.own_requested)["sentence"] == before


@covers("mediator.choose_modality POST")
def test_choosing_the_modality(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    response = mediator.post(f"{page}/modality", {"modality": "video",
                                                  "version": str(world.version(world.own_assessment))})
    assert response.status_code == 303
    assert "The modality was recorded." in flashes(page_text(mediator.follow(response)))
    assert case_facts(web_runtime, world.own_assessment)["modality"] == "video"


@covers("mediator.add_participant POST", "mediator.record_consent POST")
def test_adding_a_participant_and_recording_consent(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    response = mediator.post(f"{page}/participants", {"relationship": "offender"})
    assert response.status_code == 303
    assert "The participant was added." in flashes(page_text(mediator.follow(response)))
    people = case_facts(web_runtime, world.own_assessment)["participants"]
    assert sorted(r for r, *_ in people.values()) == ["offender", "victim"]

    response = mediator.post(f"{page}/participants/{world.assessment_harmed}/consent", {"consent": "given"})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).fragment == "participants"
    assert case_facts(web_runtime, world.own_assessment)["participants"][world.assessment_harmed][1] == "given"

    refused = mediator.post(f"{page}/participants/{world.assessment_harmed}/consent", {"consent": "withdrawn"},
                            headers=back_to(page))
    assert any("use the withdraw action" in text for text in flashes(page_text(mediator.follow(refused))))
    refused = mediator.post(f"{page}/participants", {"relationship": "cousin"}, headers=back_to(page))
    assert any("Unknown relationship" in text for text in flashes(page_text(mediator.follow(refused))))


@covers("mediator.record_safety POST")
def test_recording_a_safety_assessment(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    response = mediator.post(f"{page}/participants/{world.own_harmed}/safety",
                             {"outcome": "concerns", "risk_threats": "on"})
    assert response.status_code == 303
    assert case_facts(web_runtime, world.own)["participants"][world.own_harmed][2] == "concerns"
    refused = mediator.post(f"{page}/participants/{world.own_harmed}/safety", {"outcome": "fine"},
                            headers=back_to(page))
    assert any("Choose the outcome" in text for text in flashes(page_text(mediator.follow(refused))))


@covers("mediator.contact GET", "mediator.contact POST")
def test_contact_details_are_read_and_replaced_by_the_mediator(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    path = f"/mediator/cases/{world.own}/participants/{world.own_harmed}/contact"
    html = page_text(mediator.get(path))
    assert CANARY_HARMED_ADDRESS in html
    response = mediator.post(path, {"name": "Hana H.", "address": "7 New Road", "phone": "555-0110",
                                    "email": "hana@example.org", "safe_times_to_call": "mornings"})
    assert response.status_code == 303
    assert "The contact details were saved, encrypted." in flashes(page_text(mediator.follow(response)))
    html = page_text(mediator.get(path))
    assert "7 New Road" in html
    assert CANARY_HARMED_ADDRESS not in html
    refused = mediator.post(path, {"email": "not an address"}, headers=back_to(path))
    assert any("does not look like one" in text for text in flashes(page_text(mediator.follow(refused))))
    assert mediator.get(f"/mediator/cases/{world.own}/participants/{world.other_harmed}/contact").status_code == 404


@covers("mediator.case_notes GET", "mediator.case_notes POST")
def test_assessment_notes_are_listed_and_added(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    path = f"/mediator/cases/{world.own}/notes"
    assert CANARY_NOTE in page_text(mediator.get(path))
    response = mediator.post(path, {"text": "Second meeting went well.", "participant_id": str(world.own_offender)})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == path
    html = page_text(mediator.follow(response))
    assert "The note was saved, encrypted." in flashes(html)
    assert "Second meeting went well." in html
    before = count(web_runtime, AssessmentNote)
    refused = mediator.post(path, {"text": "   "}, headers=back_to(path))
    assert "A note cannot be empty." in flashes(page_text(mediator.follow(refused)))
    assert count(web_runtime, AssessmentNote) == before


@covers("mediator.review_queue GET")
def test_the_review_queue_lists_what_waits_on_the_mediators_cases(browser_for, world: World) -> None:
    html = page_text(browser_for("mediator").get("/mediator/reviews"))
    assert f'href="/mediator/cases/{world.own}/messages"' in html
    assert world.other not in html
    assert CANARY_PENDING not in html  # a list without content
    assert "No message is waiting" in page_text(browser_for("other_mediator").get("/mediator/reviews"))


@covers("mediator.case_messages GET")
def test_the_messages_page_shows_every_message_of_the_case_for_review(browser_for, world: World) -> None:
    html = page_text(browser_for("mediator").get(f"/mediator/cases/{world.own}/messages"))
    for text in (CANARY_DELIVERED, CANARY_PENDING, CANARY_RETURNED, CANARY_REVIEW_NOTE):
        assert text in html
    assert html.count('value="approve"') == 1  # only the submitted message can be approved
    assert 'action="/mediator/cases/' + world.own + '/messages/relay"' not in html  # not a relayed dialogue


@covers("mediator.review POST")
@pytest.mark.parametrize(("fields", "state", "flash"), [
    ({"trigger": "approve"}, "delivered", "approved and delivered"),
    ({"trigger": "return", "note": "Please leave out the address."}, "returned", "returned to the author"),
    ({"trigger": "redact", "redacted_text": "A shorter reply."}, "awaiting_author", "redaction proposed"),
    ({"trigger": "withhold", "reason": "harmful_content"}, "withheld", "withheld"),
], ids=["approve", "return", "redact", "withhold"])
def test_the_mediator_reviews_a_submitted_message(browser_for, world: World, web_runtime: Runtime,
                                                  fields: dict[str, str], state: str, flash: str) -> None:
    mediator = browser_for("mediator")
    response = mediator.post(f"/mediator/cases/{world.own}/messages/{world.pending}/review", fields)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/mediator/cases/{world.own}/messages"
    html = page_text(mediator.follow(response))
    assert f"The message was updated: {flash}." in flashes(html)
    assert message_state(web_runtime, world.pending) == state


@covers("mediator.review POST")
@pytest.mark.parametrize("fields", [{"trigger": "return"}, {"trigger": "redact", "redacted_text": " "},
                                    {"trigger": "delete"}, {}], ids=["return-without-note", "empty-redaction",
                                                                     "unknown-trigger", "nothing"])
def test_a_review_without_what_it_needs_is_refused(browser_for, world: World, web_runtime: Runtime,
                                                   fields: dict[str, str]) -> None:
    mediator = browser_for("mediator")
    page = f"/mediator/cases/{world.own}/messages"
    response = mediator.post(f"{page}/{world.pending}/review", fields, headers=back_to(page))
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{page}"
    assert any(c.startswith(("The ", "A review")) for c in flashes(page_text(mediator.follow(response))))
    assert message_state(web_runtime, world.pending) == "submitted"


@covers("mediator.relay POST")
def test_the_mediator_writes_on_a_participants_behalf_in_a_relayed_dialogue(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    page = f"/mediator/cases/{world.own_relay}/messages"
    assert f'action="{page}/relay"' in page_text(mediator.get(page))
    response = mediator.post(f"{page}/relay", {"text": "Relayed: I am ready to listen.",
                                               "on_behalf_of": str(world.relay_harmed)})
    assert response.status_code == 303
    html = page_text(mediator.follow(response))
    assert "Relayed: I am ready to listen." in html
    assert 'data-state="submitted"' in html
    refused = mediator.post(f"/mediator/cases/{world.own}/messages/relay",
                            {"text": "Not here.", "on_behalf_of": str(world.own_harmed)},
                            headers=back_to(f"/mediator/cases/{world.own}/messages"))
    assert refused.status_code == 403  # written dialogue: participants write for themselves
    assert "only when the messages are relayed" in page_text(refused)


@covers("mediator.video GET", "portal.video GET")
def test_a_video_message_streams_to_the_mediator_and_to_its_recipient(browser_for, world: World) -> None:
    for key, path in (("mediator", f"/mediator/cases/{world.own_video}/messages/{world.video_message}/video"),
                      ("offender", f"/portal/cases/{world.own_video}/messages/{world.video_message}/video")):
        response = browser_for(key).get(path)
        assert response.status_code == 200
        assert response.mimetype == "video/webm"
        assert response.get_data() == world.video_bytes
        assert response.headers["Content-Length"] == str(len(world.video_bytes))
    assert browser_for("mediator").get(
        f"/mediator/cases/{world.own}/messages/{world.delivered}/video").status_code == 404  # not a video


# --- the participant's portal ---------------------------------------------------------------------------------

@covers("portal.home GET")
def test_the_portal_says_where_the_case_stands_in_plain_words(browser_for, world: World) -> None:
    html = page_text(browser_for("offender").get("/portal/"))
    assert "The dialogue is under way in writing, through the mediator." in html
    assert "dialogue_written" not in html
    assert f'href="/portal/cases/{world.own}/messages"' in html
    assert f'href="/portal/cases/{world.own}/withdraw"' in html
    assert world.other not in html
    assert world.own not in page_text(browser_for("other_offender").get("/portal/"))


@covers("portal.case_messages GET", "portal.open_message GET")
def test_opening_a_delivered_message_shows_it_and_marks_it_read(browser_for, world: World,
                                                               web_runtime: Runtime) -> None:
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own}/messages"
    html = page_text(offender.get(path))
    assert f'href="{path}/{world.delivered}"' in html
    assert "(new)" in html
    assert CANARY_DELIVERED not in html  # the list holds no content: opening it reads it
    opened = offender.get(f"{path}/{world.delivered}")
    assert opened.status_code == 200
    assert CANARY_DELIVERED in page_text(opened)
    assert message_state(web_runtime, world.delivered) == "read"
    assert "(new)" not in page_text(offender.get(path))
    sender = page_text(browser_for("harmed").get(path))
    assert "delivered and read" not in sender  # read receipts are off unless the mediator turns them on
    browser_for("mediator").post(f"/mediator/cases/{world.own}/read-receipts", {"shown": "yes"})
    assert "delivered and read" in page_text(browser_for("harmed").get(path))


@covers("portal.write POST")
def test_a_participant_writes_a_message_that_waits_for_the_mediator(browser_for, world: World) -> None:
    harmed = browser_for("harmed")
    path = f"/portal/cases/{world.own}/messages"
    response = harmed.post(path, {"text": "I have three questions for you."})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == path
    html = page_text(harmed.follow(response))
    assert any("review it before anything is delivered" in text for text in flashes(html))
    assert "I have three questions for you." in html
    assert "waiting for the mediator" in html
    assert "I have three questions for you." not in page_text(browser_for("offender").get(path))
    refused = harmed.post(path, {"text": "  "}, headers=back_to(path))
    assert "The message cannot be empty." in flashes(page_text(harmed.follow(refused)))


@covers("portal.answer POST")
def test_the_author_revises_a_returned_message(browser_for, world: World, web_runtime: Runtime) -> None:
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own}/messages"
    html = page_text(offender.get(path))
    assert CANARY_REVIEW_NOTE in html  # the mediator's note, shown to its author
    response = offender.post(f"{path}/{world.returned}/answer", {"trigger": "revise", "text": "A calmer draft."})
    assert response.status_code == 303
    assert "Your answer was recorded." in flashes(page_text(offender.follow(response)))
    assert message_state(web_runtime, world.returned) == "submitted"
    assert "A calmer draft." in page_text(browser_for("mediator").get(f"/mediator/cases/{world.own}/messages"))


@covers("portal.answer POST")
def test_the_author_accepts_a_proposed_redaction_and_only_that_version_is_delivered(browser_for, world: World,
                                                                                    web_runtime: Runtime) -> None:
    mediator, offender, harmed = browser_for("mediator"), browser_for("offender"), browser_for("harmed")
    mediator.post(f"/mediator/cases/{world.own}/messages/{world.pending}/review",
                  {"trigger": "redact", "redacted_text": "The redacted reply."})
    path = f"/portal/cases/{world.own}/messages"
    assert "The redacted reply." in page_text(offender.get(path))
    response = offender.post(f"{path}/{world.pending}/answer", {"trigger": "accept"})
    assert response.status_code == 303
    assert message_state(web_runtime, world.pending) == "delivered"
    opened = page_text(harmed.get(f"{path}/{world.pending}"))
    assert "The redacted reply." in opened
    assert CANARY_PENDING not in opened
    refused = harmed.post(f"{path}/{world.pending}/answer", {"trigger": "refuse"}, headers=back_to(path))
    assert refused.status_code == 403  # only the author answers for a message


@covers("portal.withdraw GET", "portal.withdraw POST")
def test_withdrawing_takes_a_confirmation_then_one_post(browser_for, world: World, web_runtime: Runtime) -> None:
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own}/withdraw"
    confirm = offender.get(path)
    assert confirm.status_code == 200
    html = page_text(confirm)
    assert "Yes, I withdraw" in html
    assert "You do not need to give a reason." in html
    assert case_facts(web_runtime, world.own)["state"] == "dialogue_written"  # looking changes nothing

    response = offender.post(path)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/portal/"
    home = page_text(offender.follow(response))
    assert "You have withdrawn. Nothing more will be sent to or from you." in flashes(home)
    assert "You withdrew." in home
    facts = case_facts(web_runtime, world.own)
    assert (facts["state"], facts["outcome"]) == ("closed", "withdrawn")
    assert facts["participants"][world.own_offender][1] == "withdrawn"
    assert message_state(web_runtime, world.pending) == "withheld"  # nothing pending is ever delivered
    assert f'href="{path}"' not in home  # nothing more to withdraw from


@covers("portal.withdraw GET", "portal.withdraw POST")
def test_withdrawing_twice_is_answered_in_plain_words(browser_for, world: World) -> None:
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own}/withdraw"
    offender.post(path)
    again = offender.post(path, headers=back_to("/portal/"))
    shown = " ".join(flashes(page_text(offender.follow(again)))) if again.status_code == 303 else page_text(again)
    for internal in ("possible now", "reopen", "'withdraw'"):
        assert internal not in shown


@covers("portal.upload_video POST")
def test_a_participant_sends_a_video_in_a_video_dialogue(browser_for, world: World, web_runtime: Runtime) -> None:
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own_video}"
    before = count(web_runtime, Message)
    response = offender.post(f"{path}/videos", {"video": video_upload()})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"{path}/messages"
    html = page_text(offender.follow(response))
    assert any("Your video was sent to the mediator" in text for text in flashes(html))
    assert count(web_runtime, Message) == before + 1


@covers("portal.upload_video POST")
def test_a_file_that_is_not_a_video_is_refused_and_not_kept(browser_for, world: World, web_runtime: Runtime) -> None:
    offender = browser_for("offender")
    path = f"/portal/cases/{world.own_video}"
    blobs = web_runtime.settings.blob_dir
    files_before = sorted(p.name for p in blobs.rglob("*") if p.is_file())
    response = offender.post(f"{path}/videos", {"video": (io.BytesIO(b"%PDF-1.7 not a video"), "letter.mp4")},
                             headers=back_to(f"{path}/messages"))
    assert response.status_code == 303
    assert "The file is not an MP4 or WebM video." in flashes(page_text(offender.follow(response)))
    assert sorted(p.name for p in blobs.rglob("*") if p.is_file()) == files_before
    missing = offender.post(f"{path}/videos", {})
    assert missing.status_code == 400
    assert "Choose a video file to send." in page_text(missing)
    refused = offender.post(f"/portal/cases/{world.own}/videos", {"video": video_upload()},
                            headers=back_to(f"/portal/cases/{world.own}/messages"))
    assert refused.status_code == 303  # a written dialogue takes no video
    assert any("by video message" in text for text in flashes(page_text(offender.follow(refused))))
    assert sorted(p.name for p in blobs.rglob("*") if p.is_file()) == files_before


@covers("portal.upload_video POST")
def test_a_video_over_the_limit_is_refused_with_413(fresh_app: Flask, world: World, web_runtime: Runtime) -> None:
    fresh_app.config["VIDEO_MAX_BYTES"] = 1000
    offender = Browser(fresh_app.test_client(), world).sign_in("offender")
    before = count(web_runtime, Message)
    response = offender.post(f"/portal/cases/{world.own_video}/videos", {"video": video_upload()})
    assert response.status_code == 413
    assert "larger than the limit" in page_text(response)
    assert count(web_runtime, Message) == before


@covers("mediator.case_intake GET")
def test_the_mediator_reads_how_the_case_began(browser_for, world: World) -> None:
    html = readable(browser_for("mediator").get(f"/mediator/cases/{world.own}/intake"))
    for shown in (DEMO_REFERRAL.offender_name, DEMO_REFERRAL.fps_number, DEMO_REFERRAL.institution,
                  "parole officer"):
        assert shown in html, shown


# --- referring staff ------------------------------------------------------------------------------------------

REFERRAL = {"offender_name": "Sam Forwarded", "fps_number": "654321B", "institution": "Example Institution",
            "referrer_role": "chaplain"}


@covers("staff.forward GET", "staff.forward POST")
def test_forwarding_needs_the_statement_of_willingness(browser_for, web_runtime: Runtime) -> None:
    staff = browser_for("staff")
    form = staff.get("/staff/forward")
    assert form.status_code == 200
    assert 'name="willing"' in page_text(form)
    before = count(web_runtime, Case)
    refused = staff.post("/staff/forward", {"kind": ""})
    assert refused.status_code == 400
    assert ('<p class="error" id="willing-error">A request can be forwarded only with this statement.</p>'
            in page_text(refused))
    assert count(web_runtime, Case) == before

    response = staff.post("/staff/forward", {"willing": "y", "kind": "fixed", "years": "5", **REFERRAL})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/staff/"
    html = page_text(staff.follow(response))
    [flash] = flashes(html)
    reference = REFERENCE.search(flash)
    assert reference, flash
    assert count(web_runtime, Case) == before + 1
    assert re.search(rf"{reference.group(0)}</td><td>\d{{4}}-\d{{2}}-\d{{2}}</td>\s*<td class=\"status\">received",
                     html)
    assert case_facts(web_runtime, reference.group(0))["sentence"] == ("fixed", True, False)


@covers("staff.forward POST")
def test_forwarding_with_bad_sentence_data_creates_nothing(browser_for, web_runtime: Runtime) -> None:
    staff = browser_for("staff")
    before = count(web_runtime, Case)
    response = staff.post("/staff/forward", {"willing": "y", "kind": "fixed", "years": "abc", **REFERRAL})
    assert response.status_code == 400  # said on the form, which keeps what was typed
    html = readable(response)
    assert "Invalid sentence" in html and 'value="Sam Forwarded"' in html
    assert count(web_runtime, Case) == before


@covers("staff.referrals GET")
def test_the_referral_list_shows_only_reference_date_and_received_or_acknowledged(browser_for, world: World) -> None:
    html = page_text(browser_for("staff").get("/staff/"))
    rows = re.findall(r'<tr><td class="reference">(RO-\d{4}-\d{5})</td><td>(\d{4}-\d{2}-\d{2})</td>\s*'
                      r'<td class="status">(\w+)</td></tr>', html)
    assert {ref: status for ref, _, status in rows} == {world.own: "acknowledged", world.new_referral: "received"}
    assert html.count("<tr>") == len(rows) + 1  # the header row and these rows, nothing else
    for hidden in (world.other, world.other_referral, MEDIATOR_NAME, OTHER_MEDIATOR_NAME, "mediator.one",
                   "dialogue", "in writing", "data-state", *OTHER_CANARIES, CANARY_DELIVERED, CANARY_NOTE):
        assert hidden not in html


# --- the coordinator ----------------------------------------------------------------------------------------------

@covers("admin.cases GET")
def test_the_coordinator_sees_every_case_as_metadata_only(browser_for, world: World) -> None:
    html = page_text(browser_for("admin").get("/admin/"))
    for reference in (world.own, world.other, world.own_requested, world.new_referral, world.other_referral):
        assert reference in html
    assert "mediator.one" in html
    for secret in (CANARY_DELIVERED, CANARY_NOTE, CANARY_HARMED_ADDRESS, *OTHER_CANARIES):
        assert secret not in html


def file_request(browser: Browser, relationship: str = "victim") -> str:
    """File a request through the public form; return its receipt code."""
    match = RECEIPT.search(page_text(browser.post("/request", {"relationship": relationship, "understood": "y",
                                                              "name": "Robin", "phone": "555-0142"})))
    assert match
    return match.group(1)


@covers("admin.requests GET", "admin.accept_request POST")
def test_the_coordinator_accepts_a_held_request_as_exactly_one_case(browser_for, web_runtime: Runtime) -> None:
    receipt = file_request(browser_for(None), "victim_family")
    request = held(web_runtime, receipt)
    assert request is not None
    admin = browser_for("admin")
    listed = page_text(admin.get("/admin/requests"))
    assert receipt in listed and "victim&#39;s family" in listed
    cases, numbers = count(web_runtime, Case), reference_counter(web_runtime)

    response = admin.post(f"/admin/requests/{request.id}/accept")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/admin/requests"
    [flash] = flashes(page_text(admin.follow(response)))
    reference = REFERENCE.search(flash)
    assert reference, flash
    assert count(web_runtime, Case) == cases + 1
    assert reference_counter(web_runtime) == numbers + 1
    facts = case_facts(web_runtime, reference.group(0))
    assert facts["state"] == CaseState.REQUESTED and facts["mediator_id"] is None
    assert [r for r, *_ in facts["participants"].values()] == ["victim_family"]
    accepted = held(web_runtime, receipt)
    assert accepted is not None and accepted.status == "accepted"
    assert receipt not in page_text(admin.get("/admin/requests"))  # no longer waiting
    assert reference.group(0) in page_text(admin.get("/admin/"))

    again = admin.post(f"/admin/requests/{request.id}/accept")  # a second click, or a second coordinator
    assert again.status_code == 409
    assert "already accepted" in page_text(again)
    assert count(web_runtime, Case) == cases + 1


@covers("admin.dismiss_request POST")
def test_dismissing_a_held_request_opens_no_case_and_takes_no_reference(browser_for, web_runtime: Runtime) -> None:
    receipt = file_request(browser_for(None))
    request = held(web_runtime, receipt)
    assert request is not None
    admin = browser_for("admin")
    cases, numbers = count(web_runtime, Case), reference_counter(web_runtime)
    response = admin.post(f"/admin/requests/{request.id}/dismiss")
    assert response.status_code == 303
    assert flashes(page_text(admin.follow(response))) == ["The request was dismissed; no case was opened."]
    assert (count(web_runtime, Case), reference_counter(web_runtime)) == (cases, numbers)
    dismissed = held(web_runtime, receipt)
    assert dismissed is not None and dismissed.status == "dismissed" and dismissed.case_id is None
    assert admin.post(f"/admin/requests/{request.id}/accept").status_code == 409  # dismissed stays dismissed
    assert admin.post("/admin/requests/999999/dismiss").status_code == 404
    assert count(web_runtime, Case) == cases


@covers("admin.accounts GET", "admin.create_account POST")
def test_the_coordinator_creates_an_account_that_only_its_person_can_activate(browser_for, web_runtime: Runtime,
                                                                              world: World) -> None:
    admin = browser_for("admin")
    form = page_text(admin.get("/admin/accounts"))
    assert 'type="password"' not in form  # the coordinator never sets a password
    response = admin.post("/admin/accounts", {"username": "New.Staff", "display_name": "Nia Staff", "role": "staff",
                                              "password": PASSWORD})  # a password field sent anyway is ignored
    assert response.status_code == 200
    html = readable(response)
    assert "The account new.staff was created." in html
    code = invitation_code_from(page_text(response))
    created = user_row(web_runtime, "new.staff")
    assert created is not None
    assert (created.role, created.is_active, created.password_hash) == ("staff", True, None)
    listing = readable(admin.get("/admin/accounts"))
    assert re.search(r"<td>new\.staff</td>.*?<td>waiting for its person to activate it</td>", listing, re.S)
    assert browser_for(None).log_in("new.staff", PASSWORD).status_code == 400  # unusable before activation

    person = browser_for(None)
    person.post("/activate", {"code": code})
    page = readable(person.get("/activate"))
    assert "This is the account new.staff (Nia Staff)." in page
    assert 'name="username"' not in page  # the coordinator chose the username
    done = person.post("/activate", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert "Your username is new.staff:" in readable(person.follow(done))
    assert browser_for(None).log_in("new.staff", NEW_PASSWORD).status_code == 302
    assert browser_for(None).log_in("new.staff", PASSWORD).status_code == 400


@covers("admin.create_account POST")
@pytest.mark.parametrize(("fields", "message"), [
    ({"role": "participant"}, "Participants join through an invitation from their mediator."),
    ({"role": "superuser"}, "Unknown role"),
    ({"role": "staff", "username": "mediator.one"}, "is taken"),
    ({"role": "staff", "username": "Bad Name!"}, "A username has 3 to 80 characters"),
    ({"role": "staff", "display_name": ""}, "A display name is required."),
], ids=["participant", "unknown-role", "taken", "bad-username", "no-name"])
def test_account_creation_refuses_what_it_must(browser_for, web_runtime: Runtime, fields: dict[str, str],
                                               message: str) -> None:
    admin = browser_for("admin")
    before = count(web_runtime, User)
    form = {"username": "someone.new", "display_name": "Some One", **fields}
    response = admin.post("/admin/accounts", form, headers=back_to("/admin/accounts"))
    assert response.status_code == 303
    assert any(message in text for text in flashes(page_text(admin.follow(response))))
    assert count(web_runtime, User) == before


@covers("admin.invite_account POST")
def test_the_coordinator_resets_a_password_through_a_new_invitation(browser_for, world: World,
                                                                    web_runtime: Runtime) -> None:
    """The old password works until the person uses the code; then it stops, and every session ends."""
    mediator = browser_for("mediator")
    admin = browser_for("admin")
    response = admin.post(f"/admin/accounts/{world.users['mediator']}/invite")
    assert response.status_code == 200
    assert "A new invitation for the account mediator.one." in readable(response)
    code = invitation_code_from(page_text(response))
    assert browser_for(None).log_in("mediator.one", PASSWORD).status_code == 302  # not yet used: nothing changed

    person = browser_for(None)
    person.post("/activate", {"code": code})
    assert "It replaces the account's current password" in readable(person.get("/activate"))
    assert person.post("/activate", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert browser_for(None).log_in("mediator.one", PASSWORD).status_code == 400
    assert browser_for(None).log_in("mediator.one", NEW_PASSWORD).status_code == 302
    assert mediator.get("/mediator/").status_code == 302  # the session opened before the reset is over

    for target, message in ((world.users["admin"], "Change your own password from your account page."),
                            (world.users["offender"], "Participants are invited by their mediator")):
        refused = admin.post(f"/admin/accounts/{target}/invite", headers=back_to("/admin/accounts"))
        assert any(message in text for text in flashes(page_text(admin.follow(refused))))
    assert admin.post("/admin/accounts/424242/invite").status_code == 404


@covers("admin.deactivate POST")
def test_the_coordinator_deactivates_an_account_but_not_their_own(browser_for, world: World,
                                                                  web_runtime: Runtime) -> None:
    admin = browser_for("admin")
    response = admin.post(f"/admin/accounts/{world.users['other_mediator']}/deactivate")
    assert response.status_code == 303
    assert "The account was deactivated." in flashes(page_text(admin.follow(response)))
    user = user_row(web_runtime, "mediator.two")
    assert user is not None
    assert not user.is_active
    html = page_text(admin.get("/admin/accounts"))
    assert re.search(r"<td>mediator\.two</td>.*?<td>deactivated</td>", html, re.S)
    assert f'/admin/accounts/{world.users["admin"]}/deactivate' not in html  # no button for oneself
    refused = admin.post(f"/admin/accounts/{world.users['admin']}/deactivate", headers=back_to("/admin/accounts"))
    assert "You cannot deactivate your own account." in flashes(page_text(admin.follow(refused)))
    assert admin.post("/admin/accounts/424242/deactivate").status_code == 404


@covers("mediator.dismiss_notice POST")
def test_a_mediator_is_told_when_their_case_goes_to_another_and_can_dismiss_the_notice(browser_for, world: World,
                                                                                       web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    text = f"Case {world.taken_away} was reassigned to another mediator."
    assert text in readable(mediator.get("/mediator/"))
    assert mediator.get(case_page_path(world.taken_away)).status_code == 404  # and it is no longer theirs

    refused = mediator.post(f"/mediator/notices/{world.other_notice}/dismiss")  # someone else's notice
    assert refused.status_code == 404
    response = mediator.post(f"/mediator/notices/{world.notice}/dismiss")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/mediator/"
    assert text not in readable(mediator.follow(response))
    assert mediator.post(f"/mediator/notices/{world.notice}/dismiss").status_code == 404  # once
    other = readable(browser_for("other_mediator").get("/mediator/"))
    assert f"Case {world.handed_over} was reassigned to another mediator." in other  # theirs is still there


@covers("admin.assign POST")
def test_the_coordinator_assigns_and_reassigns_a_mediator(browser_for, world: World, web_runtime: Runtime) -> None:
    admin = browser_for("admin")
    response = admin.post(f"/admin/cases/{world.new_referral}/assign",
                          {"mediator_id": str(world.users["other_mediator"])})
    assert response.status_code == 303
    assert f"{world.new_referral} is assigned." in flashes(page_text(admin.follow(response)))
    assert case_facts(web_runtime, world.new_referral)["mediator_id"] == world.users["other_mediator"]
    assert world.new_referral in page_text(browser_for("other_mediator").get("/mediator/"))
    assert "acknowledged" in page_text(browser_for("staff").get("/staff/"))

    refused = admin.post(f"/admin/cases/{world.own}/assign", {"mediator_id": ""})
    assert "Choose a mediator." in flashes(page_text(admin.follow(refused)))
    refused = admin.post(f"/admin/cases/{world.own}/assign", {"mediator_id": str(world.users["staff"])},
                         headers=back_to("/admin/"))
    assert "Choose an active mediator account." in flashes(page_text(admin.follow(refused)))
    assert case_facts(web_runtime, world.own)["mediator_id"] == world.users["mediator"]

    # Reassigning a case that holds messages, notes and contact cards tells the mediator who had it.
    response = admin.post(f"/admin/cases/{world.own}/assign", {"mediator_id": str(world.users["other_mediator"])})
    assert response.status_code == 303
    dashboard = readable(browser_for("mediator").get("/mediator/"))
    assert f"Case {world.own} was reassigned to another mediator." in dashboard
    assert CANARY_DELIVERED not in dashboard


@covers("admin.override POST")
def test_the_coordinator_overrides_eligibility_with_a_rationale(browser_for, world: World,
                                                                web_runtime: Runtime) -> None:
    admin = browser_for("admin")
    refused = admin.post(f"/admin/cases/{world.own_requested}/override", {"eligible": "no", "rationale": " "},
                         headers=back_to("/admin/"))
    assert any("needs a rationale" in text for text in flashes(page_text(admin.follow(refused))))
    assert case_facts(web_runtime, world.own_requested)["sentence"] == ("fixed", True, False)

    response = admin.post(f"/admin/cases/{world.own_requested}/override",
                          {"eligible": "no", "rationale": "Reduced on appeal to 18 months."})
    assert response.status_code == 303
    html = page_text(admin.follow(response))
    assert any("was overridden" in text for text in flashes(html))
    assert "Reduced on appeal" not in html  # the rationale is sealed, not listed
    assert case_facts(web_runtime, world.own_requested)["sentence"] == ("fixed", False, True)
    case_page = page_text(browser_for("mediator").get(case_page_path(world.own_requested)))
    assert "The coordinator overrode this decision" in case_page


# --- error handling: a page that says what is wrong, never a 500 ------------------------------------------------

VERSIONED = [
    ("fire", lambda w: (w.own, f"/mediator/cases/{w.own}/actions/pause", {"reason": "wellbeing"})),
    ("sentence", lambda w: (w.own_requested, f"/mediator/cases/{w.own_requested}/sentence",
                            {"kind": "fixed", "years": "4"})),
    ("modality", lambda w: (w.own_assessment, f"/mediator/cases/{w.own_assessment}/modality", {"modality": "relay"})),
    ("participant", lambda w: (w.own_assessment, f"/mediator/cases/{w.own_assessment}/participants",
                               {"relationship": "offender"})),
    ("consent", lambda w: (w.own_assessment,
                           f"/mediator/cases/{w.own_assessment}/participants/{w.assessment_harmed}/consent",
                           {"consent": "given"})),
    ("safety", lambda w: (w.own, f"/mediator/cases/{w.own}/participants/{w.own_harmed}/safety",
                          {"outcome": "concerns", "note": "Threatened a neighbour."})),
]


@covers("mediator.fire POST", "mediator.record_sentence POST", "mediator.choose_modality POST",
        "mediator.add_participant POST", "mediator.record_consent POST", "mediator.record_safety POST")
@pytest.mark.parametrize("build", [b for _, b in VERSIONED], ids=[name for name, _ in VERSIONED])
def test_a_stale_version_gives_the_conflict_page_and_changes_nothing(browser_for, world: World,
                                                                    web_runtime: Runtime, build) -> None:
    reference, path, fields = build(world)
    before = case_facts(web_runtime, reference)
    response = browser_for("mediator").post(path, {**fields, "version": str(world.version(reference) - 1)})
    assert response.status_code == 409
    html = page_text(response)
    assert "Changed by someone else" in html
    assert "reload it and try again" in html
    assert case_facts(web_runtime, reference) == before


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "1e3", "0x10", "9" * 13, " 1 2 "])
@pytest.mark.parametrize("build", [b for _, b in VERSIONED], ids=[name for name, _ in VERSIONED])
def test_a_version_that_is_not_a_whole_number_is_a_bad_request(browser_for, world: World, web_runtime: Runtime,
                                                               build, value: str) -> None:
    reference, path, fields = build(world)
    before = case_facts(web_runtime, reference)
    response = browser_for("mediator").post(path, {**fields, "version": value})
    assert response.status_code == 400
    assert "'version' must be a whole number." in readable(response)
    assert case_facts(web_runtime, reference) == before


@pytest.mark.parametrize(("key", "path", "fields"), [
    ("mediator", "/mediator/cases/{w.own}/actions/withdraw", {"reason": "wellbeing", "participant_id": "first"}),
    ("mediator", "/mediator/cases/{w.own_relay}/messages/relay", {"text": "Hi.", "on_behalf_of": "harmed"}),
    ("mediator", "/mediator/cases/{w.own}/notes", {"text": "A note.", "participant_id": "all"}),
    ("admin", "/admin/cases/{w.new_referral}/assign", {"mediator_id": "mediator.one"}),
], ids=["participant_id", "on_behalf_of", "note-participant_id", "mediator_id"])
def test_an_id_that_is_not_a_whole_number_is_a_bad_request(browser_for, world: World, key: str, path: str,
                                                           fields: dict[str, str]) -> None:
    response = browser_for(key).post(path.format(w=world), fields)
    assert response.status_code == 400
    assert "must be a whole number" in page_text(response)


@pytest.mark.parametrize("value", ["²", "1³", "⑨"])
def test_a_version_made_of_unicode_digit_signs_is_a_bad_request(browser_for, world: World, value: str) -> None:
    response = browser_for("mediator").post(f"/mediator/cases/{world.own}/actions/pause",
                                            {"reason": "wellbeing", "version": value})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/mediator/cases/{w.own}/participants/abc/contact",
                                  "/mediator/cases/{w.own}/participants/-1/contact",
                                  "/mediator/cases/{w.own}/participants/1.5/contact",
                                  "/mediator/cases/{w.own}/participants/99999999999999999999999/contact"])
def test_a_malformed_id_in_the_address_is_not_found(browser_for, world: World, path: str) -> None:
    assert browser_for("mediator").get(path.format(w=world)).status_code == 404


def test_deactivating_an_account_id_beyond_64_bits_is_not_found(browser_for) -> None:
    assert browser_for("admin").post("/admin/accounts/99999999999999999999999/deactivate").status_code == 404


# The page names actions, states and choices by their labels (web/labels.py), as its buttons and lists do.
@pytest.mark.parametrize(("trigger", "fields", "message"), [
    ("explode", {}, "Unknown action 'explode'."),
    ("change_modality", {"modality": "carrier_pigeon"},
     "'carrier_pigeon' is not a valid modality for 'Change the modality'; choose one of: face to face, in writing, "
     "by video message, relayed by the mediator."),
    ("change_modality", {"modality": "written"},
     "'Change the modality' cannot happen yet: the dialogue already runs in that modality."),
    ("screen", {}, "'Check eligibility' is not possible while the case is dialogue, in writing; possible now: "
                   "Change the modality, Conclude the dialogue, Pause the case, Withdraw a participant."),
    # A withdrawal on a participant's behalf needs the mediator's confirmation (its own page, test_persons.py).
    ("withdraw", {"reason": "participant_choice", "participant_id": str(0)},
     "Confirm that you are recording this withdrawal on the participant's behalf."),
], ids=["unknown-trigger", "unknown-modality", "same-modality", "wrong-state", "withdraw-unconfirmed"])
def test_a_trigger_the_case_cannot_take_is_refused_with_the_reason(browser_for, world: World, web_runtime: Runtime,
                                                                   trigger: str, fields: dict[str, str],
                                                                   message: str) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own)
    before = case_facts(web_runtime, world.own)
    response = mediator.post(f"{page}/actions/{trigger}", {**fields, "version": str(world.version(world.own))},
                             headers=back_to(page))
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{page}"  # back to the case, with the reason
    assert flashes(page_text(mediator.follow(response))) == [message]
    assert case_facts(web_runtime, world.own) == before


@covers("mediator.choose_modality POST")
def test_an_unknown_modality_is_refused_with_the_choices(browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    page = case_page_path(world.own_assessment)
    response = mediator.post(f"{page}/modality", {"modality": "telepathy"}, headers=back_to(page))
    assert response.status_code == 303
    [flash] = flashes(page_text(mediator.follow(response)))
    assert "Unknown modality 'telepathy'" in flash
    assert "face to face, in writing, by video message, relayed by the mediator" in flash
    assert case_facts(web_runtime, world.own_assessment)["modality"] is None


GARBAGE = ["", " ", "x" * 25_000, "-1", "0", "1e9", "null", "<script>alert(1)</script>", "' OR '1'='1", "\x00",
           "🙂", "NaN", "%s%n", "../../etc/passwd", "9" * 40]
FIELDS = ("version", "participant_id", "reason", "modality", "outcome", "trigger", "text", "note", "redacted_text",
          "on_behalf_of", "mediator_id", "eligible", "rationale", "role", "username", "display_name", "password",
          "confirm", "kind", "years", "months", "days", "relationship", "consent", "safety", "willing", "understood",
          "name", "address", "phone", "email", "safe_times_to_call", "video", "code", "disable-code", "renew-code",
          "current", "category", "wording_version", "risk_threats", "consulted_psychologist")
ACCOUNT_FOR = {"public": None, "auth": None, "two_factor": None, "static": None, "health": None,
               "mediator": "mediator", "portal": "offender", "account": "mediator", "staff": "staff", "admin": "admin"}


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "POST"],
                         ids=[r.id for r in ROUTES if r.method == "POST"])
def test_garbage_form_data_never_gives_a_server_error(browser_for, route) -> None:
    """Every POST route, as the role it is for, with each field set to each kind of garbage (and unknown fields)."""
    browser = browser_for(ACCOUNT_FOR[route.area])
    token = browser.token()
    for value in GARBAGE:
        fields = {name: value for name in FIELDS if not (name == "password" and value == "x" * 25_000)}
        response = send(browser, route, data={**fields, "unexpected": value, "csrf_token": token})
        assert response.status_code < 500, (value[:40], page_text(response)[:1500])
        if route.endpoint in ("auth.logout", "account.sign_out_everywhere") or (
                response.status_code == 302 and route.endpoint == "auth.login"):
            browser = browser_for(ACCOUNT_FOR[route.area])  # signed out (or in): start again as before
            token = browser.token()


GARBAGE_SEGMENTS = ["RO-2026-0000X", "RO-9999-" + "9" * 40, "%00", "..%2F..%2Fetc", "x" * 3000,
                    "<script>", "%F0%9F%99%82", "'%20OR%201=1--"]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.scoped], ids=[r.id for r in ROUTES if r.scoped])
def test_garbage_in_the_address_never_gives_a_server_error(browser_for, world: World, route) -> None:
    browser = browser_for(ACCOUNT_FOR[route.area])
    token = browser.token()
    own_path = route.path(world, False)
    ids = {world.own, world.own_video, world.own_relay, world.own_assessment, world.own_requested, world.own_closed,
           world.pending, world.delivered, world.returned, world.video_message, world.own_face, world.face_meeting,
           world.own_need, world.own_item, world.own_closing}
    for garbage in GARBAGE_SEGMENTS:
        path = "/".join(garbage if part in ids else part for part in own_path.split("/"))
        data = None if route.method == "GET" else {**route.data(world, False), "csrf_token": token}
        response = send(browser, route, path=path, data=data)
        assert response.status_code < 500, (garbage, path, page_text(response)[:1500])
        assert response.status_code in (303, 400, 404), (garbage, path, response.status_code)


def test_an_unknown_page_and_a_wrong_method_get_their_own_pages(browser_for) -> None:
    browser = browser_for("mediator")
    missing = browser.get("/nowhere")
    assert missing.status_code == 404
    assert "Not found" in page_text(missing)
    wrong = browser.post("/mediator/")
    assert wrong.status_code == 405
    assert "Not allowed" in page_text(wrong)


@covers("health.healthz GET")
def test_the_health_check_answers_ok_to_anyone_and_says_nothing_more(browser: Browser) -> None:
    """For reverse proxies: no sign-in, no content (tests/web/test_failures.py covers the failing checks)."""
    response = browser.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


# Their tests mark the private line's routes, and those of needs, agreements, closing and letters, @covers.
from tests.web import test_dialogue_pages, test_private_line  # noqa: E402, F401

# --- activities, the agenda, the calendar feed, co-mediation (issue 9) ------------------------------------------

def _soon(days: int = 2) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


@covers("mediator.case_activities GET", "mediator.plan_activity POST", "mediator.activity_done POST",
        "mediator.cancel_activity POST")
def test_a_mediator_plans_records_and_cancels_activities_on_their_case(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    path = f"/mediator/cases/{world.own}/activities"
    page = page_text(mediator.get(path))
    assert CANARY_ACTIVITY in page and 'name="person-' in page and "face_to_face_meeting" not in page
    planned = mediator.post(path, {"kind": "preparation_meeting", "day": _soon(), "time": "09:30",
                                   "duration": "90", "place": "Room 3, Example Institution",
                                   f"person-{world.own_offender}": "yes", "notes": "Bring the leaflet."})
    assert planned.status_code == 303
    page = page_text(mediator.get(path))
    assert "Room 3, Example Institution" in page and "Bring the leaflet." in page
    logged = mediator.post(path, {"kind": "letter", "day": (utcnow() - timedelta(days=2)).date().isoformat(),
                                  "time": "11:00", "duration": "15", "done": "yes"})
    assert logged.status_code == 303
    done = mediator.post(f"{path}/{world.activity}/done", {"notes": "Spoke for twenty minutes."})
    assert done.status_code == 303
    page = page_text(mediator.get(path))
    assert "Spoke for twenty minutes." in page and CANARY_ACTIVITY in page
    again = mediator.post(f"{path}/{world.activity}/cancel", follow_redirects=True)
    assert "This activity is already done." in flashes(page_text(again))


@pytest.mark.parametrize(("form", "words"), [
    ({"day": "2020-01-01", "time": "10:00"}, "A meeting in the past cannot be planned"),
    ({"duration": "0"}, "cannot end before it starts"),
    ({"duration": "721"}, "between 5 and 720 minutes"),
    ({"kind": "face_to_face_meeting"}, "planned on the meeting page"),
    ({"day": "2026-02-30"}, "not a date in the calendar"),
    ({"time": "25h"}, "The time must look like 14:30"),
    ({"place": "x" * 201}, "too long"),
    ({"person-999999": "yes"}, "no such participant"),
])
def test_bad_activities_are_refused_with_a_clear_message(browser_for, world: World, form: dict[str, str],
                                                         words: str) -> None:
    mediator = browser_for("mediator")
    base = {"kind": "call", "day": _soon(), "time": "10:00", "duration": "30"}
    response = mediator.post(f"/mediator/cases/{world.own}/activities", {**base, **form}, follow_redirects=True)
    assert response.status_code in (200, 404)  # back on the form with the refusal flashed, or not found
    assert words in readable(response)


@covers("mediator.my_activities GET")
def test_the_dashboard_shows_what_is_overdue_and_coming_up(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    assert mediator.post(f"/mediator/cases/{world.own}/activities",
                         {"kind": "visit", "day": _soon(3), "time": "14:00", "duration": "60",
                          "place": "Visiting hall"}).status_code == 303
    board = readable(mediator.get("/mediator/"))
    assert "Coming up (next 14 days)" in board and "Overdue" in board and "Visiting hall" in board
    assert world.own in board and world.other not in board
    overdue = readable(mediator.get("/mediator/activities/overdue"))
    assert world.own in overdue and "by phone" in overdue and "Room 4" not in overdue
    assert "Visiting hall" in readable(mediator.get("/mediator/activities/upcoming"))
    assert mediator.get("/mediator/activities/everything").status_code == 404


@covers("mediator.calendar_page GET", "mediator.create_calendar POST", "mediator.revoke_calendar POST",
        "public.calendar_feed GET")
def test_a_mediator_makes_replaces_and_revokes_their_calendar_address(browser_for, world: World) -> None:
    mediator, anonymous = browser_for("mediator"), browser_for(None)
    assert "You have a calendar address" in readable(mediator.get("/mediator/calendar"))
    shown = page_text(mediator.post("/mediator/calendar"))
    address = re.search(r'value="(http[^"]+/calendar/[A-Za-z0-9_-]{43}\.ics)"', shown)
    assert address is not None and "shown only this once" in shown
    feed = anonymous.get(urlsplit(address.group(1)).path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert feed.headers["Referrer-Policy"] == "no-referrer" and feed.headers["Cache-Control"] == "no-store"
    body = feed.get_data(as_text=True)
    assert world.own in body and world.other not in body and CANARY_ACTIVITY not in body
    assert anonymous.get(f"/calendar/{world.feed_token}.ics").status_code == 404  # replaced: the old one is gone
    assert mediator.post("/mediator/calendar/revoke").status_code == 303
    assert anonymous.get(urlsplit(address.group(1)).path).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404


@covers("admin.co_mediator POST", "admin.remove_co_mediator POST")
def test_the_coordinator_gives_a_case_a_co_mediator_and_takes_them_off(browser_for, world: World) -> None:
    admin, other = browser_for("admin"), browser_for("other_mediator")
    assert other.get(f"/mediator/cases/{world.own}").status_code == 404
    assert admin.post(f"/admin/cases/{world.own}/co-mediator",
                      {"mediator_id": str(world.users["other_mediator"])}).status_code == 303
    case_page = readable(other.get(f"/mediator/cases/{world.own}"))
    assert "Co-mediator" in case_page and OTHER_MEDIATOR_NAME in case_page and MEDIATOR_NAME in case_page
    assert "co-mediator" in readable(admin.get("/admin/"))
    same = admin.post(f"/admin/cases/{world.own}/co-mediator", {"mediator_id": str(world.users["mediator"])},
                      follow_redirects=True)
    assert "already the mediator" in readable(same)
    assert admin.post(f"/admin/cases/{world.own}/co-mediator/remove").status_code == 303
    assert other.get(f"/mediator/cases/{world.own}").status_code == 404
    assert "no longer the co-mediator" in readable(other.get("/mediator/"))


def test_every_route_of_the_app_is_covered_by_a_test_of_this_module(app: Flask) -> None:
    # The other programmes' blueprints have their own tests (tests/web/test_training_*.py...).
    mediation_routes = {pair for pair in route_pairs(app) if not pair[0].startswith(PROGRAMME_BLUEPRINTS)}
    assert mediation_routes - COVERED == set(), "routes without a behaviour test in test_routes.py"
    assert {(r.endpoint, r.method) for r in ROUTES} == mediation_routes


def test_csrf_tokens_are_read_from_forms(browser: Browser) -> None:
    """The helpers' premise: every page with a form carries its token in a hidden field."""
    for path in ("/", "/request", "/login"):
        assert csrf_from(page_text(browser.get(path)))


def test_after_withdrawing_a_participant_reads_what_was_delivered_and_sends_nothing(browser_for,
                                                                                    world: World) -> None:
    offender = browser_for("offender")
    offender.post(f"/portal/cases/{world.own}/withdraw")
    assert offender.get(f"/portal/cases/{world.own}/messages/{world.delivered}").status_code == 200
    refused = offender.post(f"/portal/cases/{world.own}/messages", {"text": "After withdrawing."})
    assert refused.status_code == 403
    assert "Your participation is not active" in page_text(refused)
    assert 'name="text"' not in page_text(offender.get(f"/portal/cases/{world.own}/messages"))


# --- two-factor sign-in ---------------------------------------------------------------------------------------------

@covers("two_factor.enrol GET", "two_factor.enrol POST")
def test_a_mediator_without_two_factor_enrols_right_after_the_password_then_reaches_their_pages(
        required_app: Flask, world: World) -> None:
    mediator = Browser(required_app.test_client(), world)
    response = mediator.log_in(world.usernames["mediator"])
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/login/enrol"
    page = mediator.follow(response)
    assert page.status_code == 200
    html = page_text(page)
    assert '<img class="qr-code" src="data:image/svg+xml' in html
    secret = secret_from(html)

    wrong = mediator.post("/login/enrol", {"code": pyotp.TOTP(secret).at(time.time() - 600)})
    assert wrong.status_code == 400
    assert "That code is not right" in flashes(page_text(wrong))[0]
    assert secret_from(page_text(wrong)) == secret  # the same secret, to try again
    assert mediator.get("/mediator/").status_code == 302

    done = mediator.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = recovery_codes_from(page_text(done))
    assert len(codes) == 10
    assert 'href="/mediator/"' in page_text(done)
    assert mediator.get("/mediator/").status_code == 200


@covers("two_factor.code GET", "two_factor.code POST")
def test_with_two_factor_on_the_password_leads_to_the_code_and_the_code_signs_in(browser: Browser, world: World,
                                                                                  web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["mediator"])
    response = browser.log_in(world.usernames["mediator"])
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/login/code"
    page = browser.follow(response)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page_text(page)
    assert browser.get("/mediator/").status_code == 302  # the password alone signs no one in

    wrong = browser.post("/login/code", {"code": "000000" if next_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert flashes(page_text(wrong)) == [
        "That code is not right, or it was already used. Enter the code your app shows now."]
    signed_in = browser.post("/login/code", {"code": next_code(secret)})
    assert signed_in.status_code == 303
    assert urlsplit(signed_in.headers["Location"]).path == "/mediator/"
    assert browser.get("/mediator/").status_code == 200
    assert browser.get("/login/code").status_code == 302  # the marker was spent by signing in


@covers("account.two_factor GET", "account.start POST", "account.set_up GET", "account.set_up POST")
def test_a_participant_turns_two_factor_on_from_their_account_page(browser: Browser, world: World) -> None:
    browser.log_in(world.usernames["offender"])
    page = page_text(browser.get("/account/two-factor"))
    assert "Two-factor sign-in is off" in page
    started = browser.post("/account/two-factor/start")
    assert started.status_code == 303
    assert urlsplit(started.headers["Location"]).path == "/account/two-factor/set-up"
    secret = secret_from(page_text(browser.follow(started)))
    assert browser.post("/account/two-factor/set-up", {"code": "12345"}).status_code == 400
    done = browser.post("/account/two-factor/set-up", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert len(recovery_codes_from(page_text(done))) == 10
    page = page_text(browser.get("/account/two-factor"))
    assert "Two-factor sign-in is on." in page
    assert "You have 10 unused recovery codes." in page
    # nothing left to set up: the set-up page sends back to the account page
    again = browser.get("/account/two-factor/set-up")
    assert again.status_code == 303
    assert "no two-factor set-up in progress" in flashes(page_text(browser.follow(again)))[0]

    browser.post("/logout")
    assert urlsplit(browser.log_in(world.usernames["offender"]).headers["Location"]).path == "/login/code"
    assert urlsplit(browser.post("/login/code", {"code": next_code(secret)}).headers["Location"]).path == "/portal/"


@covers("account.new_recovery_codes POST", "account.disable POST")
def test_a_participant_renews_recovery_codes_and_turns_two_factor_off_with_a_code(browser_for, world: World,
                                                                                 web_runtime: Runtime) -> None:
    secret = enrol(web_runtime, world.users["offender"])
    offender = browser_for("offender")
    assert offender.post("/account/two-factor/recovery-codes", {"renew-code": "999999"}).status_code == 400
    renewed = offender.post("/account/two-factor/recovery-codes", {"renew-code": next_code(secret)})
    assert renewed.status_code == 200
    codes = recovery_codes_from(page_text(renewed))
    assert len(codes) == 10

    wrong = offender.post("/account/two-factor/disable", {"disable-code": "999999"})
    assert wrong.status_code == 400
    assert 'id="disable-code-error"' not in page_text(wrong)  # the code was well formed, only not right
    assert "That code is not right" in flashes(page_text(wrong))[0]
    off = offender.post("/account/two-factor/disable", {"disable-code": codes[0]})  # a recovery code works too
    assert off.status_code == 303
    assert "Two-factor sign-in is off." in flashes(page_text(offender.follow(off)))[0]
    offender.post("/logout")
    assert urlsplit(offender.log_in(world.usernames["offender"]).headers["Location"]).path == "/portal/"


@covers("admin.reset_two_factor POST")
def test_the_coordinator_resets_a_lost_phone_and_the_mediator_enrols_again_at_next_sign_in(
        required_app: Flask, world: World, web_runtime: Runtime) -> None:
    enrol(web_runtime, world.users["mediator"])
    admin = Browser(required_app.test_client(), world).sign_in("admin")
    html = page_text(admin.get("/admin/accounts"))
    assert re.search(r"<td>mediator\.one</td>.*?<td>on</td>", html, re.S)
    assert re.search(r"<td>officer\.one</td>.*?<td>off</td>", html, re.S)
    response = admin.post(f"/admin/accounts/{world.users['mediator']}/two-factor/reset")
    assert response.status_code == 303
    assert flashes(page_text(admin.follow(response))) == [
        "Two-factor sign-in of mediator.one was reset; they set it up again when they next sign in."]
    refused = admin.post(f"/admin/accounts/{world.users['mediator']}/two-factor/reset",
                         headers=back_to("/admin/accounts"))
    assert "This account has no two-factor sign-in to reset." in flashes(page_text(admin.follow(refused)))
    assert admin.post("/admin/accounts/424242/two-factor/reset").status_code == 404
    mediator = Browser(required_app.test_client(), world)
    assert urlsplit(mediator.log_in(world.usernames["mediator"]).headers["Location"]).path == "/login/enrol"


# The safety and informed-consent routes are covered by their own module (its tests mark them with ``covers``).
import tests.web.test_meetings  # noqa: E402  (face-to-face meetings' routes, @covers there)
import tests.web.test_safety  # noqa: E402, F401

# The people-in-a-case routes are covered by tests/web/test_persons.py, and the statistics and questionnaire routes
# by tests/web/test_statistics_pages.py, which record them with ``covers`` above (imported last: they import this
# module's helpers).
from tests.web import (  # noqa: E402
    test_notification_pages,  # noqa: F401
    test_persons,  # noqa: F401
    test_statistics_pages,  # noqa: F401
    test_timer_pages,  # noqa: F401  (the timers' pages of issue 10)
)
