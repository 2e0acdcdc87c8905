"""The leak test for face-to-face meetings (DESIGN.md section 4), through the forms a mediator uses.

A mediator plans a meeting over HTTP and records its safety plan, escorts and travel arrangements, each a unique
canary. With the application's logs at DEBUG, every file the run wrote, the logs, and on PostgreSQL every table and
a ``pg_dump``, are searched in several encodings: the canaries come back only on the mediator's audited
arrangements page, never on the meeting or case page, never to the participants of the case, nor to the other
mediator.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from mediation.models import FaceToFaceMeeting
from tests.integration.test_messages import link_accounts
from tests.integration.test_no_leaks import application_logs_at_debug, leaks_at_rest, scan
from tests.integration.test_no_leaks_safety import case_version
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.vocabulary import CaseState, Modality


def test_no_safety_plan_escort_or_travel_leaks(runtime, actors, make_case, database_url, tmp_path,
                                               tmp_path_factory, caplog):
    canaries = {"safety_plan": f"canary-meeting-plan-{uuid.uuid4().hex}",
                "escorts": f"canary-meeting-escorts-{uuid.uuid4().hex}",
                "travel": f"canary-meeting-travel-{uuid.uuid4().hex}"}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    reference = make_case(CaseState.DIALOGUE_FACE_TO_FACE, Modality.FACE_TO_FACE)
    relay = link_accounts(runtime, actors, reference)
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    mediator = client_signed_in_as(app, actors.mediator.id)
    day = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%d")

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        token, version = case_version(mediator, reference)
        planned = mediator.post(
            f"/mediator/cases/{reference}/face-to-face",
            data={"csrf_token": token, "version": version, "venue": "institution", "institution": "Northfield",
                  "room": "Chapel", "day": day, "start": "10:00", "end": "11:00",
                  f"attendee_{relay.harmed_id}": "on", f"attendee_{relay.offender_id}": "on"})
        assert planned.status_code == 303, planned.get_data(as_text=True)[:1000]
        meeting_page = planned.headers["Location"]
        arrangements = f"{meeting_page}/arrangements"
        token = csrf_from(mediator.get(arrangements).get_data(as_text=True))
        saved = mediator.post(arrangements, data={"csrf_token": token, **canaries})
        assert saved.status_code == 303, saved.get_data(as_text=True)[:1000]
        opened = mediator.get(arrangements).get_data(as_text=True)
        pages = {"meeting page": mediator.get(meeting_page).get_data(as_text=True),
                 "case page": mediator.get(f"/mediator/cases/{reference}").get_data(as_text=True)}
        for key, user in (("harmed", actors.harmed_user), ("offender", actors.offender_user)):
            person = client_signed_in_as(app, user.id)
            pages[f"{key}'s portal"] = person.get("/portal/").get_data(as_text=True)
            pages[f"{key} at the meeting"] = person.get(meeting_page).get_data(as_text=True)
        other = client_signed_in_as(app, actors.other_mediator.id)
        pages["other mediator"] = other.get(arrangements).get_data(as_text=True)

    # Not vacuous: everything went in, and came back out decrypted on the mediator's page only.
    for text in canaries.values():
        assert text in opened, text
    assert re.search(r"/face-to-face/[0-9a-f]{32}$", meeting_page)
    for key in ("harmed", "offender"):  # each attendee is told the day and the institution, not the room or who
        portal = pages[f"{key}'s portal"]
        assert f"A meeting is planned on {day} at 10:00 UTC at Northfield." in portal and "Chapel" not in portal
        assert "clearance" not in portal.lower()
    with runtime.transaction() as s:
        assert s.query(FaceToFaceMeeting).one().sealed_travel is not None
    leaks = []
    for name, page in pages.items():
        leaks += scan(name, page.encode(), canaries)
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO face_to_face_meetings" in logged

    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["face_to_face_meetings"] == 1
    if at_rest.dump is not None:
        assert b"COPY public.face_to_face_meetings" in at_rest.dump
    assert leaks + at_rest.leaks == []
