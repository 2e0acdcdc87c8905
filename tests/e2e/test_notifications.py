"""Story: a person who was harmed chooses how they hear that there is something new. In the portal they choose
e-mail, give their address, their time zone and quiet hours across midnight; quiet hours that never end are
refused with a message. The coordinator sees the health of the outgoing e-mail, with no address or content."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect
from sqlalchemy import select

from mediation.models import OutboxMessage, OutboxState, User
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality

ADDRESS = "dana.e2e@example.org"


def test_a_victim_chooses_email_with_quiet_hours_and_the_coordinator_sees_the_outbox(people: People,
                                                                                      live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    harmed = people.participant(case.harmed)
    harmed.follow(harmed.page.get_by_role("navigation").get_by_role("link", name="Notifications"))
    expect(harmed.page.locator("h1")).to_have_text("Notifications")
    assert "never a name, a message, a case reference" in harmed.main_text()

    harmed.page.get_by_label("By e-mail: only that there is something new, never what").check()
    harmed.page.get_by_label("E-mail address").fill(ADDRESS)
    harmed.page.get_by_label("Your time zone").fill("America/Montreal")
    harmed.page.get_by_label("Quiet hours from").fill("22:00")
    harmed.page.get_by_label("Quiet hours until").fill("22:00")
    harmed.submit(harmed.page.get_by_role("button", name="Save my notification settings"), refused=True)
    assert "quiet hours that never end" in harmed.main_text()

    harmed.page.get_by_label("Quiet hours until").fill("07:00")
    harmed.submit(harmed.page.get_by_role("button", name="Save my notification settings"))
    assert "Your notification settings were saved." in harmed.flash()
    expect(harmed.page.get_by_label("E-mail address")).to_have_value(ADDRESS)
    expect(harmed.page.get_by_label("Quiet hours from")).to_have_value("22:00")
    harmed.screenshot("notification-settings")

    with live_app.runtime.transaction() as session:  # an e-mail to the harmed person that kept failing
        harmed_id = session.scalars(select(User.id).where(User.username == case.harmed.username)).one()
        session.add(OutboxMessage(event="something_new", idempotency_key="e2e-failing-1", attempts=8,
                                  state=OutboxState.FAILED.value, last_error="smtp_554", user_id=harmed_id))
    coordinator = people.coordinator()
    coordinator.follow(coordinator.page.get_by_role("navigation").get_by_role("link", name="Outgoing e-mail"))
    expect(coordinator.page.locator("h1")).to_have_text("Outgoing e-mail")
    text = coordinator.main_text()
    assert "smtp_554" in text and ADDRESS not in text and case.reference not in text
    coordinator.screenshot("outbox")
