"""Story: intake that can reach people. A harmed person asks to take part with their name and safe ways to reach
them, keeps a receipt code and a status secret, and later checks where the request stands (no account); the
coordinator accepts it without seeing any of it; the mediator then reads how to reach the person, and what they
said happened, each reading recorded."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp, People
from tests.e2e.navigators import Navigator

NAME = "Avery Requester"
PHONE = "555-0177"
EMAIL = "avery@example.org"
ACCOUNT = "He took my car at knifepoint outside the grocery store in 2021."
SECRET = re.compile(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}")


def check_status(person: Navigator, receipt: str, secret: str, *, refused: bool = False) -> str:
    """The public "check my request" page: the receipt code and the secret in, one sentence out."""
    person.visit("/request/status")
    person.page.get_by_label("Receipt code").fill(receipt)
    person.page.get_by_label("Status secret").fill(secret)
    person.submit(person.page.get_by_role("button", name="Check"), refused=refused)
    return person.main_text()


def test_a_request_reaches_its_person_and_its_status_can_be_checked(people: People, live_app: LiveApp) -> None:
    # --- A harmed person asks, saying how to reach them safely ------------------------------------------------
    visitor = people.visitor()
    visitor.home()
    visitor.follow(visitor.page.get_by_role("link", name="Ask to take part").first)
    page = visitor.page
    expect(page.locator(".programme-phone")).to_have_text("1-800-555-0199")  # the office is there to call
    page.get_by_label("How are you connected to the crime?").select_option("victim")
    page.get_by_label("Your name").fill(NAME)
    page.get_by_label("Phone number").fill(PHONE)
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_label("By phone").check()
    page.get_by_label("No, please do not leave a message").check()
    page.get_by_label("Safe times to reach you").fill("weekdays before noon")
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Anything that would make it easier for you to take part").fill("Large print, please")
    page.get_by_label("What happened, in your own words (if you wish)").fill(ACCOUNT)
    page.get_by_label("I understand that taking part is voluntary").check()
    visitor.submit(page.get_by_role("button", name="Send my request"), refused=True)
    assert "does not look like one" in visitor.main_text()  # said on the form, which kept the rest
    expect(page.get_by_label("Your name")).to_have_value(NAME)
    page.get_by_label("E-mail address").fill(EMAIL)
    visitor.submit(page.get_by_role("button", name="Send my request"))
    visitor.screenshot("request-received-with-secret")
    receipt = page.locator("main .receipt").inner_text()
    secret = page.locator("main .status-secret").inner_text()
    assert SECRET.fullmatch(secret), secret

    # --- Later, without an account, they check where it stands --------------------------------------------------
    later = people.visitor()
    assert "Your request was received." in check_status(later, receipt, secret)
    refused = check_status(later, receipt, "AAAA-AAAA-AAAA-AAAA-AAAA", refused=True)
    assert "We found no request with this receipt code and status secret" in refused

    # --- The coordinator accepts it, seeing none of what was written --------------------------------------------
    coordinator = people.coordinator()
    coordinator.follow(coordinator.page.get_by_role("navigation").get_by_role("link", name="Requests"))
    listed = coordinator.main_text()
    assert receipt in listed and NAME not in listed and PHONE not in listed and "knifepoint" not in listed
    reference = coordinator.accept_request(receipt)
    coordinator.cases(reference)
    coordinator.assign(reference, live_app.mediator.display_name)
    assert "being looked at by a mediator" in check_status(later, receipt, secret)

    # --- The mediator reads how to reach the person, and what they said happened ----------------------------------
    mediator = people.mediator()
    mediator.open_case(reference)
    mediator.follow(mediator.page.get_by_role("link", name="How the case began"))
    mediator.screenshot("intake-record")
    expect(mediator.page.locator("dd.offence-account")).to_have_text(ACCOUNT)
    mediator.open_case(reference)
    mediator.follow(mediator.participant("victim").get_by_role("link", name="Contact details"))
    mediator.screenshot("contact-card-from-request")
    for label, value in (("Name", NAME), ("Phone", PHONE), ("E-mail", EMAIL), ("Accessibility needs",
                                                                            "Large print, please")):
        expect(mediator.page.get_by_label(label, exact=True)).to_have_value(value)
    expect(mediator.page.get_by_label("Preferred way to reach them")).to_have_value("phone")
    expect(mediator.page.get_by_label("May a message be left?")).to_have_value("no")
    expect(mediator.page.get_by_label("Language")).to_have_value("fr")
