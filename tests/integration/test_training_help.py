"""Practical help for a resocialisation client, through the services on SQLite and PostgreSQL: a fixed vocabulary
of kinds, sealed details, a follow-up day that leaves the activation worker a notice when due (and is moot once
followed up or when the programme ends), bad dates and kinds refused before anything is written, and the client
seeing the kinds and follow-up days only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import Notice, NoticeKind, PracticalHelp, Timer, TimerKind, TimerState
from mediation.services import training, training_help, training_views
from mediation.services.listing import ListQuery
from mediation.timers import runner
from tests.integration.test_training import tags
from tests.integration.training_world import enrol, grant_training_roles, move
from workflows.errors import InvalidArguments

TODAY = date.today()
PAGE = ListQuery(size=20)


@pytest.fixture
def people(runtime, actors):
    return grant_training_roles(runtime, actors)


def give(runtime, people, reference, **changes):
    form = {"kind": "debts", "details": "Instalment calendar with the bank.", "given_on": TODAY.isoformat(),
            "follow_up_on": (TODAY + timedelta(days=14)).isoformat(), **changes}
    with runtime.transaction() as s:
        return training_help.record_help(s, runtime.vault, people.worker, reference, **form).id


def follow_up_notices(runtime) -> list[tuple[int, int | None]]:
    with runtime.transaction(read_only=True) as s:
        return [tuple(row) for row in s.execute(select(Notice.user_id, Notice.case_id)
                                                .where(Notice.kind == NoticeKind.TRAINING_HELP_FOLLOW_UP.value))]


def test_a_follow_up_due_leaves_the_worker_a_notice(runtime, people):
    reference = enrol(runtime, people)
    help_id = give(runtime, people, reference)
    assert runner.fire_due(runtime, limit=10).total == 0  # not due yet
    report = runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=15))
    assert report.done == 1
    with runtime.transaction(read_only=True) as s:
        case_id = s.scalar(select(PracticalHelp.case_id).where(PracticalHelp.id == help_id))
    assert follow_up_notices(runtime) == [(people.worker.id, case_id)]


def test_a_help_followed_up_or_a_programme_ended_leaves_no_notice(runtime, people):
    reference = enrol(runtime, people)
    followed = give(runtime, people, reference)
    give(runtime, people, reference, kind="housing")
    with runtime.transaction() as s:
        training_help.mark_followed_up(s, people.worker, reference, followed)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="already followed up"):
        training_help.mark_followed_up(s, people.worker, reference, followed)
    with runtime.transaction() as s:
        training.withdraw(s, people.client, reference)
    with runtime.transaction(read_only=True) as s:
        states = list(s.scalars(select(Timer.state).where(Timer.kind == TimerKind.TRAINING_HELP_FOLLOW_UP.value)))
    assert states == [TimerState.CANCELLED.value] * 2
    runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=15))
    assert follow_up_notices(runtime) == []
    assert AuditTag.TRAINING_HELP_FOLLOWED_UP in tags(runtime, reference)


def test_help_is_sealed_and_opened_for_the_worker_with_an_audit(runtime, people):
    reference = enrol(runtime, people)
    give(runtime, people, reference, kind="parole_application", details="Drafted the parole letter.",
         follow_up_on="")
    with runtime.transaction() as s:
        assert b"parole letter" not in s.scalar(select(PracticalHelp.sealed_details))
        page = training_help.help_page(s, runtime.vault, people.worker, reference, PAGE)
        assert [(h.kind, h.details, h.follow_up_on) for h in page.items] == \
            [("parole_application", "Drafted the parole letter.", None)]
        with pytest.raises(NotFound):
            training_help.help_page(s, runtime.vault, people.other_worker, reference, PAGE)
    assert AuditTag.TRAINING_HELP_DECRYPTED in tags(runtime, reference)


def test_bad_help_is_refused_before_anything_is_written(runtime, people):
    reference = enrol(runtime, people)
    for bad, error, words in (
            ({"kind": "groceries"}, InvalidArguments, "not a kind of practical help"),
            ({"kind": None}, InvalidArguments, "not a kind of practical help"),
            ({"details": "  "}, InvalidInput, "cannot be empty"),
            ({"details": "x" * 5001}, InvalidInput, "too long"),
            ({"given_on": (TODAY + timedelta(days=1)).isoformat()}, InvalidArguments, "still to come"),
            ({"follow_up_on": (TODAY - timedelta(days=1)).isoformat()}, InvalidArguments, "cannot come before"),
            ({"follow_up_on": "next week"}, InvalidInput, "year-month-day")):
        with pytest.raises(error) as refused:
            give(runtime, people, reference, **bad)
        assert words in str(refused.value), bad
    with runtime.transaction() as s, pytest.raises(NotFound):
        training_help.mark_followed_up(s, people.worker, reference, "not-an-id")
    with runtime.transaction(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(PracticalHelp)) == 0
        assert s.scalar(select(func.count()).select_from(Timer).where(
            Timer.kind == TimerKind.TRAINING_HELP_FOLLOW_UP.value)) == 0
    move(runtime, people, reference, "end", reason="other")
    with pytest.raises(WrongState):
        give(runtime, people, reference)


def test_the_client_sees_the_kinds_and_follow_up_days_only(runtime, people):
    reference = enrol(runtime, people)
    give(runtime, people, reference, kind="work", details="Secret employer name.",
         follow_up_on=(TODAY + timedelta(days=3)).isoformat())
    with runtime.transaction() as s:
        progress = training_views.progress_of(s, people.client, reference)
    assert [(f.kind, f.follow_up_on) for f in progress.follow_ups] == [("work", TODAY + timedelta(days=3))]
    assert "Secret" not in repr(progress)
