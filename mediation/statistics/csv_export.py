"""The statistics of a period as CSV: the same suppressed figures as the page, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from mediation.statistics.report import QUARTILES_FROM, TITLES, Report, english
from mediation.statistics.suppression import HIDDEN, NOTE

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): a leading quote defuses it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _shown(value: int | float | None) -> str:
    return HIDDEN if value is None else str(value)


def rows(report: Report) -> list[list[str]]:
    """The report as rows of (table, row, label, value); hidden cells say so, as on the page."""
    out = [["table", "row", "label", "value"],
           ["period", "", "from", report.period.label_from], ["period", "", "to", report.period.label_to]]
    for table in report.tables:
        for row, line in table.rows:
            for cell in line.cells:
                label = cell.label if table.key == "requests" else english(cell.label)
                out.append([table.title, english(row) if row else "", label, _shown(cell.count)])
            out.append([table.title, english(row) if row else "", "total", _shown(line.total)])
    for step in report.steps:
        for name, value in (("cases", step.cases), ("first quartile", step.q1), ("median", step.median),
                            ("third quartile", step.q3)):
            hidden = value is None and step.cases is not None and name != "cases"
            out.append([TITLES["steps"], english(step.step), name,
                        f"not shown under {QUARTILES_FROM} cases" if hidden else _shown(value)])
    out.append(["note", "", "", NOTE])
    return out


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(report):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def text_tables(report: Report) -> str:
    """The same figures as plain text tables, for ``mediation stats``."""
    lines = [f"Programme statistics {report.period.label_from} to {report.period.label_to}"]
    for table in report.tables:
        lines.append(f"\n{table.title}")
        for row, line in table.rows:
            if row:
                lines.append(f"  {english(row)}")
            for cell in line.cells:
                label = cell.label if table.key == "requests" else english(cell.label)
                lines.append(f"    {label:<28} {_shown(cell.count):>14}")
            lines.append(f"    {'total':<28} {_shown(line.total):>14}")
    lines.append(f"\n{TITLES['steps']}")
    lines.append(f"    {'step':<28} {'cases':>14} {'Q1':>8} {'median':>8} {'Q3':>8}")
    for step in report.steps:
        lines.append(f"    {english(step.step):<28} {_shown(step.cases):>14} {_shown(step.q1):>8} "
                     f"{_shown(step.median):>8} {_shown(step.q3):>8}")
    lines.append(f"\n{NOTE}")
    return "\n".join(lines) + "\n"
