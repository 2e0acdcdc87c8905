"""Story b: participation is voluntary at every stage. A participant withdraws in one step, after a page that
says what withdrawal means; what they wrote and the mediator had not yet approved is never delivered."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality

PENDING = "I have thought about it more, and there is something else I need you to hear."


def test_withdrawing_takes_effect_at_once_and_withholds_what_was_pending(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed, offender = people.participant(case.harmed), people.participant(case.offender)

    harmed.messages()
    harmed.write(PENDING)
    assert harmed.sent_status(PENDING) == "waiting for the mediator"

    meaning = harmed.withdraw()
    assert "Withdrawal takes effect at once: nothing more will be sent to you or from you." in meaning
    assert "Messages that are still waiting for the mediator will not be delivered." in meaning
    assert "You can ask your mediator to start again later." in meaning
    assert "You have withdrawn" in harmed.flash()
    assert harmed.status().startswith("You withdrew. Nothing more is sent to or from you.")
    expect(harmed.page.get_by_role("link", name="Withdraw from the process")).to_have_count(0)
    harmed.messages()
    assert harmed.sent_status(PENDING) == "not passed on by your mediator"
    expect(harmed.page.get_by_label("Your message")).to_have_count(0)  # nothing more can be sent

    mediator = people.mediator()
    mediator.open_case(case.reference)
    assert mediator.state() == "closed"
    assert "Outcome: withdrawn" in mediator.main_text()
    mediator.messages(case.reference)
    pending = mediator.message(PENDING)
    assert mediator.message_state(pending) == "withheld"
    expect(pending.get_by_role("button", name="Approve and deliver")).to_have_count(0)

    offender.home()
    assert offender.status() == "The process stopped because a participant chose to withdraw."
    offender.messages()
    expect(offender.received()).to_have_count(0)
    assert "Nothing has been delivered to you yet." in offender.main_text()
    assert PENDING not in offender.main_text()
    expect(offender.page.get_by_label("Your message")).to_have_count(0)
