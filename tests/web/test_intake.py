"""Intake through the real views: the public request form takes who the person is and how to reach them and
refuses bad input on the form (nothing held); "check my request" answers only where a request stands; staff say
who the offender is and never see it back; the mediator reads it all."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import SettingsError, load_settings
from mediation.models import Case, HeldRequest, IntakeRecord, User
from mediation.runtime import Runtime
from mediation.services import assignment
from tests.web.conftest import Browser, World, make_app, page_text, readable
from tests.web.test_limits import client, limited_app

GOOD = {"relationship": "victim_family", "understood": "y", "name": "Robin Requester", "phone": "555-0142",
        "email": "robin@example.org", "address": "4 Quiet Lane", "preferred_contact": "email",
        "may_leave_message": "no", "safe_times_to_call": "after 6 pm", "language": "fr",
        "accessibility_needs": "An interpreter", "who_harmed_them": "My neighbour", "account": "A break-in in 2020."}
REFERRAL = {"willing": "y", "kind": "", "offender_name": "Sam Forwarded", "fps_number": "654321B",
            "institution": "Example Institution", "referrer_role": "chaplain"}
RECEIPT = re.compile(r'class="receipt">(HR-[0-9A-Z-]+)<')
SECRET = re.compile(r'class="status-secret">([0-9A-Z-]+)<')


def held_count(runtime: Runtime) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(HeldRequest)) or 0


def file(browser: Browser, **changes: str) -> tuple[str, str]:
    response = browser.post("/request", {**GOOD, **changes})
    assert response.status_code == 200, readable(response)[:3000]
    html = page_text(response)
    return RECEIPT.search(html).group(1), SECRET.search(html).group(1)


def test_the_answer_page_gives_the_receipt_and_a_secret_shown_once(browser: Browser, web_runtime: Runtime) -> None:
    receipt, secret = file(browser)
    with web_runtime.transaction() as s:
        held = s.scalars(select(HeldRequest).where(HeldRequest.receipt_code == receipt)).one()
        assert held.sealed_details and secret not in str(held.status_secret_hash)
    html = readable(browser.post("/request/status", {"receipt": receipt, "secret": secret}))
    assert "Your request was received." in html and "Robin" not in html and "neighbour" not in html


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Please give your name"),
    ({"phone": "", "email": "", "address": "", "preferred_contact": ""}, "at least one way to reach you"),
    ({"email": "robin-at-example"}, "does not look like one"),
    ({"account": "x" * 5001}, "account of what happened is too long (at most 5000 characters)"),
    ({"preferred_contact": "carrier-pigeon"},
     "Choose the preferred way of contact among: phone number, e-mail address, post"),
    ({"preferred_contact": "post", "address": ""}, "preferred way of contact is post, so the postal address"),
    ({"language": "de"}, "Choose the language among: English, French"),
])
def test_a_bad_request_is_refused_on_the_form_keeping_what_was_typed(browser: Browser, web_runtime: Runtime,
                                                                     changes: dict[str, str], message: str) -> None:
    before = held_count(web_runtime)
    response = browser.post("/request", {**GOOD, **changes})
    assert response.status_code == 400
    html = readable(response)
    assert message in html, html[:3000]
    assert 'role="alert"' in page_text(response)
    if "name" not in changes:
        assert 'value="Robin Requester"' in page_text(response)
    assert held_count(web_runtime) == before  # nothing half-written


def test_a_nul_byte_in_a_request_is_refused_before_anything_is_held(browser: Browser, web_runtime: Runtime) -> None:
    before = held_count(web_runtime)
    response = browser.post("/request", {**GOOD, "name": "Robin\x00"})
    assert response.status_code == 400 and "NUL character" in readable(response)
    assert held_count(web_runtime) == before


def test_a_wrong_code_or_secret_answers_exactly_like_no_request(browser: Browser, world: World) -> None:
    def problem(receipt: str, secret: str) -> tuple[int, str]:
        response = browser.post("/request/status", {"receipt": receipt, "secret": secret})
        return response.status_code, re.search(r'<div class="error-summary".*?</div>', page_text(response),
                                               re.S).group(0)

    answers = {problem(world.held_receipt, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"), problem("HR-0000-0000-0000",
                                                                              world.held_secret),
               problem("HR-0000-0000-0000", "nonsense"), problem("x" * 300, world.held_secret)}
    assert len(answers) == 1 and answers.pop()[0] == 404
    missing = browser.post("/request/status", {"receipt": "", "secret": ""})
    assert missing.status_code == 400 and "Please give the receipt code." in readable(missing)


def test_checking_a_request_is_rate_limited_per_client(web_runtime: Runtime, world: World) -> None:
    app = limited_app(web_runtime, request_status="3 per hour")
    guesser = client(app, world, "203.0.113.44")
    answers = [guesser.post("/request/status", {"receipt": world.held_receipt, "secret": "AAAA-AAAA-AAAA-AAAA-AAAA"})
               .status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert guesser.get("/request/status").status_code == 200  # reading the page is never limited
    other = client(app, world, "203.0.113.45")
    right = other.post("/request/status", {"receipt": world.held_receipt, "secret": world.held_secret})
    assert right.status_code == 200


def test_the_coordinator_sees_no_personal_data_and_the_mediator_then_reads_it(browser_for, web_runtime: Runtime,
                                                                            world: World) -> None:
    receipt, secret = file(browser_for(None))
    admin = browser_for("admin")
    listing = readable(admin.get("/admin/requests"))
    assert receipt in listing
    for private in ("Robin", "555-0142", "robin@example.org", "Quiet Lane", "neighbour", "break-in", "interpreter"):
        assert private not in listing
    with web_runtime.transaction() as s:
        request_id = s.scalars(select(HeldRequest.id).where(HeldRequest.receipt_code == receipt)).one()
    assert admin.post(f"/admin/requests/{request_id}/accept").status_code == 303
    with web_runtime.transaction() as s:
        case = s.get(Case, s.get(HeldRequest, request_id).case_id)
        reference, participant_id = case.reference, case.participants[0].id
    with web_runtime.transaction() as s:
        assignment.assign_mediator(s, s.get(User, world.users["admin"]), reference, world.users["mediator"])
    mediator = browser_for("mediator")
    card = readable(mediator.get(f"/mediator/cases/{reference}/participants/{participant_id}/contact"))
    for shown in ('value="Robin Requester"', 'value="555-0142"', 'value="An interpreter"',
                  '<option value="email" selected>', '<option value="no" selected>', '<option value="fr" selected>'):
        assert shown in card, shown
    intake = readable(mediator.get(f"/mediator/cases/{reference}/intake"))
    assert "My neighbour" in intake and "A break-in in 2020." in intake
    assert "being looked at by a mediator" in readable(browser_for(None).post(
        "/request/status", {"receipt": receipt, "secret": secret}))
    assert mediator.get(f"/mediator/cases/{world.other}/intake").status_code == 404  # another mediator's case


@pytest.mark.parametrize(("changes", "message"), [
    ({"offender_name": ""}, "Please give the offender's name."),
    ({"fps_number": "12AB"}, "The FPS number holds digits only"),
    ({"fps_number": "1234"}, "The FPS number has 4 digits; it has between 5 and 9."),
    ({"institution": ""}, "Please give the institution."),
    ({"referrer_role": "warden"}, "Choose your role among: parole officer, chaplain, psychologist, Elder, other"),
    ({"referrer_role": ""}, "Choose your role among"),
])
def test_a_referral_without_who_or_where_is_refused_on_the_form(browser_for, web_runtime: Runtime,
                                                                changes: dict[str, str], message: str) -> None:
    with web_runtime.transaction() as s:
        before = s.scalar(select(func.count()).select_from(Case))
    response = browser_for("staff").post("/staff/forward", {**REFERRAL, **changes})
    assert response.status_code == 400
    assert message in readable(response)
    with web_runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == before


def test_staff_never_see_back_what_they_typed_and_the_mediator_does(browser_for, web_runtime: Runtime,
                                                                   world: World) -> None:
    staff = browser_for("staff")
    response = staff.post("/staff/forward", REFERRAL)
    assert response.status_code == 303
    seen = readable(staff.follow(response)) + readable(staff.get("/staff/"))
    for typed in ("Sam Forwarded", "654321B", "Example Institution", "chaplain", "Chaplain"):
        assert typed not in seen, typed
    blank = readable(staff.get("/staff/forward"))  # a new, empty form: nothing of the last one
    assert "Sam Forwarded" not in blank and "654321B" not in blank and "Example Institution" not in blank
    reference = re.search(r"RO-\d{4}-\d{5}", seen).group(0)
    with web_runtime.transaction() as s:
        record = s.scalars(select(IntakeRecord).join(Case, Case.id == IntakeRecord.case_id)
                           .where(Case.reference == reference)).one()
        assert b"Sam Forwarded" not in record.sealed_text
    assert staff.get(f"/mediator/cases/{reference}/intake").status_code == 403


def test_the_form_shows_the_programmes_own_phone_and_e_mail_from_the_settings(web_runtime: Runtime,
                                                                              world: World) -> None:
    settings = load_settings({"MEDIATION_PROGRAMME_PHONE": "613 555 0123",
                              "MEDIATION_PROGRAMME_EMAIL": "office@programme.example"}, cwd=Path("/srv"))
    app = make_app(web_runtime, replace(web_runtime.settings, care=settings.care))
    for path in ("/request", "/request/status"):
        html = page_text(Browser(app.test_client(), world).get(path))
        assert 'href="tel:6135550123"' in html and 'href="mailto:office@programme.example"' in html
    with pytest.raises(SettingsError, match="MEDIATION_PROGRAMME_EMAIL must be an e-mail address"):
        load_settings({"MEDIATION_PROGRAMME_EMAIL": "nobody"}, cwd=Path("/srv"))
