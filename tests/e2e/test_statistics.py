"""Story: the harmed party answers the closing questionnaire once, on the portal; the coordinator looks at the
programme statistics of a period (charts, each with its table, small counts suppressed), is refused a period
that ends before it starts, and downloads the same figures as CSV."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from datetime import UTC, datetime

from mediation.demo_statistics import insert_closed_cases
from mediation.services import users, workflow
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality

LAST_YEAR = datetime.now(UTC).year - 1

COMMENT = "The preparation made me feel ready."


def test_the_harmed_party_answers_and_the_coordinator_sees_suppressed_statistics(people: People,
                                                                                live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    mediator_user = live_app.accounts["mediator"][1]
    for trigger, reason in (("conclude", None), ("close", "dialogue_completed")):
        with live_app.runtime.transaction() as session:
            workflow.fire(session, mediator_user, case.reference, trigger, reason=reason)
    with live_app.runtime.transaction() as session:  # a programme's past: cases closed last year, by a mediator
        former = users.create_user(session, None, username="mediator.past", display_name="Past Mediator",
                                   role="mediator", password=None)  # of their own, off the other stories' lists
    with live_app.runtime.transaction() as session:
        insert_closed_cases(session, 40, mediator=former, vault=live_app.runtime.vault, seed=11,
                            closed_from=datetime(LAST_YEAR, 1, 10, tzinfo=UTC),
                            closed_until=datetime(LAST_YEAR, 12, 1, tzinfo=UTC))

    harmed = people.participant(case.harmed)
    harmed.home()
    harmed.follow(harmed.page.get_by_role("link", name="How did it go? A short questionnaire"))
    harmed.submit(harmed.page.get_by_role("button", name="Send my answers"), refused=True)  # nothing answered
    assert "Answer at least one question" in harmed.main_text()
    harmed.page.get_by_role("group", name="Did you feel safe during the process?").get_by_label("Partly").check()
    harmed.page.get_by_role("group", name="Were your questions answered?").get_by_label("Yes").check()
    harmed.page.get_by_label("Anything you would like to tell the programme (optional)").fill(COMMENT)
    harmed.screenshot("questionnaire")
    harmed.submit(harmed.page.get_by_role("button", name="Send my answers"))
    assert "counted only together with everyone else's" in harmed.flash()
    harmed.visit(f"/portal/cases/{case.reference}/evaluation")
    assert "You have answered this questionnaire" in harmed.main_text() and COMMENT not in harmed.main_text()

    coordinator = people.coordinator()
    coordinator.follow(coordinator.page.get_by_role("navigation").get_by_role("link", name="Statistics"))
    form = coordinator.page.locator("form.filters")
    form.get_by_label("First month").fill("2026-05")
    form.get_by_label("Last month").fill("2026-01")
    coordinator.submit(form.get_by_role("button", name="Show"), refused=True)
    assert "The period ends (2026-01) before it starts (2026-05)." in coordinator.main_text()
    form.get_by_label("First month").fill(f"{LAST_YEAR}-01")
    form.get_by_label("Last month").fill(f"{LAST_YEAR}-06")  # half a year: it could be subtracted from the whole
    coordinator.submit(form.get_by_role("button", name="Show"), refused=True)
    assert "Statistics cover one whole calendar year" in coordinator.main_text()
    form.get_by_label("Last month").fill(f"{LAST_YEAR}-12")
    coordinator.submit(form.get_by_role("button", name="Show"))
    main = coordinator.main_text()
    assert "fewer than 5*" in main and "Questionnaire answers" in main and "Days spent in each step" in main
    assert COMMENT not in main
    charts = coordinator.page.locator("svg[role=img]")
    assert charts.count() >= 7
    outcomes = coordinator.page.get_by_role("img", name="Cases closed, by outcome")
    assert "completed" in (outcomes.text_content() or "")
    coordinator.screenshot("statistics")
    coordinator.page.get_by_role("heading", name="Days spent in each step").scroll_into_view_if_needed()
    coordinator.screenshot("statistics-steps")

    with coordinator.page.expect_download() as download:
        coordinator.page.get_by_role("link", name="Download these figures as CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("table,row,label,value") and "fewer than 5*" in text and COMMENT not in text
