"""Story c: the firewall. Offender participation has no bearing on sentencing or parole, so the staff member who
forwards a request sees that it was received, then acknowledged, and nothing else: no step, no mediator, no
content, no outcome."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from mediation.services import sentences, workflow
from tests.e2e.conftest import LiveApp, People

# Anything an officer reading the referrals page must not learn: steps, outcomes, modalities, people.
CASE_WORDS = re.compile(r"\b(assessment|preparation|dialogue|eligible|eligibility|ineligible|mediator|closed|"
                        r"completed|withdrawn|declined|consent|safety|message|paused|requested)\b", re.IGNORECASE)


def test_referring_staff_see_received_then_acknowledged_and_nothing_else(people: People, live_app: LiveApp) -> None:
    officer = people.officer()
    officer.referrals()
    officer.screenshot("referrals-empty")
    reference = officer.forward(years=4)
    assert officer.page.url == live_app.url("/staff/")
    assert officer.status_of(reference) == "received"

    coordinator = people.coordinator()
    row = coordinator.case_row(reference)
    expect(row).to_contain_text("requested")
    coordinator.assign(reference, live_app.mediator.display_name)

    # The mediator's work goes on; none of it shows on the officer's side.
    mediator_user = live_app.accounts["mediator"][1]
    with live_app.runtime.transaction() as session:
        sentences.record_sentence(session, mediator_user, reference, "fixed", years=4)
    with live_app.runtime.transaction() as session:
        workflow.fire(session, mediator_user, reference, "screen")

    officer.referrals()
    assert officer.status_of(reference) == "acknowledged"
    officer.screenshot("referrals")
    page_text = officer.main_text()
    assert live_app.mediator.display_name not in page_text
    assert "Ada" not in officer.page.content()
    forbidden = CASE_WORDS.search(page_text.replace("Offender participation has no bearing on sentencing or parole "
                                                    "decisions", ""))
    assert forbidden is None, f"the officer reads {forbidden.group()!r}: {page_text}"
    expect(officer.page.locator("main table tbody tr")).to_have_count(1)
    header = officer.page.locator("main table thead th").all_inner_texts()
    assert header == ["Reference", "Forwarded on", "Status"]

    # The case's own pages are not theirs, whatever the address.
    officer.visit(f"/mediator/cases/{reference}", status=403)
    assert reference not in officer.main_text()
    officer.visit("/admin/", status=403)
