"""The leak test for Circles of Support and Accountability (DESIGN.md section 4), through the forms people use.

The coordinator records a request and a professional of the outer circle, a volunteer submits a meeting's
minutes and raises a serious concern, the supervising staff member records whom it was escalated to: each a
unique canary. With the application's logs at DEBUG, every file the run wrote, the logs, and on PostgreSQL every
table and a ``pg_dump``, are searched in several encodings. The canaries come back decrypted only on the audited
pages of the people allowed to read them; never to the core member, the outer circle's staff account, another
circle's volunteer, a mediator of victim-offender mediation, or the staff member who forwarded a request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import timedelta

from mediation.db import utcnow
from mediation.models import CircleConcern, CircleMeeting, OuterCircleMember
from mediation.services.circles import meetings
from tests.integration.circles_steps import circle_in, circle_people, make_user
from tests.integration.test_no_leaks import application_logs_at_debug, leaks_at_rest, scan
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.circle_workflow import CircleState


def test_no_minutes_concern_escalation_request_or_outer_name_leaks(runtime, actors, database_url, tmp_path,
                                                                   tmp_path_factory, caplog):
    canaries = {name: f"canary-circle-{name}-{uuid.uuid4().hex}"
                for name in ("request", "outer_name", "outer_org", "minutes", "concern", "escalation")}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    people = circle_people(runtime, actors.admin, actors.staff)
    active = circle_in(runtime, people, CircleState.ACTIVE)
    outer_staff = make_user(runtime, "officer.outer", "staff")
    volunteer = people.volunteers[0]
    starts = (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)
    with runtime.transaction() as s:
        meeting = meetings.plan_meeting(s, volunteer, active, day=starts.strftime("%Y-%m-%d"),
                                        at=starts.strftime("%H:%M"), now=starts - timedelta(days=1)).id
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    coordinator = client_signed_in_as(app, people.coordinator.id)
    writer = client_signed_in_as(app, volunteer.id)
    supervisor = client_signed_in_as(app, people.supervisor.id)

    def post(client, path: str, data: dict[str, str]) -> str:
        token = csrf_from(client.get("/circles/").get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303, response.get_data(as_text=True)[:1000]
        return response.headers["Location"]

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        requested = post(coordinator, "/circles/requests", {"note": canaries["request"]})
        reference = re.search(r"CS-[0-9]{4}-[0-9]+", requested).group(0)
        post(coordinator, f"/circles/{active}/outer", {"role": "therapist", "name": canaries["outer_name"],
                                                       "organisation": canaries["outer_org"],
                                                       "staff_user_id": str(outer_staff.id)})
        post(writer, f"/circles/{active}/meetings/{meeting}/hold", {f"attendee_{volunteer.id}": "on"})
        post(writer, f"/circles/{active}/meetings/{meeting}/minutes", {"minutes": canaries["minutes"]})
        post(writer, f"/circles/{active}/meetings/{meeting}/concerns", {"concern": canaries["concern"],
                                                                        "serious": "yes"})
        with runtime.transaction() as s:
            concern = s.query(CircleConcern).one().id
        post(supervisor, f"/circles/{active}/concerns/{concern}/acknowledge",
             {"escalated_to": canaries["escalation"]})
        opened = {"request": coordinator.get(f"/circles/{reference}/request").get_data(as_text=True),
                  "outer": coordinator.get(f"/circles/{active}/outer").get_data(as_text=True),
                  "meeting": writer.get(f"/circles/{active}/meetings/{meeting}").get_data(as_text=True),
                  "concerns": supervisor.get(f"/circles/{active}/concerns").get_data(as_text=True)}
        pages = {"circle page (coordinator)": coordinator.get(f"/circles/{active}").get_data(as_text=True),
                 "home (coordinator)": coordinator.get("/circles/").get_data(as_text=True)}
        paths = ["/circles/", f"/circles/{active}", f"/circles/{active}/meetings/{meeting}",
                 f"/circles/{active}/concerns", f"/circles/{active}/outer", f"/circles/{reference}/request",
                 "/portal/", "/staff/", "/mediator/", "/circles/forwarded"]
        outsiders = {"core member": people.core, "outer circle's staff account": outer_staff,
                     "another circle's volunteer": people.volunteers[4], "mediator": actors.mediator,
                     "forwarding staff": actors.staff}
        for name, user in outsiders.items():
            client = client_signed_in_as(app, user.id)
            for path in paths:
                pages[f"{name} at {path}"] = client.get(path).get_data(as_text=True)

    # Not vacuous: everything went in, and came back decrypted on the audited pages of those who may read it.
    assert canaries["request"] in opened["request"]
    assert canaries["outer_name"] in opened["outer"] and canaries["outer_org"] in opened["outer"]
    assert canaries["minutes"] in opened["meeting"]
    assert canaries["concern"] in opened["concerns"] and canaries["escalation"] in opened["concerns"]
    with runtime.transaction() as s:
        assert s.get(CircleMeeting, meeting).sealed_minutes is not None
        assert s.query(OuterCircleMember).one().sealed_name is not None
    leaks = []
    for name, page in pages.items():
        leaks += scan(name, page.encode(), canaries)
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO circle_concerns" in logged

    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["circle_concerns"] == 1 and at_rest.rows_by_table["circle_outer_members"] == 1
    if at_rest.dump is not None:
        assert b"COPY public.circle_meetings" in at_rest.dump
    assert leaks + at_rest.leaks == []
