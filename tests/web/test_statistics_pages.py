"""The coordinator's statistics pages and the portal's closing questionnaire through the real routes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from mediation.runtime import Runtime
from tests.web.conftest import World, flashes, page_text, readable
from tests.web.test_routes import covers

YEAR = datetime.now(UTC).year  # the test world's cases close now
PERIOD = f"from={YEAR}-01&to={YEAR}-12"


@covers("admin.statistics GET")
def test_the_coordinator_sees_charts_each_with_its_table_and_small_counts_suppressed(browser_for) -> None:
    admin = browser_for("admin")
    response = admin.get(f"/admin/statistics?{PERIOD}")
    assert response.status_code == 200
    page = page_text(response)
    assert page.count('role="img"') >= 7 and page.count("<table") >= 8  # one table after each chart, and the steps
    assert "<title id=\"chart-outcomes-0-title\">" in page and "<desc" in page
    assert "fewer than 5*" in readable(response)  # the test world's few closed cases
    assert admin.get("/admin/statistics").status_code == 200  # this year so far


def test_a_period_with_no_end_or_backwards_or_not_one_calendar_year_is_refused_on_the_form(browser_for) -> None:
    admin = browser_for("admin")
    for query, words in (("from=2026-01", "Give the last month of the period"),
                         ("from=2026-05&to=2026-01", "The period ends (2026-01) before it starts (2026-05)."),
                         ("from=2026-01&to=2026-06", "one whole calendar year"),
                         ("from=2025-01&to=2026-12", "one whole calendar year"),
                         ("from=9999-01&to=9999-12", "is not a month"),
                         ("from=2026-13&to=2026-12", "is not a month"), ("from=%00&to=2026-01", "NUL")):
        response = admin.get(f"/admin/statistics?{query}")
        assert response.status_code == 400, query
        assert words in readable(response), query
        assert 'role="img"' not in page_text(response)
    assert admin.get("/admin/statistics.csv?from=2026-01").status_code == 400


@covers("admin.statistics_csv GET")
def test_the_csv_holds_the_same_suppressed_figures_and_no_formula(browser_for) -> None:
    response = browser_for("admin").get(f"/admin/statistics.csv?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(page_text(response))))
    assert rows[0] == ["table", "row", "label", "value"]
    assert any(row[3] == "fewer than 5*" for row in rows[1:])
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@covers("admin.statistics_comments GET")
def test_comments_stay_closed_while_the_year_runs_and_say_no_count(browser_for, world: World) -> None:
    harmed = browser_for("harmed")
    harmed.post(f"/portal/cases/{world.own_closed}/evaluation", {"comment": "Thank you all."})
    page = readable(browser_for("admin").get(f"/admin/statistics/comments?{PERIOD}"))
    assert "Comments are shown once the year has ended" in page and "Thank you all." not in page


@covers("portal.evaluation_page GET", "portal.answer_evaluation POST")
def test_a_person_answers_once_after_closure_and_never_sees_the_answers_again(browser_for, world: World,
                                                                             web_runtime: Runtime) -> None:
    offender = browser_for("offender")
    assert "opens when your case is closed" in readable(offender.get(f"/portal/cases/{world.own}/evaluation"))
    refused = offender.post(f"/portal/cases/{world.own}/evaluation", {"felt_safe": "yes"})
    assert refused.status_code == 400 and "opens when the case is closed" in readable(refused)

    assert "How did it go?" in readable(offender.get("/portal/"))
    empty = offender.post(f"/portal/cases/{world.own_closed}/evaluation", {"comment": "   "})
    assert empty.status_code == 400 and "Answer at least one question" in readable(empty)
    bad = offender.post(f"/portal/cases/{world.own_closed}/evaluation", {"felt_safe": "maybe",
                                                                         "comment": "kept"})
    assert bad.status_code == 400 and "Unknown answer" in readable(bad) and ">kept</textarea>" in page_text(bad)
    done = offender.post(f"/portal/cases/{world.own_closed}/evaluation",
                         {"felt_safe": "partly", "questions_answered": "had_none", "comment": "A long way."})
    assert done.status_code == 303
    assert flashes(page_text(offender.follow(done))) == [
        "Thank you. Your answers are counted only together with everyone else's."]
    again = offender.get(f"/portal/cases/{world.own_closed}/evaluation")
    assert "You have answered this questionnaire" in readable(again)
    assert "A long way." not in readable(again) and "checked" not in page_text(again)
    twice = offender.post(f"/portal/cases/{world.own_closed}/evaluation", {"felt_safe": "yes"})
    assert twice.status_code == 400 and "already answered" in readable(twice)
    assert offender.get(f"/portal/cases/{world.other}/evaluation").status_code == 404
