"""Read-only views of cases: metadata only, for the case lists and the operator's console.

The case lists are ordered by the workflow's steps (the order of the definition's states), then by the last
activity, oldest first: what waited longest comes first within a step. A page is read per step through the index
on (step, last activity), at most one page from each, so it costs the same however many cases there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, union_all
from sqlalchemy import case as when
from sqlalchemy.orm import Session, aliased

from mediation.db import utcnow
from mediation.errors import NotFound
from mediation.models import AuditEntry, Case, Organisation, Participant, Role, User
from mediation.policy import mediation_cases, require_role, visible_cases
from mediation.services.listing import (
    DATE_FIELDS,
    Cursor,
    KeyPart,
    ListQuery,
    Page,
    page_of,
    position,
    starts_with,
)
from mediation.services.lookup import REFERENCE_PATTERN, normalise_reference
from workflows.case_workflow import CASE_WORKFLOW
from workflows.vocabulary import OPEN_STATES

# The order of the steps is the order of the workflow definition's states; nothing else keeps a list of them.
STEP_ORDER: dict[str, int] = {str(state): rank for rank, state in enumerate(CASE_WORKFLOW.states)}
CASE_KEY: tuple[KeyPart, ...] = ("int", "time", "int")  # step, last activity, case id
CASE_FILTERS = ("state", "mediator", "stale", *DATE_FIELDS[:4])
# A case is stale when it is still open and nothing happened to it for the configured number of days.
STALE_STATES = OPEN_STATES


def stale_condition(cutoff: datetime) -> ColumnElement[bool]:
    """The one definition of a stale case: open, and last changed before ``cutoff``."""
    return and_(Case.state.in_([str(s) for s in STALE_STATES]), Case.updated_at < cutoff)


def stale_cutoff(stale_days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=stale_days)


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    state: str
    modality: str | None
    outcome: str | None
    mediator: str | None
    participants: int
    updated_at: datetime
    key: tuple[int, datetime, int] = field(repr=False, compare=False, default=(0, datetime.min, 0))
    co_mediator: str | None = None
    organisation: str | None = None  # the organisation's handle, for the operator (who sees every organisation)


def _conditions(actor: User, query: ListQuery, cutoff: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [visible_cases(actor)]
    if query.search:
        conditions.append(starts_with(Case.reference, query.search, whole=REFERENCE_PATTERN))
    if query.mediator == "none":
        conditions.append(Case.assigned_mediator_id.is_(None))
    elif query.mediator is not None:
        conditions.append(Case.assigned_mediator_id == query.mediator)
    for prefix, column in (("created", Case.created_at), ("updated", Case.updated_at)):
        start, end = query.between(prefix)
        if start is not None:
            conditions.append(column >= start)
        if end is not None:
            conditions.append(column < end)
    if query.stale:
        conditions.append(stale_condition(cutoff))
    return conditions


def _steps(query: ListQuery) -> list[str]:
    steps = [query.state] if query.state else list(STEP_ORDER)
    return [s for s in steps if s in STALE_STATES] if query.stale else steps


def _step_branch(step: str, conditions: list[ColumnElement[bool]], query: ListQuery) -> Select[Any] | None:
    """Up to a page of the cases in one step, from the cursor on, read through the (step, activity) index."""
    rank, cursor = STEP_ORDER[step], query.cursor
    within: Cursor | None = None
    unbounded = True
    if cursor is not None:
        if (cursor.direction == "after" and rank < cursor.values[0]) or (
                cursor.direction == "before" and rank > cursor.values[0]):
            return None
        within, unbounded = Cursor(cursor.direction, cursor.values[1:]), rank != cursor.values[0]
    where, order = position((Case.updated_at, Case.id), within or cursor, unbounded=unbounded)
    return (select(Case.id.label("id"), literal(rank).label("step"), Case.updated_at.label("moment"))
            .where(Case.state == step, *conditions, *where).order_by(*order).limit(query.size + 1))


def case_list(session: Session, actor: User, query: ListQuery, *, stale_days: int,
              now: datetime | None = None) -> Page[CaseSummary]:
    """A page of the cases ``actor`` may know of (the coordinator: all; a mediator: theirs), metadata only.

    One statement whatever the page: a UNION ALL of at most one page per step, joined to the case's columns.
    """
    require_role(actor, Role.ADMIN, Role.MEDIATOR)
    conditions = _conditions(actor, query, stale_cutoff(stale_days, now))
    branches = [b for step in _steps(query) if (b := _step_branch(step, conditions, query)) is not None]
    if not branches:
        return Page([], query)
    pages = (branches[0] if len(branches) == 1 else union_all(*(select(b.subquery()) for b in branches))
             ).subquery("pages")
    mediator, co_mediator = aliased(User), aliased(User)
    people = select(func.count(Participant.id)).where(Participant.case_id == Case.id).scalar_subquery()
    _, order = position((pages.c.step, pages.c.moment, pages.c.id), query.cursor)
    rows = session.execute(
        select(Case.reference, Case.state, Case.modality, Case.outcome, mediator.username, people, Case.updated_at,
               pages.c.step, pages.c.moment, pages.c.id, co_mediator.username.label("co"))
        .join(Case, Case.id == pages.c.id).outerjoin(mediator, mediator.id == Case.assigned_mediator_id)
        .outerjoin(co_mediator, co_mediator.id == Case.co_mediator_id)
        .order_by(*order).limit(query.size + 1)).all()
    summaries = [CaseSummary(*row[:7], key=(row.step, row.moment, row.id), co_mediator=row.co) for row in rows]
    return page_of(summaries, query, lambda summary: summary.key, CASE_KEY)


@dataclass(frozen=True)
class StepCounts:
    """How many of an actor's cases are in each step (in workflow order), and how many of them are stale."""

    by_step: list[tuple[str, int]]
    stale: int

    def count(self, step: str) -> int:
        return dict(self.by_step).get(step, 0)


