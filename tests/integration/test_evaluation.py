"""The closing questionnaire through the services, on SQLite and PostgreSQL: once per person after closure, an
empty form refused, the comment sealed, and its comments readable by the coordinator only for 5+ answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.demo_statistics import insert_closed_cases
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Evaluation
from mediation.services import evaluation, keys
from mediation.statistics.period import year_period
from tests.integration.test_messages import link_accounts
from workflows.vocabulary import CaseState

COMMENT = "Canary-evaluation-comment-Z7: the second meeting mattered most"


@pytest.fixture
def closed(runtime, actors, make_case) -> str:
    return link_accounts(runtime, actors, make_case(CaseState.CLOSED)).reference


def _answer(runtime, who, reference: str, **answers: object) -> None:
    with runtime.transaction() as s:
        evaluation.answer(s, runtime.vault, who, reference, **answers)


def _this_year():
    return year_period(datetime.now(UTC).year)


def test_each_person_answers_once_and_the_comment_is_sealed(runtime, actors, closed) -> None:
    with runtime.transaction() as s:
        assert evaluation.evaluation_status(s, actors.harmed_user, closed).may_answer
    _answer(runtime, actors.harmed_user, closed, felt_safe="yes", questions_answered="had_none", comment=COMMENT)
    with runtime.transaction() as s:
        status = evaluation.evaluation_status(s, actors.harmed_user, closed)
        row = s.scalars(select(Evaluation)).one()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.EVALUATION_ANSWERED.value)).one()
    assert status.answered and not status.may_answer
    assert (row.felt_safe, row.questions_answered, row.would_recommend) == ("yes", "had_none", None)
    assert row.sealed_comment is not None and COMMENT.encode() not in row.sealed_comment
    assert entry.actor_id == actors.harmed_user.id and json.loads(entry.details) == {}
    with pytest.raises(Conflict, match="already answered"):
        _answer(runtime, actors.harmed_user, closed, would_recommend="no")
    _answer(runtime, actors.offender_user, closed, would_recommend="not_sure")  # the other person answers too
    with runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 2


@pytest.mark.parametrize(("answers", "words"), [
    ({}, "Answer at least one question"), ({"comment": "   "}, "Answer at least one question"),
    ({"felt_safe": "maybe"}, "Unknown answer"), ({"would_recommend": "yes; DROP"}, "Unknown answer"),
    ({"questions_answered": 3}, "Unknown answer"), ({"comment": "x" * 2001}, "too long"),
    ({"comment": "a\x00b"}, "NUL"), ({"comment": 7}, "must be text"),
])
def test_bad_answers_are_refused_and_nothing_is_written(runtime, actors, closed, answers, words) -> None:
    with pytest.raises(InvalidInput, match=words):
        _answer(runtime, actors.harmed_user, closed, **answers)
    with runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 0


def test_the_questionnaire_opens_only_when_the_case_is_closed_and_only_for_its_people(runtime, actors,
                                                                                      make_case, closed) -> None:
    open_case = link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN)).reference
    with pytest.raises(WrongState, match="opens when the case is closed"):
        _answer(runtime, actors.harmed_user, open_case, felt_safe="yes")
    with pytest.raises(NotFound):
        _answer(runtime, actors.stranger, closed, felt_safe="yes")
    for staff in (actors.mediator, actors.admin):
        with pytest.raises((Forbidden, NotFound)):
            _answer(runtime, staff, closed, felt_safe="yes")


def test_comments_are_read_by_the_coordinator_after_the_year_from_5_cases_and_audited(runtime, actors,
                                                                                       closed) -> None:
    _answer(runtime, actors.harmed_user, closed, comment=COMMENT)
    _answer(runtime, actors.offender_user, closed, comment="Another comment, same case.")
    period = _this_year()
    next_year = period.ends_before
    with runtime.transaction() as s:
        running = evaluation.period_comments(s, runtime.vault, actors.admin, period)
        few = evaluation.period_comments(s, runtime.vault, actors.admin, period, now=next_year)
        with pytest.raises(Forbidden):
            evaluation.period_comments(s, runtime.vault, actors.mediator, period, now=next_year)
    assert not running.year_ended and not running.readable and running.comments == []
    assert few.year_ended and not few.readable and few.comments == []  # two answers, but from one case
    now = datetime.now(UTC)
    with runtime.transaction() as s:
        insert_closed_cases(s, 30, mediator=actors.mediator, vault=runtime.vault, seed=3,
                            closed_from=datetime(now.year, now.month, 1, tzinfo=UTC),
                            closed_until=now - timedelta(minutes=1))
    with runtime.transaction() as s:
        many = evaluation.period_comments(s, runtime.vault, actors.admin, period, now=next_year)
    assert many.readable and COMMENT in many.comments
    with runtime.transaction() as s:
        [read] = s.scalars(select(AuditEntry).where(
            AuditEntry.tag == AuditTag.EVALUATION_COMMENTS_DECRYPTED.value)).all()
    assert read.actor_id == actors.admin.id and json.loads(read.details)["count"] == len(many.comments)


def test_comments_of_purged_cases_are_left_out_not_an_error(runtime, actors) -> None:
    with runtime.transaction() as s:
        insert_closed_cases(s, 30, mediator=actors.mediator, vault=runtime.vault, seed=5,
                            closed_from=datetime(2020, 1, 1, tzinfo=UTC), closed_until=datetime(2020, 12, 1,
                                                                                                tzinfo=UTC))
    period = year_period(2020)
    with runtime.transaction() as s:
        before = evaluation.period_comments(s, runtime.vault, actors.admin, period)
    with runtime.transaction() as s:
        keys.purge_expired(s, runtime.vault, retention_days=365)
    with runtime.transaction() as s:
        after = evaluation.period_comments(s, runtime.vault, actors.admin, period)
    assert before.readable and before.comments and after.readable and after.comments == []
    with runtime.transaction() as s:  # the answers themselves stay, for the statistics
        assert evaluation.cases_answering(s, period, actors.admin.organisation_id) >= 5
