"""What one closed case adds to the programme statistics, read from its own rows.

A case's contribution is counted once, when it enters closed (``mediation.statistics.tallies``), and stored on
the case so that reopening it subtracts exactly that: its outcome and modality, its needs and agreement items by
status, the questionnaire answers given so far, and the whole days it spent in each step. The days come from the
audit entries of its transitions (each records the state left and the one entered, with the moment): the time
since the previous transition, or since the case was opened, summed over the visits of a step, then rounded to
the nearest whole day. The time a case spent closed before a reopening is no step.

``contributions`` reads the cases a clause selects (one case on the hot path, a block of ids for a recount), with
one query per table, so a recount is linear in the number of cases.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Column, ColumnElement, Connection, select

from mediation.db import table
from mediation.models.evaluation import QUESTIONS
from workflows.vocabulary import CaseState

# The measures of the tallies; the evaluation's are "evaluation:<question>".
REQUESTS, SCREENING, OUTCOMES, MODALITIES = "requests", "screening", "outcomes", "modalities"
NEEDS, AGREEMENT_ITEMS, EVALUATION = "needs", "agreement_items", "evaluation:"
RECEIVED, NONE = "received", "none"  # a request's label; the label of a case closed without outcome or modality

Which = Callable[[Column[int]], ColumnElement[bool]]  # the cases to read, as a clause on a case id column


def month_of(moment: datetime) -> str:
    """The UTC month of a moment (SQLite gives back naive UTC datetimes, PostgreSQL aware ones)."""
    return f"{_utc(moment):%Y-%m}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def answer_counts(answers: dict[str, str | None]) -> Counter[tuple[str, str]]:
    """One person's questionnaire answers as tally keys (an unanswered question counts nowhere)."""
    return Counter({(EVALUATION + question, answer): 1 for question, answer in answers.items() if answer})


@dataclass
class Contribution:
    """A closed case's share of the tallies of the month it closed: codes and counts only, never content."""

    month: str
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (measure, label) -> count
    steps: dict[str, int] = field(default_factory=dict)  # step -> whole days spent in it
    # The case's organisation, whose tallies it counts in: read from the case row, never stored in the JSON.
    organisation_id: int = field(default=1, compare=False)

    def to_json(self) -> str:
        counts = sorted([measure, label, n] for (measure, label), n in self.counts.items())
        steps = sorted([step, days] for step, days in self.steps.items())
        return json.dumps({"month": self.month, "counts": counts, "steps": steps}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, organisation_id: int = 1) -> Contribution:
        data = json.loads(text)
        return cls(str(data["month"]), Counter({(str(m), str(label)): int(n) for m, label, n in data["counts"]}),
                   {str(step): int(days) for step, days in data["steps"]}, organisation_id)


def contributions(connection: Connection, which: Which) -> dict[int, Contribution]:
    """The contribution of every closed case among those ``which`` selects, read from its rows."""
    cases = table("cases")
    found: dict[int, Contribution] = {}
    created: dict[int, datetime] = {}
    for case_id, created_at, closed_at, outcome, modality, organisation_id in connection.execute(
            select(cases.c.id, cases.c.created_at, cases.c.closed_at, cases.c.outcome, cases.c.modality,
                   cases.c.organisation_id)
            .where(which(cases.c.id), cases.c.state == CaseState.CLOSED.value, cases.c.closed_at.is_not(None))):
        found[case_id] = Contribution(month_of(closed_at), Counter({(OUTCOMES, outcome or NONE): 1,
                                                                     (MODALITIES, modality or NONE): 1}),
                                      organisation_id=organisation_id)
        created[case_id] = created_at
    if not found:
        return found
    for measure, name in ((NEEDS, "participant_needs"), (AGREEMENT_ITEMS, "agreement_items")):
        rows = table(name)
        for case_id, status in connection.execute(select(rows.c.case_id, rows.c.status).where(which(rows.c.case_id))):
            if case_id in found:
                found[case_id].counts[(measure, status)] += 1
    evaluations = table("evaluations")
    for row in connection.execute(select(evaluations.c.case_id, *(evaluations.c[q] for q in QUESTIONS))
                                  .where(which(evaluations.c.case_id))):
        if row[0] in found:
            found[row[0]].counts.update(answer_counts(dict(zip(QUESTIONS, row[1:], strict=True))))
    _add_step_days(connection, which, found, created)
    return found


def _add_step_days(connection: Connection, which: Which, found: dict[int, Contribution],
                   created: dict[int, datetime]) -> None:
    entries = table("audit_entries")
    seconds: dict[int, dict[str, float]] = {}
    previous: dict[int, datetime] = {}
    for case_id, step, occurred_at in connection.execute(
            select(entries.c.case_id, entries.c.from_state, entries.c.occurred_at)
            .where(which(entries.c.case_id), entries.c.chain.like("case:%"), entries.c.from_state.is_not(None),
                   entries.c.to_state.is_not(None)).order_by(entries.c.case_id, entries.c.seq)):
        if case_id not in found:
            continue
        moment = _utc(occurred_at)
        start = previous.get(case_id, _utc(created[case_id]))
        previous[case_id] = moment
        if step != CaseState.CLOSED.value:
            spent = seconds.setdefault(case_id, {})
            spent[step] = spent.get(step, 0.0) + (moment - start).total_seconds()
    for case_id, spent in seconds.items():
        found[case_id].steps = {step: whole_days(total) for step, total in spent.items()}


def whole_days(seconds: float) -> int:
    """Seconds as whole days, to the nearest (half a day rounds up)."""
    return math.floor(seconds / 86400 + 0.5)
