"""The leak test for activities and the calendar feed (DESIGN.md section 4), through the forms a mediator uses.

A mediator plans an activity with notes and records it done with more notes, over HTTP, then makes a calendar
address and fetches the feed. Unique canaries go in both notes; the feed's token is a canary too (it must never be
written anywhere: only its SHA-256 is stored). With the application's logs at DEBUG, the canaries must come back
only on the mediator's own activities page: never in the feed, never on any page of the other mediator, never in
a file the run wrote, a log, or (on PostgreSQL) any table or a ``pg_dump``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mediation.models import Activity
from mediation.services import calendar
from mediation.services.lookup import find_case
from tests.integration.test_no_leaks import (
    application_logs_at_debug,
    leaks_at_rest,
    scan,
)
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.vocabulary import CaseState


def test_no_activity_note_or_feed_token_leaks(runtime, actors, make_case, database_url, tmp_path,
                                              tmp_path_factory, caplog) -> None:
    canaries = {"planned_note": f"canary-activity-planned-{uuid.uuid4().hex}",
                "done_note": f"canary-activity-done-{uuid.uuid4().hex}"}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    reference = make_case(CaseState.PREPARATION)
    with runtime.transaction() as s:
        harmed = next(p.id for p in find_case(s, actors.mediator, reference).participants if p.side == "harmed")
    with runtime.transaction() as s:
        other_token = calendar.create_feed(s, actors.other_mediator)
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    mediator, other = client_signed_in_as(app, actors.mediator.id), client_signed_in_as(app, actors.other_mediator.id)
    visitor = client_signed_in_as(app, None)
    path = f"/mediator/cases/{reference}/activities"
    soon = datetime.now(UTC) + timedelta(hours=2)

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        token = csrf_from(mediator.get(path).get_data(as_text=True))
        planned = mediator.post(path, data={
            "csrf_token": token, "kind": "preparation_meeting", "day": soon.date().isoformat(),
            "time": soon.strftime("%H:%M"), "duration": "60", "place": "Room 5", f"person-{harmed}": "yes",
            "notes": canaries["planned_note"]})
        assert planned.status_code == 303, planned.get_data(as_text=True)[:1000]
        with runtime.transaction() as s:  # time passes: the meeting has begun
            activity = s.scalars(select(Activity)).one()
            activity.starts_at = datetime.now(UTC) - timedelta(minutes=5)
        page = mediator.get(path).get_data(as_text=True)
        activity_id = re.search(r"/activities/([0-9a-f]{32})/done", page)
        assert activity_id is not None
        done = mediator.post(f"{path}/{activity_id.group(1)}/done",
                             data={"csrf_token": csrf_from(page), "notes": canaries["done_note"]})
        assert done.status_code == 303, done.get_data(as_text=True)[:1000]
        own_page = mediator.get(path).get_data(as_text=True)
        made = mediator.post("/mediator/calendar", data={"csrf_token": csrf_from(own_page)}).get_data(as_text=True)
        address = re.search(r"/calendar/([A-Za-z0-9_-]{43})\.ics", made)
        assert address is not None
        canaries["feed_token"] = address.group(1)
        feed = visitor.get(f"/calendar/{address.group(1)}.ics")
        assert feed.status_code == 200
        other_feed = visitor.get(f"/calendar/{other_token}.ics")
        other_pages = {p: other.get(p) for p in (
            path, f"/mediator/cases/{reference}", "/mediator/", "/mediator/activities/upcoming",
            "/mediator/activities/overdue", "/mediator/calendar")}
        missing = visitor.get("/calendar/" + "A" * 43 + ".ics")

    # Not vacuous: both notes went in and came back out, decrypted, on the mediator's own page.
    assert canaries["planned_note"] in own_page and canaries["done_note"] in own_page
    assert reference in feed.get_data(as_text=True)
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO activities" in logged

    leaks = scan("the feed", feed.get_data(), canaries)
    leaks += scan("the other mediator's feed", other_feed.get_data(), {**canaries, "reference": reference})
    for where, response in other_pages.items():
        assert response.status_code in (200, 404), where
        leaks += scan(f"the other mediator's {where}", response.get_data(), canaries)
    assert other_pages[path].status_code == 404 and missing.status_code == 404
    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["activities"] == 1 and at_rest.rows_by_table["calendar_feeds"] == 2
    if at_rest.dump is not None:
        assert b"COPY public.activities" in at_rest.dump
    assert leaks + at_rest.leaks == []
