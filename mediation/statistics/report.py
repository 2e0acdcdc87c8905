"""The programme statistics of a period, suppressed: what the coordinator's page, the CSV and the CLI show.

``programme_report`` is the one entry point; every figure in it has been through ``suppression``, so no caller
can publish a raw small count by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediation.errors import Forbidden
from mediation.models import Role, User
from mediation.policy import require_active
from mediation.statistics import queries
from mediation.statistics.period import Period
from mediation.statistics.suppression import Line, suppress, suppress_count
from workflows.agreements import AgreementItemStatus, NeedStatus
from workflows.vocabulary import Modality, Outcome

# English names of the tables, rows and codes, for the CSV and the command line (pages translate their own).
TITLES = {
    "requests": "Requests received, by month",
    "screening": "Eligibility decisions",
    "outcomes": "Cases closed, by outcome",
    "modalities": "Cases closed, by modality",
    "needs": "Needs and questions, by status",
    "agreement_items": "Agreement items, by status",
    "evaluation": "Questionnaire answers",
    "steps": "Days spent in each step (cases closed in the period, in whole days)",
}
WORDS = {
    "eligible": "eligible", "ineligible": "not eligible", "none": "none", "declined": "declined",
    "unsuitable": "not suitable", "completed": "completed", "withdrawn": "withdrawn", "face_to_face": "face to face",
    "written": "in writing", "video": "by video message", "relay": "relayed by the mediator", "open": "open",
    "answered": "answered", "partly_answered": "partly answered", "not_answered": "not answered",
    "partly_completed": "partly completed", "not_completed": "not completed", "felt_safe": "Did you feel safe?",
    "questions_answered": "Were your questions answered?", "would_recommend": "Would you recommend it?",
    "yes": "yes", "partly": "partly", "no": "no", "had_none": "I had none", "not_sure": "not sure",
}


def english(code: str) -> str:
    return WORDS.get(code, code.replace("_", " "))


@dataclass(frozen=True)
class Table:
    """One table of the page: a line per row (one unnamed row for a simple list), each suppressed."""

    key: str
    rows: tuple[tuple[str, Line], ...]

    @property
    def title(self) -> str:
        return TITLES[self.key]


@dataclass(frozen=True)
class StepTime:
    """Whole days a step took for the cases that went through it: the count from 5 cases, the quartiles from
    QUARTILES_FROM cases (with 5, each quartile is one real case's time)."""

    step: str
    cases: int | None
    q1: int | None
    median: int | None
    q3: int | None


@dataclass(frozen=True)
class Report:
    period: Period
    tables: tuple[Table, ...]
    steps: tuple[StepTime, ...]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


QUARTILES_FROM = 10


def _step(step: str, figures: tuple[int, float, float, float]) -> StepTime:
    n, q1, median, q3 = figures
    if suppress_count(n) is None:
        return StepTime(step, None, None, None, None)
    if n < QUARTILES_FROM:
        return StepTime(step, n, None, None, None)
    return StepTime(step, n, round(q1), round(median), round(q3))


def build_report(session: Session, period: Period, organisation_id: int | None = None) -> Report:
    """Every table of the period for one organisation (None: every organisation's together, for the operator),
    read from the tallies and suppressed (no authorization: see ``programme_report``)."""
    of = organisation_id
    single = {
        "requests": queries.requests_by_month(session, period, of),
        "screening": queries.screening(session, period, of),
        "outcomes": queries.by_case_column(session, period, of, "outcomes",
                                           [o.value for o in Outcome if o is not Outcome.INELIGIBLE]
                                           + [Outcome.INELIGIBLE.value]),
        "modalities": queries.by_case_column(session, period, of, "modalities", [m.value for m in Modality]),
        "needs": queries.by_status(session, period, of, "needs", [s.value for s in NeedStatus]),
        "agreement_items": queries.by_status(session, period, of, "agreement_items",
                                             [s.value for s in AgreementItemStatus]),
    }
    tables = [Table(key, (("", suppress(counts)),)) for key, counts in single.items()]
    answers = queries.evaluation_answers(session, period, of)
    tables.append(Table("evaluation", tuple((question, suppress(counts)) for question, counts in answers.items())))
    steps = tuple(_step(step, figures) for step, figures in queries.step_times(session, period, of).items())
    return Report(period, tuple(tables), steps)


def programme_report(session: Session, actor: User, period: Period) -> Report:
    """The coordinator's statistics of a period, their own organisation's cases only (nothing in it names a case
    or a person)."""
    require_active(actor)
    if actor.role != Role.ADMIN:
        raise Forbidden("Only the coordinator sees the programme statistics.")
    return build_report(session, period, actor.organisation_id)
