"""The mediator's calendar feed (issue 9, part 1), on SQLite and PostgreSQL: a secret address made, replaced and
revoked (audited, only its SHA-256 stored), answered without a sign-in with times, kind, place and reference and
nothing else (parsed with icalendar: canaries in notes and in participants' names never appear), and 404 for
anything but a live token of an active mediator.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import Activity, AuditEntry, CalendarFeed
from mediation.services import activities, assignment, calendar, contacts, users, workflow
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from tests.integration.web_sessions import client_signed_in_as
from web import create_app
from web.calendar_feed import render_feed
from web.errors import logged_path
from workflows.vocabulary import CaseState

NOTE_CANARY = "Canary-feed-note-5TQ8: he cried"
NAME_CANARY = "Canary-feed-name Zelda Quartermaine"


def at(days: int) -> dict[str, str]:
    moment = datetime.now(UTC) + timedelta(days=days)
    return {"day": moment.date().isoformat(), "at": "09:15"}


@pytest.fixture
def planned(runtime, actors, make_case) -> dict[str, str]:
    """A case with a named harmed party and three activities: soon, far ahead, and cancelled; notes as canaries."""
    reference = make_case(CaseState.PREPARATION)
    with runtime.transaction() as s:
        harmed = next(p.id for p in find_case(s, actors.mediator, reference).participants if p.side == "harmed")
        contacts.record_contact_details(s, runtime.vault, actors.mediator, reference, participant_id=harmed,
                                        details=ContactDetails(NAME_CANARY))
    made = {}
    for name, days in (("soon", 2), ("far", 400), ("cancelled", 3)):
        with runtime.transaction() as s:
            made[name] = activities.plan_activity(
                s, runtime.vault, actors.mediator, reference, kind="preparation_meeting", duration=45,
                place="Room 7, Example Institution", participant_ids=[harmed], notes=NOTE_CANARY, **at(days)).id
    with runtime.transaction() as s:
        activities.cancel(s, actors.mediator, reference, made["cancelled"])
    with runtime.transaction() as s:
        made["done"] = activities.plan_activity(s, runtime.vault, actors.mediator, reference, kind="call",
                                                duration=20, done=True, notes=NOTE_CANARY, **at(-5)).id
    return {"reference": reference, **made}


def feed_of(runtime, token: str) -> Calendar:
    with runtime.transaction() as s:
        events = calendar.feed_events(s, token)
    app = create_app(runtime.settings, runtime)
    with app.test_request_context():
        return Calendar.from_ical(render_feed(events, datetime.now(UTC)))


def test_the_feed_holds_times_kind_place_and_reference_and_nothing_else(runtime, actors, planned) -> None:
    with runtime.transaction() as s:
        token = calendar.create_feed(s, actors.mediator)
    app = create_app(runtime.settings, runtime)
    response = client_signed_in_as(app, None).get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    raw = response.get_data()
    for canary in (NOTE_CANARY, NAME_CANARY, "Zelda", "he cried"):
        assert canary.encode() not in raw
    parsed = Calendar.from_ical(raw)
    events = {str(e["UID"]).split("@")[0]: e for e in parsed.walk("VEVENT")}
    assert set(events) == {planned["soon"], planned["done"]}  # not cancelled, not beyond a year
    soon = events[planned["soon"]]
    assert str(soon["SUMMARY"]) == f"preparation meeting · {planned['reference']}"
    assert str(soon["LOCATION"]) == "Room 7, Example Institution" and str(soon["STATUS"]) == "CONFIRMED"
    assert soon.decoded("DTEND") - soon.decoded("DTSTART") == timedelta(minutes=45)
    assert {key for e in events.values() for key in e} <= {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY",
                                                           "LOCATION", "STATUS"}


def test_a_visit_keeps_its_place_out_of_the_calendar(runtime, actors, planned) -> None:
    home = "Canary-home-place 12 Quiet Lane"
    with runtime.transaction() as s:
        visit = activities.plan_activity(s, runtime.vault, actors.mediator, planned["reference"], kind="visit",
                                         duration=60, place=home, **at(4)).id
    with runtime.transaction() as s:
        token = calendar.create_feed(s, actors.mediator)
    events = {str(e["UID"]).split("@")[0]: e for e in feed_of(runtime, token).walk("VEVENT")}
    assert "LOCATION" not in events[visit] and str(events[planned["soon"]]["LOCATION"]).startswith("Room 7")
    with runtime.transaction() as s:
        assert home not in str(calendar.feed_events(s, token))


def test_a_closed_case_s_plans_leave_the_calendar_and_what_was_done_stays(runtime, actors, planned) -> None:
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, planned["reference"], "withdraw", reason="participant_choice",
                      participant_id=next(p.id for p in find_case(s, actors.mediator, planned["reference"])
                                          .participants if p.side == "harmed"), confirmed=True)
    with runtime.transaction() as s:
        token = calendar.create_feed(s, actors.mediator)
    uids = {str(e["UID"]).split("@")[0] for e in feed_of(runtime, token).walk("VEVENT")}
    assert uids == {planned["done"]}


def test_only_the_sha256_of_the_token_is_stored_and_every_change_is_audited(runtime, actors) -> None:
    with runtime.transaction() as s:
        first = calendar.create_feed(s, actors.mediator)
    with runtime.transaction() as s:
        second = calendar.create_feed(s, actors.mediator)
    with runtime.transaction() as s:
        rows = list(s.scalars(select(CalendarFeed).order_by(CalendarFeed.id)))
        assert [r.token_sha256 for r in rows] == [hashlib.sha256(t.encode()).hexdigest() for t in (first, second)]
        assert rows[0].revoked_at is not None and rows[1].revoked_at is None
    with runtime.transaction() as s, pytest.raises(NotFound):
        calendar.feed_events(s, first)  # replaced: the old address answers nothing
    with runtime.transaction() as s:
        calendar.feed_events(s, second)
        calendar.revoke_feed(s, actors.mediator)
    with runtime.transaction() as s, pytest.raises(NotFound):
        calendar.feed_events(s, second)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="no calendar address"):
        calendar.revoke_feed(s, actors.mediator)
    with runtime.transaction() as s:
        logged = list(s.scalars(select(AuditEntry).where(AuditEntry.tag.like("user:calendar_feed:%"))
                                .order_by(AuditEntry.seq)))
    assert [e.tag for e in logged] == [AuditTag.CALENDAR_FEED_CREATED, AuditTag.CALENDAR_FEED_CREATED,
                                       AuditTag.CALENDAR_FEED_REVOKED]
    for entry in logged:
        assert first not in str(entry.details) and second not in str(entry.details)


@pytest.mark.parametrize("token", ["", "short", "x" * 43 + "/", "a" * 43, "../../etc/passwd", "é" * 43, None, 42])
def test_an_unknown_or_malformed_token_is_not_found(runtime, actors, token: object) -> None:
    with runtime.transaction() as s:
        calendar.create_feed(s, actors.mediator)
    with runtime.transaction() as s, pytest.raises(NotFound):
        calendar.feed_events(s, token)


def test_a_deactivated_account_s_feed_answers_nothing(runtime, actors, planned) -> None:
    with runtime.transaction() as s:
        token = calendar.create_feed(s, actors.mediator)
    with runtime.transaction() as s:
        users.deactivate_user(s, actors.admin, actors.mediator.id)
    with runtime.transaction() as s, pytest.raises(NotFound):
        calendar.feed_events(s, token)
    app = create_app(runtime.settings, runtime)
    assert client_signed_in_as(app, None).get(f"/calendar/{token}.ics").status_code == 404


def test_only_mediators_have_a_feed(runtime, actors) -> None:
    for someone in (actors.admin, actors.staff, actors.harmed_user):
        with runtime.transaction() as s, pytest.raises(Forbidden):
            calendar.create_feed(s, someone)


def test_the_co_mediator_s_feed_holds_the_co_mediated_case_and_loses_it_on_removal(runtime, actors,
                                                                                  planned) -> None:
    with runtime.transaction() as s:
        assignment.assign_co_mediator(s, actors.admin, planned["reference"], actors.other_mediator.id)
    with runtime.transaction() as s:
        token = calendar.create_feed(s, actors.other_mediator)
    with runtime.transaction() as s:
        assert {e.id for e in calendar.feed_events(s, token)} == {planned["soon"], planned["done"]}
    with runtime.transaction() as s:
        assignment.remove_co_mediator(s, actors.admin, planned["reference"])
    with runtime.transaction() as s:
        assert calendar.feed_events(s, token) == []


def test_the_window_is_sixty_days_back_to_a_year_ahead(runtime, actors, planned) -> None:
    with runtime.transaction() as s:
        s.get(Activity, planned["done"]).starts_at = datetime.now(UTC) - timedelta(days=61)
        token = calendar.create_feed(s, actors.mediator)
    assert {str(e["UID"]).split("@")[0] for e in feed_of(runtime, token).walk("VEVENT")} == {planned["soon"]}


def test_a_log_line_about_a_feed_request_never_holds_its_token(runtime, actors) -> None:
    """The error log names the request's path (web.errors); a calendar feed's token is masked there."""
    with runtime.transaction() as s:
        token = calendar.create_feed(s, actors.mediator)
    app = create_app(runtime.settings, runtime)
    with app.test_request_context(f"/calendar/{token}.ics"):
        assert logged_path() == "/calendar/<secret>"
    with app.test_request_context("/mediator/calendar"):
        assert logged_path() == "/mediator/calendar"
