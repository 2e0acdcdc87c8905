"""The coordinator's programme statistics: a period form, accessible SVG charts each followed by its table, the
CSV of the same suppressed figures, and the questionnaire's comments (audited, only for a period of 5+ answers).

Registered on the coordinator's blueprint (``web.admin.bp``), so its gate covers every route here.
"""

from __future__ import annotations

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.services import evaluation
from mediation.statistics.charts import bar_chart
from mediation.statistics.csv_export import to_csv
from mediation.statistics.period import Period, parse_period, year_period
from mediation.statistics.report import QUARTILES_FROM, Report, programme_report
from mediation.statistics.suppression import THRESHOLD
from web.admin import bp
from web.calls import call_with_vault, read_as_user
from web.labels import label
from web.words import say

TITLES: dict[str, LazyString] = {
    "requests": _l("Requests received, by month"), "screening": _l("Eligibility decisions"),
    "outcomes": _l("Cases closed, by outcome"), "modalities": _l("Cases closed, by modality"),
    "needs": _l("Needs and questions of closed cases, by status"),
    "agreement_items": _l("Agreement items of closed cases, by status"), "evaluation": _l("Questionnaire answers"),
}
WORDS: dict[str, LazyString] = {
    "eligible": _l("eligible"), "none": _l("none recorded"), "open": _l("still open"), "answered": _l("answered"),
    "partly_answered": _l("partly answered"), "not_answered": _l("not answered"),
    "partly_completed": _l("partly completed"), "not_completed": _l("not completed"),
    "felt_safe": _l("Did you feel safe?"), "questions_answered": _l("Were your questions answered?"),
    "would_recommend": _l("Would you recommend it?"), "yes": _l("yes"), "partly": _l("partly"), "no": _l("no"),
    "had_none": _l("I had no questions"), "not_sure": _l("not sure"),
}


def word(code: str) -> str:
    return str(WORDS[code]) if code in WORDS else label(code)


def _period() -> Period:
    """The year asked for (as its first and last month); with neither month given, this year so far."""
    first, last = request.args.get("from"), request.args.get("to")
    if first is None and last is None:
        return year_period(utcnow().year)
    return parse_period(first, last)


def _charts(report: Report) -> dict[str, list[str]]:
    """One SVG per row of each table, labelled in the page's language."""
    hidden = _("fewer than 5*")
    charts: dict[str, list[str]] = {}
    for table in report.tables:
        charts[table.key] = []
        for index, (row, line) in enumerate(table.rows):
            title = f"{TITLES[table.key]}: {word(row)}" if row else str(TITLES[table.key])
            shown = [(cell.label if table.key == "requests" else word(cell.label), cell.count) for cell in line.cells]
            description = "; ".join(f"{name}: {hidden if count is None else count}" for name, count in shown)
            charts[table.key].append(bar_chart(f"chart-{table.key}-{index}", title, description, shown,
                                               hidden_text=hidden))
    return charts


@bp.route("/statistics")
def statistics() -> ResponseReturnValue:
    first, last = request.args.get("from", ""), request.args.get("to", "")
    try:
        period = _period()
    except InvalidInput as refusal:
        return render_template("statistics/page.html", error=say(refusal), first=first, last=last, report=None,
                               charts={}, titles=TITLES, word=word, threshold=THRESHOLD,
                               quartiles_from=QUARTILES_FROM), 400
    report = read_as_user(programme_report, period)
    return render_template("statistics/page.html", error=None, first=period.label_from, last=period.label_to,
                           report=report, charts=_charts(report), titles=TITLES, word=word, threshold=THRESHOLD,
                           quartiles_from=QUARTILES_FROM)


@bp.route("/statistics.csv")
def statistics_csv() -> ResponseReturnValue:
    period = _period()
    report = read_as_user(programme_report, period)
    name = f"statistics-{period.label_from}-{period.label_to}.csv"
    return Response(to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})


@bp.route("/statistics/comments")
def statistics_comments() -> ResponseReturnValue:
    period = _period()
    page = request.args.get("page", "0")
    if not (page.isascii() and page.isdigit()) or len(page) > 4:
        raise InvalidInput("There is no such page.")
    comments = call_with_vault(evaluation.period_comments, period, page=int(page))
    return render_template("statistics/comments.html", period=period, comments=comments, page=int(page),
                           minimum=evaluation.MIN_CASES_FOR_COMMENTS)