def step_counts(session: Session, actor: User, *, stale_days: int, now: datetime | None = None) -> StepCounts:
    """One grouped count over the index on (mediator, step, activity)."""
    require_role(actor, Role.ADMIN, Role.MEDIATOR)
    stale = func.sum(when((stale_condition(stale_cutoff(stale_days, now)), 1), else_=0))
    rows = session.execute(select(Case.state, func.count(), stale).where(visible_cases(actor))
                           .group_by(Case.state)).all()
    counted = {state: (number, int(quiet or 0)) for state, number, quiet in rows}
    return StepCounts([(step, counted[step][0]) for step in STEP_ORDER if step in counted],
                      sum(quiet for _, quiet in counted.values()))


def all_cases(session: Session, organisation_id: int | None = None) -> list[CaseSummary]:
    """Every case (or every case of one organisation), metadata only, with its organisation's handle: for the
    operator at the server's command line, who serves every organisation."""
    mediator = aliased(User)
    people = select(func.count(Participant.id)).where(Participant.case_id == Case.id).scalar_subquery()
    wanted = [mediation_cases()] + ([Case.organisation_id == organisation_id] if organisation_id is not None else [])
    rows = session.execute(
        select(Case.reference, Case.state, Case.modality, Case.outcome, mediator.username, people, Case.updated_at,
               Organisation.slug)
        .join(Organisation, Organisation.id == Case.organisation_id).where(*wanted)
        .outerjoin(mediator, mediator.id == Case.assigned_mediator_id).order_by(Case.reference)).all()
    return [CaseSummary(*row[:7], organisation=row.slug) for row in rows]


def case_for_operator(session: Session, reference: str) -> Case:
    """Any case by reference, for the operator at the server's command line; callers print metadata only."""
    wanted = normalise_reference(reference)
    case = session.scalars(select(Case).where(Case.reference == wanted, mediation_cases())).one_or_none()
    if case is None:
        raise NotFound("No case %(reference)s was found.", reference=wanted)
    return case


def timeline(session: Session, case: Case) -> list[AuditEntry]:
    """The case's audit entries (its workflow chain and its content chain) in the order they were written; they
    hold codes and ids, no personal data."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id)))
