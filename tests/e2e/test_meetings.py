"""Story: a face-to-face meeting. The mediator plans it from the case page (where, when, who), tries to record it
as held while the harmed party's clearance is still missing and is told what is missing, in words; grants the
clearances, records the safety plan, prepares everyone and has them confirm, holds the meeting, and sees its
debrief planned with the same people."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from mediation.models import Activity
from tests.e2e.conftest import LiveApp, People
from tests.e2e.navigators import Mediator
from workflows.activities import ActivityKind
from workflows.vocabulary import Modality

SAFETY_PLAN = "A break room next door; either person may stop at any time; the unit officer waits outside."


def meeting_row(mediator: Mediator, who: str):
    return mediator.page.locator("section[aria-labelledby=people-title] tr").filter(
        has=mediator.page.locator("th", has_text=who))


def grant(mediator: Mediator, who: str) -> None:
    row = meeting_row(mediator, who)
    row.get_by_label("Clearance").select_option(label="granted")
    mediator.submit(row.get_by_role("button", name="Save").first)


def ready(mediator: Mediator, who: str) -> None:
    row = meeting_row(mediator, who)
    row.get_by_label("Prepared").check()
    row.get_by_label("Confirmed").check()
    mediator.submit(row.locator("form[action*='/people/']").get_by_role("button", name="Save"))


def time_passes_to_the_start(live_app: LiveApp, reference: str) -> None:
    """The meeting's day comes: its start is moved to a minute ago (the browser cannot wait for the clock)."""
    with live_app.runtime.transaction() as session:
        meeting = session.scalars(select(Activity).where(Activity.kind == ActivityKind.FACE_TO_FACE_MEETING)
                                  .order_by(Activity.created_at.desc())).first()
        assert meeting is not None and meeting.place == "Northfield Institution, Visits room 2"
        meeting.starts_at = datetime.now(UTC) - timedelta(minutes=1)


def test_a_meeting_is_planned_prepared_held_and_followed_by_its_debrief(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.FACE_TO_FACE)
    mediator = people.mediator()
    mediator.open_case(case.reference)
    assert "No meeting is planned." in mediator.section("face-to-face").inner_text()
    mediator.follow(mediator.page.get_by_role("link", name="Plan a face-to-face meeting"))

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    form = mediator.page.locator("main form")
    form.get_by_label("Institution or place").fill("Northfield Institution")
    form.get_by_label("Room").fill("Visits room 2")
    form.get_by_label("Date").fill(tomorrow)
    form.get_by_label("Starts at").fill("11:00")
    form.get_by_label("Ends at").fill("10:00")
    mediator.submit(form.get_by_role("button", name="Plan the meeting"), refused=True)
    assert "The meeting ends before it starts" in mediator.flash()

    form = mediator.page.locator("main form")
    form.get_by_label("Institution or place").fill("Northfield Institution")
    form.get_by_label("Room").fill("Visits room 2")
    form.get_by_label("Date").fill(tomorrow)
    form.get_by_label("Starts at").fill("10:00")
    form.get_by_label("Ends at").fill("11:30")
    mediator.submit(form.get_by_role("button", name="Plan the meeting"))
    assert "The meeting was planned" in mediator.flash()
    assert "held there: no clearance needed" in meeting_row(mediator, "the person responsible").inner_text()
    mediator.screenshot("meeting-planned")

    time_passes_to_the_start(live_app, case.reference)
    mediator.page.reload()
    mediator.arrived()
    ready(mediator, "the harmed party")
    ready(mediator, "the person responsible")
    grant(mediator, "the mediator")
    mediator.follow(mediator.page.get_by_role("link", name="Read or change the arrangements"))
    mediator.page.get_by_label("Safety plan").fill(SAFETY_PLAN)
    mediator.submit(mediator.page.get_by_role("button", name="Save, encrypted"))
    assert SAFETY_PLAN not in mediator.main_text()  # the meeting page says only that it is recorded

    mediator.submit(mediator.page.get_by_role("button", name="Record as held"), refused=True)
    refusal = mediator.flash()
    assert "cannot happen yet: no security clearance granted yet for the harmed party (#" in refusal
    mediator.screenshot("hold-refused-clearance-missing")

    grant(mediator, "the harmed party")
    checklist = mediator.page.locator("ul.checklist li")
    expect(checklist).to_have_count(4)
    for item in checklist.all():
        assert item.get_attribute("data-done") == "yes", item.inner_text()
    mediator.screenshot("checklist-complete")

    mediator.submit(mediator.page.get_by_role("button", name="Record as held"))
    assert "recorded as held, and its debrief is planned" in mediator.flash()
    assert "Debrief planned on" in mediator.main_text()
    assert mediator.page.locator(".status[data-status=done]").inner_text() == "held"
    mediator.screenshot("meeting-held-debrief-planned")

    with live_app.runtime.transaction() as session:
        debrief = session.scalars(select(Activity).where(Activity.kind == ActivityKind.DEBRIEF)
                                  .order_by(Activity.created_at.desc())).first()
        assert debrief is not None and debrief.status == "planned" and len(debrief.attendees) == 2
        debrief_id = debrief.id

    mediator.follow(mediator.page.get_by_role("link", name="Back to the case"))
    assert "held" in mediator.section("face-to-face").inner_text()

    with live_app.runtime.transaction() as session:  # the debrief's day comes
        session.get(Activity, debrief_id).starts_at = datetime.now(UTC) - timedelta(hours=1)
    mediator.visit(f"/mediator/cases/{case.reference}/activities")
    debriefed = mediator.page.locator("article.activity").filter(has_text="debrief").first
    debriefed.get_by_label("Notes on how it went (encrypted)").fill("Both said the meeting was worth it.")
    mediator.submit(debriefed.get_by_role("button", name="Record as done"))
    assert "recorded as done" in mediator.flash()
    expect(mediator.page.locator("article.activity").filter(has_text="debrief").first).to_contain_text(
        "Both said the meeting was worth it.")
    mediator.screenshot("debrief-recorded")
