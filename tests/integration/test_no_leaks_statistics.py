"""The leak test for the closing questionnaire and the statistics (DESIGN.md section 4), through the portal form.

The harmed party answers over HTTP with a unique canary as the comment, and an answer nobody else in the run gives.
The canary must never appear in clear in the database, the files the run wrote or the logs, nor on the
statistics page, in its CSV or the ``mediation stats`` output; the other person of the case never sees the
answers; the coordinator's comments page stays closed below 5 answers.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

from tests.integration.test_cli import Cli
from tests.integration.test_messages import link_accounts
from tests.integration.test_no_leaks import (
    application_logs_at_debug,
    leaks_at_rest,
    scan,
)
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app
from workflows.vocabulary import CaseState


def test_no_questionnaire_comment_leaks(runtime, actors, make_case, database_url, environment, tmp_path,
                                        tmp_path_factory, caplog):
    canaries = {"evaluation_comment": f"canary-evaluation-comment-{uuid.uuid4().hex}"}
    started = time.time() - 2
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"
    reference = link_accounts(runtime, actors, make_case(CaseState.CLOSED)).reference
    app = create_app(settings, runtime)
    app.config.update(TESTING=True)
    harmed = client_signed_in_as(app, actors.harmed_user.id)
    offender = client_signed_in_as(app, actors.offender_user.id)
    admin = client_signed_in_as(app, actors.admin.id)
    now = datetime.now(UTC)
    period = f"from={now:%Y}-01&to={now:%Y-%m}"

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        token = csrf_from(harmed.get(f"/portal/cases/{reference}/evaluation").get_data(as_text=True))
        answered = harmed.post(f"/portal/cases/{reference}/evaluation",
                               data={"csrf_token": token, "felt_safe": "partly", "would_recommend": "not_sure",
                                     "comment": canaries["evaluation_comment"]})
        assert answered.status_code == 303, answered.get_data(as_text=True)[:1000]
        pages = {
            "own evaluation page": harmed.get(f"/portal/cases/{reference}/evaluation"),
            "other person's evaluation page": offender.get(f"/portal/cases/{reference}/evaluation"),
            "other person's portal": offender.get("/portal/"),
            "statistics page": admin.get(f"/admin/statistics?{period}"),
            "statistics csv": admin.get(f"/admin/statistics.csv?{period}"),
            "comments below 5 answers": admin.get(f"/admin/statistics/comments?{period}"),
        }
    cli_output = Cli(environment)("stats", "--year", str(now.year)).output
    cli_csv = Cli(environment)("stats", "--year", str(now.year), "--csv").output

    assert all(response.status_code == 200 for response in pages.values())
    assert "Questionnaire answers" in pages["statistics page"].get_data(as_text=True)
    assert "You have answered" in pages["own evaluation page"].get_data(as_text=True)
    other = pages["other person's evaluation page"].get_data(as_text=True)
    assert "Send my answers" in other and "checked" not in other  # a blank form of their own, nothing of hers
    leaks = []
    for where, response in pages.items():
        leaks += scan(where, response.get_data(), canaries)
    leaks += scan("mediation stats", cli_output.encode(), canaries) + scan("mediation stats --csv",
                                                                            cli_csv.encode(), canaries)
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO evaluations" in logged

    at_rest = leaks_at_rest(runtime, database_url, canaries,
                            folders=[tmp_path, settings.instance_dir, settings.blob_dir],
                            tmp_path_factory=tmp_path_factory, started=started, log_file=log_file, logged=logged)
    if at_rest.rows_by_table:  # PostgreSQL: the rows are there, sealed
        assert at_rest.rows_by_table["evaluations"] == 1
    assert leaks + at_rest.leaks == []
