"""Story a: one case from the public request to its close, every person in their own browser.

A harmed person asks to take part and keeps a receipt code; the coordinator accepts the held request as a case
and assigns a mediator; the mediator assesses the case, prepares
a written dialogue and invites both participants; a message goes through a return, a revision and an approval,
is read, and is answered; the mediator concludes and closes the case. At each step the test reads what each
person sees, and participants only ever read plain words.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp, People

LETTER = "I want you to know how that night changed my life. I live near 12 Elm Street and I still lock every door."
NOTE = "Please leave out where you live: the other person must not learn it."
REVISED = "I want you to know how that night changed my life. I still lock every door."
REPLY = "Thank you for writing to me. I am responsible for what happened and I will answer your questions."


def test_a_case_from_the_public_request_to_its_close(people: People, live_app: LiveApp) -> None:
    # --- A harmed person asks to take part, without an account -------------------------------------------------
    visitor = people.visitor()
    visitor.home()
    visitor.screenshot("home")
    receipt = visitor.ask_to_take_part("victim")
    visitor.screenshot("request-received")
    assert "keep this receipt code" in visitor.main_text()

    # --- The coordinator accepts the held request as a case (metadata only) and assigns a mediator ------------
    coordinator = people.coordinator()
    reference = coordinator.accept_request(receipt)
    coordinator.screenshot("requests")
    coordinator.cases(reference)
    row = coordinator.case_row(reference)
    expect(row).to_contain_text("requested")
    mediator_cell = row.locator("td").nth(4)
    expect(mediator_cell).to_have_text("none")  # no mediator yet
    coordinator.assign(reference, live_app.mediator.display_name)
    assert mediator_cell.inner_text() in (live_app.mediator.username, live_app.mediator.display_name)
    coordinator.screenshot("cases")
    coordinator.accounts()
    expect(coordinator.page.locator("main table")).to_contain_text(live_app.officer.username)
    coordinator.screenshot("accounts")

    # --- The mediator assesses the case ----------------------------------------------------------------------
    mediator = people.mediator()
    expect(mediator.page.locator("main")).to_contain_text(reference)
    mediator.screenshot("dashboard")
    mediator.open_case(reference)
    assert mediator.state() == "requested"
    mediator.record_sentence(3)
    assert "The sentence was recorded" in mediator.flash()
    mediator.do("Check eligibility")
    assert mediator.state() == "assessment"
    # the workflow drawn on the server, the current step filled; the text step map stays beside it
    picture = mediator.page.get_by_role("img", name="Workflow of this case; current step: assessment")
    expect(picture).to_be_visible()
    expect(picture.locator("g.node").filter(has_text="assessment").locator("path")).to_have_attribute(
        "fill", "#ffd966")
    expect(mediator.page.locator("ol.step-map > li[aria-current=step]")).to_contain_text("assessment")
    eligibility = mediator.eligibility()
    assert "Eligible" in eligibility, eligibility
    assert "3 years" in eligibility and "two years" in eligibility, eligibility  # the rule and the data

    mediator.add_participant("offender")
    assert "The participant was added" in mediator.flash()
    for person in ("victim", "offender"):
        mediator.record_consent(person, "given")
        mediator.record_safety(person, "cleared", consulted=("parole officer",))
        mediator.acknowledge_for(person)  # the limits of confidentiality, read to them before they have an account
        expect(mediator.participant(person)).to_contain_text("given")
        expect(mediator.participant(person)).to_contain_text("cleared")
    mediator.record_contact("victim", phone="555-0100", safe_times_to_call="weekdays after 5 pm")
    mediator.add_note("Both prefer short written exchanges.")
    mediator.do("Move to preparation")
    assert mediator.state() == "preparation"
    mediator.choose_modality("in writing")
    assert "The modality was recorded" in mediator.flash()
    mediator.do("Begin the dialogue")
    assert mediator.state() == "dialogue, in writing"
    mediator.screenshot("case")

    # --- Both participants are invited, and activate their accounts with the code -------------------------------
    harmed_code = mediator.invite("victim")
    assert "It works once, expires in" in mediator.main_text()
    mediator.screenshot("invitation")
    mediator.back_to_case()
    offender_code = mediator.invite("offender")
    assert offender_code != harmed_code
    mediator.back_to_case()

    harmed, offender = people.participant(), people.participant()
    harmed_account = harmed.activate(harmed_code, live_app.new_credentials("Dana"))
    assert harmed_account.username.startswith("dana.")
    harmed.login(harmed_account)
    assert harmed.status() == "The dialogue is under way in writing, through the mediator."
    expect(harmed.page.locator("ol.progress-line li[aria-current=step]")).to_have_text("Dialogue (current step)")
    expect(harmed.page.locator("main svg")).to_have_count(0)
    harmed.screenshot("home")
    offender_account = offender.activate(offender_code, live_app.new_credentials("Eli"))
    offender.login(offender_account)
    assert offender.status() == "The dialogue is under way in writing, through the mediator."

    mediator.open_case(reference)
    for person, account in (("victim", harmed_account), ("offender", offender_account)):
        expect(mediator.participant(person)).to_contain_text("Has a portal account")
        expect(mediator.participant(person)).to_contain_text(account.display_name)  # the name they gave

    # --- The harmed person writes; the mediator returns the message with a note --------------------------------
    harmed.messages()
    harmed.write(LETTER)
    assert harmed.sent_status(LETTER) == "waiting for the mediator"
    harmed.screenshot("messages")

    mediator.review_queue()
    expect(mediator.page.locator("main")).to_contain_text(reference)
    mediator.screenshot("reviews")
    mediator.messages(reference)
    letter = mediator.message(LETTER)
    assert mediator.message_state(letter) == "submitted"
    mediator.screenshot("messages")
    mediator.return_with_note(letter, NOTE)
    assert mediator.message_state(mediator.message(LETTER)) == "returned"

    offender.messages()
    expect(offender.received()).to_have_count(0)  # nothing reaches the other side without approval
    assert "Nothing has been delivered to you yet." in offender.main_text()

    # --- The harmed person reads the note, revises and sends again; the mediator approves ------------------------
    harmed.messages()
    assert harmed.sent_status(LETTER) == "returned to you with a note"
    expect(harmed.sent(LETTER)).to_contain_text(NOTE)
    harmed.revise(LETTER, REVISED)
    assert harmed.sent_status(REVISED) == "waiting for the mediator"

    mediator.messages(reference)
    revised = mediator.message(REVISED)
    assert mediator.message_state(revised) == "submitted"
    expect(revised).to_contain_text("revision 2")
    mediator.approve(revised)
    assert mediator.message_state(mediator.message(REVISED)) == "delivered"

    harmed.messages()
    assert harmed.sent_status(REVISED) == "delivered"

    # --- The offender sees it delivered and opens it; the harmed person then sees it read ------------------------
    offender.messages()
    expect(offender.received()).to_have_count(1)
    expect(offender.received().first).to_contain_text("Written message")
    expect(offender.received().first).to_contain_text("(new)")
    offender.screenshot("messages-received")
    offender.open_received(0)
    assert offender.delivered_text() == REVISED
    assert "Elm Street" not in offender.main_text()
    offender.screenshot("message")
    offender.messages()
    expect(offender.received().first).not_to_contain_text("(new)")

    # The mediator lets the authors on this case see when their messages are read (off unless they choose it).
    mediator.open_case(reference)
    mediator.submit(mediator.page.get_by_role("button", name="Show it to authors"))
    harmed.messages()
    assert re.fullmatch(r"delivered and read · read on \d{4}-\d\d-\d\d \d\d:\d\d", harmed.sent_status(REVISED))

    # --- The offender replies; the mediator approves; the harmed person reads the reply --------------------------
    offender.write(REPLY)
    assert offender.sent_status(REPLY) == "waiting for the mediator"
    mediator.messages(reference)
    mediator.approve(mediator.message(REPLY))
    harmed.messages()
    expect(harmed.received()).to_have_count(1)
    harmed.open_received(0)
    assert harmed.delivered_text() == REPLY
    offender.messages()
    assert offender.sent_status(REPLY).startswith("delivered and read")

    # --- The mediator concludes the dialogue and closes the case ------------------------------------------------
    mediator.open_case(reference)
    mediator.do("Conclude the dialogue")
    assert mediator.state() == "closing"
    harmed.home()
    assert harmed.status() == "The dialogue has ended. The mediator is closing the process with you."
    mediator.close_case("Both were heard; nothing is left open.")
    assert mediator.state() == "closed"
    assert "Outcome: completed" in mediator.main_text()
    assert "Close the case" not in mediator.actions()

    for person in (harmed, offender):
        person.home()
        assert person.status() == "The process is complete."
        expect(person.page.get_by_role("link", name="Withdraw from the process")).to_have_count(0)
    coordinator.cases(reference)
    expect(coordinator.case_row(reference)).to_contain_text("closed")
    expect(coordinator.case_row(reference)).to_contain_text("completed")
    assert REVISED not in coordinator.main_text() and REPLY not in coordinator.main_text()  # metadata only
