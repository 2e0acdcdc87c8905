"""The leak test for the private line, drafts and cover notes, through the path people take: the HTTP forms.

A participant writes to their mediator (a message and a request for a break, each with a canary), keeps drafts
(one sent later, one left waiting), the mediator answers privately and approves a message with a cover note, all
through the Flask test client with the application's logs at DEBUG. Each canary must come back on the pages of
the people entitled to it, and be found nowhere else: in no file of the test's folders or the temporary folder,
in no log, and on PostgreSQL in no column of any table nor in a ``pg_dump``.
"""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.test_messages import link_accounts
from tests.integration.test_no_leaks import (
    application_logs_at_debug,
    leaks_at_rest,
)
from tests.integration.test_upload_leaks import signed_in
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.vocabulary import CaseState

LABELS = ("private_note", "break_words", "mediator_reply", "draft_sent_later", "draft_left_waiting",
          "private_draft", "cover_note", "message_with_cover")


def test_no_canary_of_the_private_line_drafts_or_cover_notes_leaks(runtime, actors, make_case, database_url,
                                                                    tmp_path, tmp_path_factory, caplog) -> None:
    canaries = {label: f"canary-{label.replace('_', '-')}-{uuid.uuid4().hex}" for label in LABELS}
    started = time.time() - 2
    relay = link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    reference = relay.reference
    app: Flask = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    harmed, harmed_token = signed_in(app, actors.harmed_user.id, reference)
    offender, offender_token = signed_in(app, actors.offender_user.id, reference)
    mediator = client_signed_in_as(app, actors.mediator.id)
    portal, line = f"/portal/cases/{reference}", f"/portal/cases/{reference}/mediator"
    log_file = runtime.settings.instance_dir / "debug.log"

    def post(client: FlaskClient, path: str, token: str, **form: str) -> None:
        response = client.post(path, data={"csrf_token": token, **form})
        assert response.status_code in (200, 303), (path, response.status_code, response.get_data(as_text=True))

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        post(harmed, line, harmed_token, kind="message", text=canaries["private_note"])
        post(harmed, line, harmed_token, kind="need_a_break", text=canaries["break_words"])
        post(harmed, f"{portal}/drafts/message", harmed_token, text=canaries["draft_sent_later"])
        post(offender, f"{portal}/drafts/message", offender_token, text=canaries["draft_left_waiting"])
        post(offender, f"{portal}/drafts/private", offender_token, text=canaries["private_draft"])
        mediator_token = token_of(mediator, f"/mediator/cases/{reference}/private-line")
        post(mediator, f"/mediator/cases/{reference}/private-line/{relay.harmed_id}", mediator_token,
             text=canaries["mediator_reply"])
        harmed_page = harmed.get(f"{portal}/messages").get_data(as_text=True)
        assert canaries["draft_sent_later"] in harmed_page  # the draft came back to its author
        post(harmed, f"{portal}/messages", harmed_token, text=canaries["message_with_cover"])
        message_id = relay.sent(actors.harmed_user).popitem()[0]
        post(mediator, f"/mediator/cases/{reference}/messages/{message_id}/approve", mediator_token,
             cover_note=canaries["cover_note"])
        shown = {
            "harmed line": harmed.get(line).get_data(as_text=True),
            "mediator line": mediator.get(f"/mediator/cases/{reference}/private-line").get_data(as_text=True),
            "offender cover": offender.get(f"{portal}/messages/{message_id}").get_data(as_text=True),
            "offender messages": offender.get(f"{portal}/messages").get_data(as_text=True),
            "offender line": offender.get(line).get_data(as_text=True),
        }

    # Not vacuous: each canary came back to the people entitled to it, and to nobody else.
    assert canaries["mediator_reply"] in shown["harmed line"] and canaries["private_note"] in shown["harmed line"]
    assert canaries["private_note"] in shown["mediator line"] and canaries["break_words"] in shown["mediator line"]
    assert canaries["cover_note"] in shown["offender cover"]
    assert canaries["draft_left_waiting"] in shown["offender messages"]
    assert canaries["private_draft"] in shown["offender line"]
    for secret in ("private_note", "break_words", "mediator_reply", "draft_sent_later"):
        assert all(canaries[secret] not in page for name, page in shown.items() if name.startswith("offender"))

    settings = runtime.settings
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO private_notes" in logged and "drafts" in logged
    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["private_notes"] == 3 and at_rest.rows_by_table["drafts"] == 2
    if at_rest.dump is not None:
        assert b"COPY public.private_notes" in at_rest.dump
    assert at_rest.leaks == []


def token_of(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return csrf_from(page.get_data(as_text=True))
