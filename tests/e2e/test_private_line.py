"""Stories of the portal's care: a participant who withdrew asks their mediator, privately, to start again, and
the mediator reopens; the quick exit leaves at once; a letter being written survives leaving the page and the
end of the session."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import Route, expect

from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality

NEUTRAL = "https://www.google.com/"
LETTER = "I have been thinking about what I want to say, and it is taking me a long time to find the words."


def neutral_site(route: Route) -> None:
    """The neutral site the quick exit leaves for, answered here (the tests do not reach the internet)."""
    route.fulfill(body="<title>Search</title>", content_type="text/html")


def test_a_withdrawn_participant_asks_to_start_again_and_the_mediator_reopens(people: People,
                                                                           live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed = people.participant(case.harmed)
    harmed.withdraw()
    harmed.home()
    harmed.follow(harmed.page.get_by_role("link", name="Write to your mediator, or ask to start again"))
    assert "Your mediator is Ada Mediator." in harmed.main_text()
    assert "never passed on to anyone else" in harmed.main_text()
    harmed.screenshot("private-line")
    harmed.page.get_by_label("I would like to start again").check()
    harmed.page.get_by_label("Your words").fill("I feel ready to try again.")
    harmed.submit(harmed.page.get_by_role("button", name="Send to my mediator only"))
    assert "Your request to start again was sent to your mediator" in harmed.flash()
    expect(harmed.page.get_by_label("I would like to start again")).to_have_count(0)

    mediator = people.mediator()
    mediator.dashboard()
    assert "a request to start again" in mediator.main_text()
    mediator.open_case(case.reference)
    assert mediator.state() == "closed"
    mediator.submit(mediator.page.get_by_role("button", name="Reopen the case for this participant"))
    assert "reopened at the participant's request" in mediator.flash()
    assert mediator.state() == "assessment"
    mediator.follow(mediator.page.get_by_role("link", name="Private line"))
    assert "I feel ready to try again." in mediator.main_text()

    harmed.home()
    assert harmed.status().startswith("A mediator is meeting the people involved")


def test_the_quick_exit_leaves_at_once_and_signs_out(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed = people.participant(case.harmed)
    harmed.page.route(f"{NEUTRAL}**", neutral_site)
    harmed.messages()
    with harmed.page.expect_navigation():
        harmed.page.get_by_role("link", name="Leave this site now").click()
    assert harmed.page.url == NEUTRAL
    harmed.page.go_back()
    # Back leads to the page before the one left (replaced in the history), which now asks to sign in again.
    assert harmed.page.url == live_app.url("/login?next=%2Fportal%2F")
    deadline = time.monotonic() + 5
    while not harmed.is_signed_out() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert harmed.is_signed_out()

    visitor = people.visitor()
    visitor.page.route(f"{NEUTRAL}**", neutral_site)
    visitor.visit("/request")
    with visitor.page.expect_navigation():
        visitor.page.keyboard.press("Escape")
        visitor.page.keyboard.press("Escape")
    assert visitor.page.url == NEUTRAL


def test_a_letter_survives_leaving_the_page_and_the_end_of_the_session(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed = people.participant(case.harmed)
    harmed.messages()
    harmed.page.get_by_label("Your message").fill(LETTER)
    harmed.home()  # leaving the page saves what was written
    deadline = time.monotonic() + 5
    while True:
        harmed.messages()
        if harmed.page.get_by_label("Your message").input_value() == LETTER or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(harmed.page.get_by_label("Your message")).to_have_value(LETTER)
    assert "We kept what you were writing" in harmed.main_text()

    # The session ends while the page is open (the browser dropped its cookie at the idle timeout).
    more = LETTER + " And one more thing."
    harmed.page.get_by_label("Your message").fill(more)
    harmed.page.context.clear_cookies()
    with harmed.page.expect_navigation() as navigation:
        harmed.page.get_by_role("button", name="Send to my mediator").first.click()
    assert navigation.value is not None and navigation.value.status == 400
    harmed.arrived()
    assert "The page was open too long" in harmed.main_text()
    expect(harmed.page.locator("#written")).to_have_value(more)  # the words are shown back, to copy
    harmed.screenshot("page-open-too-long")

    harmed.login(case.harmed)
    harmed.messages()
    expect(harmed.page.get_by_label("Your message")).to_have_value(LETTER)  # the last saved draft
    harmed.page.get_by_label("Your message").fill(more)
    harmed.write(more)
    harmed.messages()
    expect(harmed.page.get_by_label("Your message")).to_have_value("")  # sent: the draft is gone


def test_the_page_warns_before_the_idle_timeout_and_says_plainly_when_it_passed(people: People,
                                                                              live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed = people.participant(case.harmed)
    harmed.page.clock.install()
    harmed.messages()
    warning = harmed.page.locator(".idle-warning")
    expect(warning).to_be_hidden()
    harmed.page.get_by_label("Your message").fill(LETTER)
    harmed.page.clock.run_for("00:25")  # the draft is saved as the person writes
    expect(harmed.page.locator(".draft-status")).to_contain_text("Draft saved at")
    harmed.page.clock.run_for("28:30")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("you will soon be signed out, after 30 minutes without activity")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    harmed.page.clock.run_for("30:30")
    expect(warning).to_contain_text("you were signed out after 30 minutes without activity")
    expect(warning).to_contain_text("Your draft saved at")
    expect(harmed.page.get_by_label("Your message")).to_have_value(LETTER)  # still there to copy


def test_the_mediators_cover_note_comes_before_the_message(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed, offender = people.participant(case.harmed), people.participant(case.offender)
    harmed.messages()
    harmed.write(LETTER)
    mediator = people.mediator()
    mediator.messages(case.reference)
    card = mediator.message(LETTER)
    card.get_by_label("A short word to the recipient").fill("This letter is long and honest. Take your time.")
    mediator.approve(card)

    offender.messages()
    offender.follow(offender.received().first.get_by_role("link"))
    expect(offender.page.locator("h1")).to_have_text("A word from your mediator")
    assert "Take your time." in offender.main_text() and LETTER not in offender.main_text()
    offender.screenshot("cover-note")
    offender.follow(offender.page.get_by_role("link", name="Read the message"))
    assert offender.delivered_text() == LETTER
    text = offender.main_text()
    assert text.index("Take your time.") < text.index(LETTER)
