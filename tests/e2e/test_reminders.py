"""Reminders in the browser (issue 10): a mediator finds an overdue reminder of their case from their dashboard,
the worker fires it and they see its notice; the coordinator sees every timer, upcoming and overdue, from the
menu. axe-core checks every page."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect
from sqlalchemy import update

from mediation.db import utcnow
from mediation.demo import build_case, path_to
from mediation.models import Case, Timer, TimerKind, TimerState
from mediation.services.lookup import find_case
from mediation.timers import runner
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import CaseState


def test_a_mediator_sees_an_overdue_reminder_and_the_coordinator_sees_the_timers(people: People,
                                                                                 live_app: LiveApp) -> None:
    admin, mediator_user, staff = (live_app.accounts[role][1] for role in ("admin", "mediator", "staff"))
    runtime = live_app.runtime
    reference = build_case(runtime, admin, mediator_user, staff, steps=path_to(CaseState.ASSESSMENT))
    with runtime.transaction() as s:  # as if the case had been left alone for three weeks
        case_id = find_case(s, admin, reference).id
        s.execute(update(Case).where(Case.id == case_id).values(updated_at=utcnow() - timedelta(days=21)))
        s.execute(update(Timer).where(Timer.case_id == case_id, Timer.kind == TimerKind.CASE_STALE.value,
                                      Timer.state == TimerState.PENDING.value)
                  .values(due_at=utcnow() - timedelta(days=7)))

    mediator = people.mediator()
    mediator.dashboard()
    mediator.follow(mediator.page.get_by_role("link", name="My reminders (upcoming and overdue)"))
    row = mediator.page.locator("tr", has_text=reference)
    expect(row).to_contain_text("No activity on the case: its mediator is told")
    expect(row).to_contain_text("overdue")
    mediator.screenshot("reminders-overdue")

    coordinator = people.coordinator()
    coordinator.follow(coordinator.page.get_by_role("navigation", name="Main").get_by_role("link", name="Timers"))
    expect(coordinator.page.locator("tr", has_text=reference)).to_contain_text("No activity on the case")
    coordinator.follow(coordinator.page.get_by_role("link", name="Upcoming"))
    expect(coordinator.page.locator("h2#timers-list")).to_have_text("Upcoming")

    runner.fire_due(runtime, limit=1000)  # the worker's turn
    mediator.dashboard()
    expect(mediator.section("notices")).to_contain_text(f"Case {reference} has had no activity for 14 days.")
    mediator.visit("/mediator/reminders")
    expect(mediator.page.locator("tr", has_text=reference)).to_have_count(0)
    coordinator.visit("/admin/timers?which=upcoming")
    expect(coordinator.page.locator("tr", has_text=reference).first).to_contain_text(
        "Still no activity: the coordinator is told")
