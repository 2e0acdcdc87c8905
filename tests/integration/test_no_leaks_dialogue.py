"""The leak test for needs and questions, agreements, follow-up and closing (DESIGN.md section 4), through the
forms a mediator and participants use.

A mediator records over HTTP a need for each side, an agreement with two items, a follow-up note, and closes with
a summary, handing one item over with a note. Unique canaries go in every sealed field. Then: the other side's need,
the follow-up and handover notes and the closing summary never appear in a participant's portal pages or letter
(nor in the mediator's letter for them); with the application's logs at DEBUG, every file the run wrote, the logs,
and on PostgreSQL every table and a ``pg_dump`` hold none of the canaries in clear.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask.testing import FlaskClient

from tests.integration.test_messages import link_accounts
from tests.integration.test_no_leaks import (
    application_logs_at_debug,
    leaks_at_rest,
)
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.vocabulary import CaseState


def post(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> str:
    """Submit a form found on ``page`` as a browser would (its CSRF token), expecting a redirect."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(action, data={"csrf_token": token, **data})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    return response.headers["Location"]


def item_ids(page: str) -> list[str]:
    return re.findall(r"/agreement/items/([0-9a-f]{32})/follow-up", page)


def test_no_need_agreement_note_or_summary_leaks(runtime, actors, make_case, database_url, tmp_path,
                                                 tmp_path_factory, caplog):
    canary = {name: f"canary-{name}-{uuid.uuid4().hex}" for name in (
        "harmed_need", "offender_need", "item_what", "second_item", "follow_up", "handover", "summary")}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    reference = make_case(CaseState.CLOSING)
    relay = link_accounts(runtime, actors, reference)
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    mediator = client_signed_in_as(app, actors.mediator.id)
    harmed = client_signed_in_as(app, actors.harmed_user.id)
    offender = client_signed_in_as(app, actors.offender_user.id)
    base = f"/mediator/cases/{reference}"

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        for who, text in ((relay.harmed_id, canary["harmed_need"]), (relay.offender_id, canary["offender_need"])):
            post(mediator, f"{base}/needs", f"{base}/needs",
                 {"participant_id": str(who), "kind": "question", "text": text})
        post(mediator, f"{base}/agreement", f"{base}/agreement", {"agreed_on": "2026-01-05"})
        for what in (canary["item_what"], canary["second_item"]):
            post(mediator, f"{base}/agreement", f"{base}/agreement/items",
                 {"kind": "apology", "responsible": str(relay.offender_id), "what": what, "due_on": "2026-02-01"})
        first, second = item_ids(mediator.get(f"{base}/agreement").get_data(as_text=True))
        post(mediator, f"{base}/agreement", f"{base}/agreement/items/{first}/follow-up",
             {"status": "completed", "note": canary["follow_up"]})
        version = re.search(r'name="version" value="(\d+)"', mediator.get(f"{base}/close").get_data(as_text=True))
        assert version
        post(mediator, f"{base}/close", f"{base}/close",
             {"version": version.group(1), "reason": "dialogue_completed", "summary": canary["summary"],
              f"status-{second}": "handed_over", f"note-{second}": canary["handover"]})
        mediator_pages = {"agreement": mediator.get(f"{base}/agreement").get_data(as_text=True),
                          "needs": mediator.get(f"{base}/needs").get_data(as_text=True),
                          "harmed letter": mediator.get(f"{base}/letters/{relay.harmed_id}").get_data(as_text=True),
                          "offender letter": mediator.get(f"{base}/letters/{relay.offender_id}").get_data(as_text=True)}
        portal = {who: {page: client.get(page).get_data(as_text=True)
                        for page in ("/portal/", f"/portal/cases/{reference}/needs",
                                     f"/portal/cases/{reference}/letter")}
                  for who, client in (("harmed", harmed), ("offender", offender))}

    # Not vacuous: what went in comes back where it belongs.
    assert canary["follow_up"] in mediator_pages["agreement"] and canary["handover"] in mediator_pages["agreement"]
    assert canary["harmed_need"] in portal["harmed"][f"/portal/cases/{reference}/letter"]
    assert canary["item_what"] in portal["offender"][f"/portal/cases/{reference}/letter"]
    never_to_participants = (canary["follow_up"], canary["handover"], canary["summary"])
    own_need = {"harmed": canary["harmed_need"], "offender": canary["offender_need"]}
    for who, pages in portal.items():
        other_need = own_need["offender" if who == "harmed" else "harmed"]
        for page, text in pages.items():
            for secret in (*never_to_participants, other_need):
                assert secret not in text, (who, page)
        assert own_need[who] in pages[f"/portal/cases/{reference}/needs"]
    for who, other in (("harmed", "offender_need"), ("offender", "harmed_need")):
        letter = mediator_pages[f"{who} letter"]
        assert all(secret not in letter for secret in (*never_to_participants, canary[other]))
    assert all(canary["summary"] not in page for page in mediator_pages.values())

    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO participant_needs" in logged and "INSERT INTO case_closures" in logged
    at_rest = leaks_at_rest(runtime, database_url, canary,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["participant_needs"] == 2 and at_rest.rows_by_table["case_closures"] == 1
    if at_rest.dump is not None:
        assert b"COPY public.case_closures" in at_rest.dump
    assert at_rest.leaks == []
