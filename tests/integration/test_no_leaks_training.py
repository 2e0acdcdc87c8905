"""The leak test for the resocialisation training programme (DESIGN.md section 4), through the forms its people use.

The activation worker writes phase notes, the individual plan and the details of practical help over HTTP, each a
unique canary; the worker issues the certificate once the client completed. With the application's logs at DEBUG,
every file the run wrote, the logs, and on PostgreSQL every table and a ``pg_dump``, are searched in several
encodings: the canaries come back only on the worker's own audited pages, never on the client's summary, never to
the client, the coordinator, the referring officer (who sees the certificate only) or another worker.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import date, timedelta

from mediation.models import Enrolment, PhaseNote, PracticalHelp
from tests.integration.test_no_leaks import application_logs_at_debug, leaks_at_rest, scan
from tests.integration.training_world import attend, enrol, grant_training_roles, move
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def test_no_phase_note_plan_or_help_detail_leaks(runtime, actors, database_url, tmp_path, tmp_path_factory, caplog):
    canaries = {name: f"canary-training-{name}-{uuid.uuid4().hex}"
                for name in ("anamnesis", "focus", "evaluation", "plan", "help")}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    people = grant_training_roles(runtime, actors)
    reference = enrol(runtime, people, track="minors")
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    worker = client_signed_in_as(app, people.worker.id)
    client_page = f"/training/clients/{reference}"

    def post(path: str, page: str | None = None, **form: str) -> None:
        """Send a form from the page it is on (``page``, else ``path``); it must be accepted, not refused."""
        token = csrf_from(worker.get(page or path).get_data(as_text=True))
        answer = worker.post(path, data={"csrf_token": token, **form})
        assert answer.status_code == 303, answer.get_data(as_text=True)[:1000]
        landed = worker.get(answer.headers["Location"]).get_data(as_text=True)
        assert "flash-error" not in landed, landed.split("<main")[1][:600]

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        for trigger, phase in (("begin_anamnesis", "anamnesis"), ("begin_focus", "focus"),
                               ("begin_evaluation", "evaluation")):
            post(f"{client_page}/move", trigger=trigger, page=client_page)
            post(f"{client_page}/notes", text=canaries[phase])
        post(f"{client_page}/plan", plan=canaries["plan"])
        post(f"{client_page}/help", kind="debts", details=canaries["help"], given_on=YESTERDAY,
             follow_up_on=(date.today() + timedelta(days=7)).isoformat())
        attend(runtime, people, reference, *[150] * 14)
        move(runtime, people, reference, "complete")
        post(f"{client_page}/certificate", page=client_page)  # issued from the client's page
        opened = "".join(worker.get(f"{client_page}/{page}").get_data(as_text=True)
                         for page in ("notes", "plan", "help"))
        pages = {"client summary (worker)": worker.get(client_page).get_data(as_text=True),
                 "sessions (worker)": worker.get(f"{client_page}/sessions").get_data(as_text=True),
                 "certificate (worker)": worker.get(f"{client_page}/certificate").get_data(as_text=True)}
        for name, user, paths in (
                ("coordinator", people.coordinator, ["/training/", client_page, f"{client_page}/notes",
                                                     f"{client_page}/plan", f"{client_page}/help"]),
                ("officer", people.officer, ["/training/referrals", f"{client_page}/certificate", client_page,
                                             f"{client_page}/notes"]),
                ("other worker", people.other_worker, [client_page, f"{client_page}/notes", f"{client_page}/plan",
                                                       f"{client_page}/help"]),
                ("client", people.client, ["/portal/", f"/training/mine/{reference}", f"{client_page}/plan"])):
            browser = client_signed_in_as(app, user.id)
            for path in paths:
                pages[f"{name} at {path}"] = browser.get(path).get_data(as_text=True)

    # Not vacuous: everything went in, and came back out decrypted on the worker's own pages only.
    for text in canaries.values():
        assert text in opened, text
    certificate = pages[f"officer at {client_page}/certificate"]
    assert "completed" in certificate and ">35<" in certificate.replace(" ", "")
    with runtime.transaction() as s:
        assert s.query(PhaseNote).count() == 3 and s.query(PracticalHelp).count() == 1
        assert s.query(Enrolment).one().sealed_plan is not None
    leaks = []
    for name, page in pages.items():
        leaks += scan(name, page.encode(), canaries)
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO training_phase_notes" in logged

    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["training_phase_notes"] == 3
    if at_rest.dump is not None:
        assert b"COPY public.training_help" in at_rest.dump
    assert leaks + at_rest.leaks == []
