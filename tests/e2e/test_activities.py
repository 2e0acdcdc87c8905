"""A mediator's activities: they plan a preparation meeting (after being refused one in the past), see it coming up
on their dashboard, record it done with notes once it has taken place, then make their calendar's secret address
and fetch the feed, which holds the meeting's time, place and case reference and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from mediation.demo import build_case, path_to
from mediation.models import Activity
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import CaseState

NOTES = "We went through her questions; she wants to write first."


def test_a_mediator_plans_a_preparation_meeting_records_it_and_subscribes_to_their_calendar(
        people: People, live_app: LiveApp) -> None:
    admin, mediator_user, staff = (live_app.accounts[role][1] for role in ("admin", "mediator", "staff"))
    reference = build_case(live_app.runtime, admin, mediator_user, staff, steps=path_to(CaseState.PREPARATION))
    mediator = people.mediator()
    mediator.open_case(reference)
    assert "Ada Mediator" in mediator.section("activities-title").inner_text()
    mediator.follow(mediator.page.get_by_role("link", name="All activities, and plan one"))

    form = mediator.page.locator("section[aria-labelledby=plan-title]")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    form.get_by_label("Kind").select_option("preparation_meeting")
    form.get_by_label("Date", exact=True).fill(yesterday)
    form.get_by_label("Time", exact=True).fill("10:00")
    form.get_by_label("Duration in minutes").fill("60")
    form.get_by_label("Place").fill("Interview room 2, Riverside Institution")
    form.locator("fieldset input[type=checkbox]").first.check()
    mediator.submit(form.get_by_role("button", name="Save the activity"), refused=True)
    assert "A meeting in the past cannot be planned" in mediator.flash()

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    form.get_by_label("Kind").select_option("preparation_meeting")
    form.get_by_label("Date", exact=True).fill(tomorrow)
    form.get_by_label("Time", exact=True).fill("10:00")
    form.get_by_label("Duration in minutes").fill("60")
    form.get_by_label("Place").fill("Interview room 2, Riverside Institution")
    form.locator("fieldset input[type=checkbox]").first.check()
    mediator.submit(form.get_by_role("button", name="Save the activity"))
    assert "The activity was planned." in mediator.flash()
    meeting = mediator.page.locator("article.activity").first
    expect(meeting).to_contain_text("preparation meeting")
    expect(meeting).to_contain_text("Interview room 2, Riverside Institution")
    mediator.screenshot("activities-planned")

    mediator.dashboard()
    coming = mediator.section("agenda-upcoming")
    expect(coming).to_contain_text(reference)
    expect(coming).to_contain_text("Interview room 2")
    mediator.screenshot("dashboard-coming-up")

    with live_app.runtime.transaction() as s:  # the day comes: the meeting took place this morning
        for activity in s.query(Activity).all():
            activity.starts_at = datetime.now(UTC) - timedelta(hours=2)
    mediator.dashboard()
    expect(mediator.section("agenda-overdue")).to_contain_text(reference)
    mediator.follow(mediator.section("agenda-overdue").get_by_role("link", name=reference))
    meeting = mediator.page.locator("article.activity").first
    meeting.get_by_label("Notes on how it went (encrypted)").fill(NOTES)
    mediator.submit(meeting.get_by_role("button", name="Record as done"))
    assert "recorded as done" in mediator.flash()
    expect(mediator.page.locator("article.activity").first).to_contain_text(NOTES)
    mediator.screenshot("activity-done")

    mediator.dashboard()
    mediator.follow(mediator.page.get_by_role("link", name="My calendar (a secret address for your calendar "
                                                           "application)"))
    mediator.submit(mediator.page.get_by_role("button", name="Make a calendar address"))
    address = mediator.page.get_by_role("textbox", name="Calendar address").input_value()
    assert "/calendar/" in address and address.endswith(".ics")
    mediator.screenshot("calendar-address")
    feed = mediator.page.request.get(address)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    body = feed.text()
    assert "BEGIN:VEVENT" in body and reference in body and "Interview room 2" in body
    assert NOTES not in body and "she wants to write" not in body
    mediator.visit("/mediator/calendar")
    mediator.submit(mediator.page.get_by_role("button", name="Revoke the address"))
    assert mediator.page.request.get(address).status == 404
