"""The statistics tallies, kept in the transaction of the event that changes them.

The report reads only these rows (months x labels), so its cost does not grow with the number of cases. Four
events change them, each in its own service call: a case received (``intake``), a screening decision, a case
entering or leaving closed (``workflow.fire``), and a questionnaire answered (``evaluation``). Every change goes
through ``apply``: one dialect upsert per table, in sorted key order, so two transactions never wait on each
other's rows in opposite orders (and always after the case row, the one lock order). ``recount`` rebuilds
everything from the rows (``mediation stats --recount``, migration 0021): the tallies must always equal it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mediation.audit.tags import AuditTag
from mediation.db import table
from mediation.statistics.counting import (
    RECEIVED,
    REQUESTS,
    SCREENING,
    Contribution,
    Which,
    answer_counts,
    contributions,
    month_of,
)
from workflows.vocabulary import CaseState

RECOUNT_BLOCK = 5_000  # case ids read at once by a recount


@dataclass
class Deltas:
    """Changes to make to the tallies: (organisation, month, measure, label) and (organisation, month, step,
    days) -> a signed count."""

    counts: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)
    steps: Counter[tuple[int, str, str, int]] = field(default_factory=Counter)

    def add(self, contribution: Contribution, sign: int) -> None:
        """What a closed case contributes, in its own organisation's tallies."""
        organisation = contribution.organisation_id
        for (measure, label), count in contribution.counts.items():
            self.counts[(organisation, contribution.month, measure, label)] += sign * count
        for step, days in contribution.steps.items():
            self.steps[(organisation, contribution.month, step, days)] += sign


def apply(connection: Connection, deltas: Deltas) -> None:
    """Add the deltas to the tallies (insert a new row, or add to its count), in sorted key order."""
    for name, keys, changes in (("statistics_tallies", ("organisation_id", "month", "measure", "label"),
                                 deltas.counts),
                                ("statistics_step_days", ("organisation_id", "month", "step", "days"),
                                 deltas.steps)):
        rows = [dict(zip(keys, key, strict=True), count=count) for key, count in sorted(changes.items()) if count]
        if not rows:
            continue
        tallies = table(name)
        insert = (postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert)(tallies)
        connection.execute(insert.on_conflict_do_update(
            index_elements=list(keys), set_={"count": tallies.c.count + insert.excluded.count}), rows)


def _store(connection: Connection, found: dict[int, Contribution | None]) -> None:
    cases = table("cases")
    if found:
        connection.execute(update(cases).where(cases.c.id == bindparam("b_id")).values(
            statistics_contribution=bindparam("b_json")),
            [{"b_id": case_id, "b_json": None if c is None else c.to_json()} for case_id, c in found.items()])


def _stored(connection: Connection, case_id: int) -> Contribution | None:
    cases = table("cases")
    row = connection.execute(select(cases.c.statistics_contribution, cases.c.organisation_id)
                             .where(cases.c.id == case_id)).first()
    return None if row is None or row[0] is None else Contribution.from_json(row[0], row[1])


def _organisation_of(connection: Connection, case_id: int) -> int:
    cases = table("cases")
    return int(connection.scalar(select(cases.c.organisation_id).where(cases.c.id == case_id)))


def case_received(connection: Connection, created_at: datetime, organisation_id: int) -> None:
    """A new case (a held request accepted, an offender's request forwarded) counts as a request of its month,
    in its organisation's tallies."""
    apply(connection, Deltas(Counter({(organisation_id, month_of(created_at), REQUESTS, RECEIVED): 1})))


def _screening_label(target: str) -> str:
    return "ineligible" if target == CaseState.CLOSED else "eligible"


def after_transition(connection: Connection, case_id: int, tag: AuditTag, *, source: str, target: str,
                     now: datetime) -> None:
    """After a trigger fired and its audit entry was written: count a screening decision, add what a case
    entering closed contributes (stored on it), or take away what a reopened case had added. Nothing else."""
    deltas = Deltas()
    if tag == AuditTag.SCREEN:
        deltas.counts[(_organisation_of(connection, case_id), month_of(now), SCREENING,
                       _screening_label(target))] += 1
    closed = CaseState.CLOSED.value
    if target == closed and source != closed:
        contribution = contributions(connection, lambda column: column == case_id)[case_id]
        _store(connection, {case_id: contribution})
        deltas.add(contribution, +1)
    elif source == closed and target != closed:
        previous = _stored(connection, case_id)
        _store(connection, {case_id: None})
        if previous is not None:
            deltas.add(previous, -1)
    apply(connection, deltas)


def evaluation_answered(connection: Connection, case_id: int, answers: dict[str, str | None]) -> None:
    """A person of a closed case answered: their answers count in the month the case closed (the case row is
    locked by the caller, so its stored contribution cannot change meanwhile)."""
    contribution = _stored(connection, case_id)
    if contribution is None:  # not counted as closed (rows written around the services): a recount will
        return
    extra = answer_counts(answers)
    contribution.counts.update(extra)
    _store(connection, {case_id: contribution})
    apply(connection, Deltas(Counter({(contribution.organisation_id, contribution.month, m, label): n
                                      for (m, label), n in extra.items()})))


def tally_cases(connection: Connection, which: Which) -> None:
    """Add what the cases ``which`` selects contribute (received, screened, closed), from their rows; for cases
    written in bulk around the services (the demo, the benchmark) and for ``recount``."""
    cases, entries = table("cases"), table("audit_entries")
    deltas = Deltas()
    for created_at, organisation_id in connection.execute(
            select(cases.c.created_at, cases.c.organisation_id).where(which(cases.c.id))):
        deltas.counts[(organisation_id, month_of(created_at), REQUESTS, RECEIVED)] += 1
    for occurred_at, target, organisation_id in connection.execute(
            select(entries.c.occurred_at, entries.c.to_state, cases.c.organisation_id)
            .join(cases, cases.c.id == entries.c.case_id)
            .where(which(entries.c.case_id), entries.c.tag == AuditTag.SCREEN.value)):
        deltas.counts[(organisation_id, month_of(occurred_at), SCREENING, _screening_label(target))] += 1
    found = contributions(connection, which)
    _store(connection, dict[int, Contribution | None](found))
    for contribution in found.values():
        deltas.add(contribution, +1)
    apply(connection, deltas)


def tally_new_cases(connection: Connection, case_ids: Iterable[int]) -> None:
    """``tally_cases`` for a list of new case ids, a block at a time."""
    ids = sorted(case_ids)
    for first in range(0, len(ids), RECOUNT_BLOCK):
        block = ids[first:first + RECOUNT_BLOCK]
        tally_cases(connection, lambda column, block=block: column.in_(block))  # type: ignore[misc]


def recount(connection: Connection) -> None:
    """Rebuild every tally and every case's stored contribution from the rows (maintenance: linear)."""
    connection.execute(delete(table("statistics_tallies")))
    connection.execute(delete(table("statistics_step_days")))
    cases = table("cases")
    connection.execute(update(cases).where(cases.c.statistics_contribution.is_not(None))
                       .values(statistics_contribution=None))
    low, high = connection.execute(select(func.min(cases.c.id), func.max(cases.c.id))).one()
    if low is None:
        return
    for first in range(low, high + 1, RECOUNT_BLOCK):
        tally_cases(connection, lambda column, first=first: column.between(first, first + RECOUNT_BLOCK - 1))  # type: ignore[misc]
