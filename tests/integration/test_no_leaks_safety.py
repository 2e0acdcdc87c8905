"""The leak test for safety assessments and disclosures (DESIGN.md section 4), through the forms a mediator uses.

A mediator records, over HTTP, a concern with its risk factors, the people consulted and a note, and a disclosure
that must be reported with its note. Unique canaries go in every free text; the risk factor, consultation and
disclosure category chosen are codes, so those codes stand as canaries too (nothing else in the run uses them).
With the application's logs at DEBUG, every file the run wrote, the logs, and on PostgreSQL every table and a
``pg_dump``, are searched in several encodings: the canaries must come back only through the mediator's audited
page, decrypted.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask.testing import FlaskClient

from mediation.services.lookup import find_case
from tests.integration.test_no_leaks import (
    application_logs_at_debug,
    leaks_at_rest,
)
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.vocabulary import CaseState, Side

# Codes no other part of this run chooses (the demo paths consult a parole officer, nothing else).
CODE_CANARIES = {"risk_factor_code": "no_contact_condition", "consultation_code": "victim_services",
                 "disclosure_category": "child_protection"}


def case_version(client: FlaskClient, reference: str) -> tuple[str, str]:
    """The case page's CSRF token and the case's version, as a browser would send them back."""
    page = client.get(f"/mediator/cases/{reference}").get_data(as_text=True)
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match
    return csrf_from(page), match.group(1)


def test_no_risk_factor_consultation_or_disclosure_leaks(runtime, actors, make_case, database_url, tmp_path,
                                                        tmp_path_factory, caplog):
    canaries = {"assessment_note": f"canary-safety-note-{uuid.uuid4().hex}",
                "disclosure_note": f"canary-disclosure-note-{uuid.uuid4().hex}", **CODE_CANARIES}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    with runtime.transaction() as s:
        people = {p.side: p.id for p in find_case(s, actors.mediator, reference).participants}
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    mediator = client_signed_in_as(app, actors.mediator.id)

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        token, version = case_version(mediator, reference)
        assessed = mediator.post(
            f"/mediator/cases/{reference}/participants/{people[Side.RESPONSIBLE]}/safety",
            data={"csrf_token": token, "version": version, "outcome": "concerns",
                  f"risk_{canaries['risk_factor_code']}": "on", f"consulted_{canaries['consultation_code']}": "on",
                  "note": canaries["assessment_note"]})
        assert assessed.status_code == 303, assessed.get_data(as_text=True)[:1000]
        token, version = case_version(mediator, reference)
        disclosed = mediator.post(
            f"/mediator/cases/{reference}/disclosures",
            data={"csrf_token": token, "version": version, "category": canaries["disclosure_category"],
                  "participant_id": str(people[Side.RESPONSIBLE]), "note": canaries["disclosure_note"]})
        assert disclosed.status_code == 303, disclosed.get_data(as_text=True)[:1000]
        record = mediator.get(f"/mediator/cases/{reference}/safety").get_data(as_text=True)

    # Not vacuous: everything went in, and came back out decrypted on the mediator's page.
    for text in (canaries["assessment_note"], canaries["disclosure_note"], "a no-contact condition",
                 "victim services", "child protection"):
        assert text in record, text
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO safety_assessments" in logged and "INSERT INTO disclosures" in logged

    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["safety_assessments"] > 0 and at_rest.rows_by_table["disclosures"] == 1
    if at_rest.dump is not None:
        assert b"COPY public.safety_assessments" in at_rest.dump
    assert at_rest.leaks == []
