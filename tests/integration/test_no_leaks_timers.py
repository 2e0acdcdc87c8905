"""The leak test for timers, notices, the reminders pages and the audit checkpoint (issue 10, DESIGN.md section 4).

Canaries go into a case's sealed content (a message, a safety note, an activity's notes, an agreement item);
every reminder of the case then fires through the worker, which also writes a signed checkpoint. With the
application's logs at DEBUG, no canary may appear in a timer, a notice, a page that lists them (the mediator's
and the coordinator's), the checkpoint file, a log, a file the run wrote, or (on PostgreSQL) any table.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from config import load_settings
from mediation.db import utcnow
from mediation.keyfiles import ensure_instance
from mediation.models import AuditEntry, Notice, Timer, TimerState
from mediation.runtime import open_runtime
from mediation.services import activities, messages, safety
from mediation.worker import Worker
from tests.integration.dialogue_steps import dialogue_of
from tests.integration.test_no_leaks import application_logs_at_debug, scan, scan_files, scan_postgres_tables
from tests.integration.web_sessions import client_signed_in_as
from web import create_app
from workflows.vocabulary import CaseState


def test_no_content_leaks_into_timers_notices_reminders_pages_or_checkpoints(runtime, actors, make_case, environment,
                                                                             database_url, tmp_path, caplog) -> None:
    canaries = {label: f"canary-timers-{label}-{uuid.uuid4().hex}" for label in
                ("message", "safety_note", "activity_notes", "agreement_item")}
    started = time.time() - 2
    offsite = tmp_path / "offsite"
    log_file = runtime.settings.instance_dir / "debug.log"
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    soon = datetime.now(UTC) + timedelta(days=2)

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        dialogue.sealed(messages.submit_message, text=canaries["message"], actor=actors.harmed_user)
        dialogue.sealed(safety.record_assessment, participant_id=dialogue.harmed_id, outcome="concerns",
                        note=canaries["safety_note"])
        dialogue.sealed(activities.plan_activity, kind="call", day=soon.date().isoformat(), at="10:00",
                        duration=30, notes=canaries["activity_notes"])
        dialogue.agreement()
        dialogue.item(canaries["agreement_item"])
        checkpointing = open_runtime(load_settings({**environment, "MEDIATION_AUDIT_CHECKPOINT_DIR": str(offsite)},
                                                   cwd=tmp_path))
        ensure_instance(checkpointing.settings)
        try:
            Worker(checkpointing).drain(now=utcnow() + timedelta(days=100))
        finally:
            checkpointing.close()
        app = create_app(runtime.settings, runtime)
        app.config.update(TESTING=True)
        mediator, admin = client_signed_in_as(app, actors.mediator.id), client_signed_in_as(app, actors.admin.id)
        pages = {f"mediator {path}": mediator.get(path) for path in
                 ("/mediator/", "/mediator/reminders", "/mediator/reminders?which=upcoming")}
        pages |= {f"admin {path}": admin.get(path) for path in
                  ("/admin/timers", "/admin/timers?which=upcoming", "/admin/timers?which=failed")}

    assert all(response.status_code == 200 for response in pages.values())
    with runtime.transaction(read_only=True) as s:
        fired = list(s.scalars(select(Timer).where(Timer.state == TimerState.FIRED.value)))
        rows = {"timers": [vars(t) for t in s.scalars(select(Timer))],
                "notices": [vars(n) for n in s.scalars(select(Notice))],
                "audit": [vars(e) for e in s.scalars(select(AuditEntry))]}
    assert {t.kind for t in fired} >= {"review_waiting", "reassessment_due", "activity_due", "agreement_item_due",
                                       "case_stale", "audit_checkpoint"}  # every kind the canaries sit behind fired
    assert rows["notices"], "the reminders left notices"
    [checkpoint] = list(offsite.glob("audit-checkpoint-*.json"))

    leaks = [*scan("checkpoint", checkpoint.read_bytes(), canaries),
             *(leak for name, response in pages.items() for leak in scan(name, response.get_data(), canaries)),
             *(leak for table, values in rows.items() for leak in scan(table, repr(values).encode(), canaries)),
             *scan("captured logs", caplog.text.encode(), canaries)]
    leaks += scan_files([runtime.settings.instance_dir, offsite], canaries, since=started)[0]
    if database_url.startswith("postgresql"):
        leaks += scan_postgres_tables(database_url, canaries)[0]
    assert leaks == []
