"""The closing questionnaire: each person of a closed case answers once, on the portal; nobody reads one
person's answers. The coordinator may read the free comments of a period, unordered and without case or person,
only when the period holds enough answers that a comment cannot be matched to its author by elimination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Case, Evaluation, Participant, Role, User
from mediation.models.content import new_record_id
from mediation.models.evaluation import QUESTIONS
from mediation.policy import own_participation, require_active
from mediation.services.lookup import find_case
from mediation.statistics import tallies
from mediation.statistics.period import Period
from mediation.text import checked_string, shown
from workflows.vocabulary import CaseState
from workflows.words import Code, Words, codes

MAX_COMMENT = 2000
MIN_CASES_FOR_COMMENTS = 5  # comments are read only when the answers come from at least this many cases
COMMENTS_PAGE = 100


@dataclass(frozen=True)
class EvaluationStatus:
    """What the portal shows a person: whether they may answer, and whether they already did (never what)."""

    reference: str
    may_answer: bool
    answered: bool


def _context(evaluation: Evaluation) -> RecordContext:
    return RecordContext(evaluation.case_id, "evaluation", evaluation.id, None, "comment")


def _checked_answers(answers: dict[str, object]) -> dict[str, str | None]:
    checked: dict[str, str | None] = {}
    for question, allowed in QUESTIONS.items():
        value = answers.get(question)
        if value in (None, ""):
            checked[question] = None
        elif not isinstance(value, str) or value not in allowed:
            raise InvalidInput("Unknown answer %(value)s; choose one of: %(choices)s.", value=shown(value),
                               choices=codes(allowed))
        else:
            checked[question] = value
    return checked


def _my_closed_participation(session: Session, actor: User, reference: str) -> tuple[Case, Participant]:
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("Only the people of a case answer its questionnaire.")
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case)
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    return case, mine


def _already_answered(session: Session, participant_id: int) -> bool:
    return session.scalar(select(Evaluation.id).where(Evaluation.participant_id == participant_id)) is not None


def evaluation_status(session: Session, actor: User, reference: str) -> EvaluationStatus:
    case, mine = _my_closed_participation(session, actor, reference)
    answered = _already_answered(session, mine.id)
    return EvaluationStatus(case.reference, case.state == CaseState.CLOSED and not answered, answered)


def answer(session: Session, vault: Vault, actor: User, reference: str, *, felt_safe: object = None,
           questions_answered: object = None, would_recommend: object = None, comment: object = None) -> None:
    """Record one person's answers once; every answer is optional but an empty form is refused."""
    checked = _checked_answers({"felt_safe": felt_safe, "questions_answered": questions_answered,
                                "would_recommend": would_recommend})
    text = "" if comment is None else checked_string(comment, Words("comment"), max_length=MAX_COMMENT).strip()
    if not text and all(value is None for value in checked.values()):
        raise InvalidInput("Answer at least one question, or leave the questionnaire for now.")
    case, mine = _my_closed_participation(session, actor, reference)
    if case.state != CaseState.CLOSED:
        raise WrongState("The questionnaire opens when the case is closed; this one is %(state)s.",
                         state=Code(case.state))
    audit.lock_case_row(session, case.id)  # two tabs answering at once: the second waits, then is refused
    if _already_answered(session, mine.id):
        raise Conflict("You have already answered this questionnaire; thank you.")
    evaluation = Evaluation(id=new_record_id(), case_id=case.id, participant_id=mine.id, answered_at=utcnow(),
                            **checked)
    if text:
        evaluation.sealed_comment = vault.seal_text(session, _context(evaluation), text)
    session.add(evaluation)
    tallies.evaluation_answered(session.connection(), case.id, checked)
    audit.record_content(session, AuditTag.EVALUATION_ANSWERED, case_id=case.id, actor=actor,
                         now=evaluation.answered_at)


def _in_period(period: Period, organisation_id: int) -> ColumnElement[bool]:
    """The evaluations of one organisation's cases closed in the period (the population every table of the page
    counts)."""
    return and_(Evaluation.case_id == Case.id, Case.state == CaseState.CLOSED.value,
                Case.closed_at >= period.starts_at, Case.closed_at < period.ends_before,
                Case.organisation_id == organisation_id)


def cases_answering(session: Session, period: Period, organisation_id: int) -> int:
    """How many of the organisation's cases closed in the period have at least one answer (five people of one
    case are one case)."""
    return session.scalar(select(func.count(func.distinct(Evaluation.case_id)))
                          .select_from(Evaluation).join(Case, _in_period(period, organisation_id))) or 0


def _opened(session: Session, vault: Vault, row: Evaluation) -> str | None:
    """The comment, or None when there is none or its case's content was destroyed at the end of its retention."""
    if row.sealed_comment is None:
        return None
    try:
        return vault.open_text(session, _context(row), row.sealed_comment)
    except KeyUnavailable:
        return None


@dataclass(frozen=True)
class Comments:
    """A page of comments of a period: no case, no person, no date, in the order of random ids."""

    year_ended: bool
    comments: list[str]
    readable: bool
    has_more: bool


def period_comments(session: Session, vault: Vault, actor: User, period: Period, *, page: int = 0,
                    now: datetime | None = None) -> Comments:
    """The coordinator reads the comments of cases closed in ``period`` (audited), once the year has ended and
    only if its answers come from at least 5 cases: while the year runs, a comment appearing the day after a case
    closed would point at that case."""
    require_active(actor)
    if actor.role != Role.ADMIN:
        raise Forbidden("Only the coordinator reads the questionnaire's comments.")
    if not isinstance(page, int) or not 0 <= page < 10_000:
        raise InvalidInput("There is no such page.")
    ended = period.has_ended(now or utcnow())
    if not ended or cases_answering(session, period, actor.organisation_id) < MIN_CASES_FOR_COMMENTS:
        return Comments(ended, [], False, False)
    rows = session.scalars(select(Evaluation).join(Case, _in_period(period, actor.organisation_id))
                           .where(Evaluation.sealed_comment.is_not(None)).order_by(Evaluation.id)
                           .offset(page * COMMENTS_PAGE).limit(COMMENTS_PAGE + 1)).all()
    shown_rows = rows[:COMMENTS_PAGE]
    texts = [text for text in (_opened(session, vault, row) for row in shown_rows) if text is not None]
    audit.record(session, AuditTag.EVALUATION_COMMENTS_DECRYPTED, actor=actor, now=utcnow(),
                 details={"from": period.label_from, "to": period.label_to, "page": page, "count": len(texts)})
    return Comments(ended, texts, True, len(rows) > COMMENTS_PAGE)
