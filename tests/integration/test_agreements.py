"""The agreement and its follow-up through the services, on SQLite and PostgreSQL: one agreement per case, dated
never in the future, recorded in a dialogue step or while closing; items with kind, who (a person of the case or
the mediator), what (sealed) and a due date never before the agreement; follow-up to completed, partly completed or
not completed with a sealed note (audited without the words); every bad input refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import Agreement, AgreementItem, AuditEntry
from mediation.services import agreements
from tests.integration.dialogue_steps import Dialogue, days_from_today, dialogue_of
from workflows.vocabulary import CaseState

WHAT = "Eli writes to Dana's brother to say what happened that night."
NOTE = "The letter was handed to the mediator on 3 December."


@pytest.fixture
def dialogue(runtime, actors, make_case) -> Dialogue:
    return dialogue_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))


def count(runtime, model) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_agreement_with_items_is_recorded_sealed_and_opened_for_the_mediator(dialogue, runtime):
    dialogue.agreement()
    item_id = dialogue.item(WHAT)
    mediator_item = dialogue.item("The mediator sends the answers by post.", responsible="mediator", kind="answers")
    with runtime.transaction() as s:
        row = s.get(AgreementItem, item_id)
        assert WHAT.encode() not in row.sealed_what and row.status == "open"
        assert s.get(AgreementItem, mediator_item).responsible_participant_id is None
    view = dialogue.sealed(agreements.case_agreement)
    assert [(i.what, i.kind, i.responsible_participant_id) for i in view.items] == [
        (WHAT, "apology", dialogue.offender_id), ("The mediator sends the answers by post.", "answers", None)]
    assert view.agreed_on == days_from_today(-3)


@pytest.mark.parametrize("status", ["completed", "partly_completed", "not_completed"])
def test_each_item_is_followed_up_with_a_sealed_note_audited_without_its_words(dialogue, runtime, status):
    dialogue.agreement()
    item_id = dialogue.item()
    dialogue.sealed(agreements.follow_up, item_id=item_id, status=status, note=NOTE)
    row = dialogue.items()[item_id]
    assert row.status == status and row.settled_at is not None and NOTE.encode() not in row.sealed_follow_up
    [view] = dialogue.sealed(agreements.case_agreement).items
    assert view.follow_up == NOTE and view.status == status
    with runtime.transaction() as s:
        details = [e.details for e in s.scalars(select(AuditEntry).where(
            AuditEntry.tag == AuditTag.AGREEMENT_ITEM_FOLLOWED_UP.value))]
    assert len(details) == 1 and NOTE not in details[0] and status in details[0]


def test_an_empty_note_keeps_the_previous_one_and_an_item_can_be_opened_again(dialogue):
    dialogue.agreement()
    item_id = dialogue.item()
    dialogue.sealed(agreements.follow_up, item_id=item_id, status="partly_completed", note=NOTE)
    dialogue.sealed(agreements.follow_up, item_id=item_id, status="open", note=None)
    [view] = dialogue.sealed(agreements.case_agreement).items
    assert (view.status, view.follow_up) == ("open", NOTE)
    assert dialogue.items()[item_id].settled_at is None


def test_one_agreement_per_case(dialogue, runtime):
    dialogue.agreement()
    with pytest.raises(Conflict):
        dialogue.agreement()
    assert count(runtime, Agreement) == 1


@pytest.mark.parametrize("agreed_on", ["", None, "yesterday", "2026-13-01", "2026-1-1", "x" * 400, 5])
def test_an_agreement_needs_a_real_date(dialogue, runtime, agreed_on):
    with pytest.raises(InvalidInput):
        dialogue.run(agreements.record_agreement, agreed_on=agreed_on)
    assert count(runtime, Agreement) == 0


def test_an_agreement_is_never_dated_in_the_future(dialogue, runtime):
    with pytest.raises(InvalidInput, match="future"):
        dialogue.agreement(days_from_today(1))
    dialogue.agreement(days_from_today(0))
    assert count(runtime, Agreement) == 1


def test_a_due_date_before_the_agreement_is_refused_and_the_same_day_is_fine(dialogue, runtime):
    dialogue.agreement(days_from_today(-3))
    with pytest.raises(InvalidInput, match="before the agreement"):
        dialogue.item(due_on=days_from_today(-4))
    assert dialogue.item(due_on=days_from_today(-3))
    assert count(runtime, AgreementItem) == 1


def test_items_need_an_agreement_first(dialogue, runtime):
    with pytest.raises(InvalidInput, match="before its items"):
        dialogue.item()
    assert count(runtime, AgreementItem) == 0


@pytest.mark.parametrize("field", [
    {"kind": "hug"}, {"kind": None}, {"what": ""}, {"what": "x" * 2001}, {"what": "a\x00"}, {"due_on": "soon"},
    {"responsible": "someone"}, {"responsible": None}, {"responsible": "-1"}, {"responsible": "9" * 12},
])
def test_bad_items_are_refused_with_nothing_written(dialogue, runtime, field):
    dialogue.agreement()
    arguments = {"kind": "apology", "responsible": str(dialogue.offender_id), "what": WHAT,
                 "due_on": days_from_today(7)} | field
    with pytest.raises(InvalidInput):
        dialogue.sealed(agreements.add_item, **arguments)
    assert count(runtime, AgreementItem) == 0


def test_who_is_a_person_of_this_case_or_the_mediator(dialogue):
    dialogue.agreement()
    with pytest.raises(NotFound):
        dialogue.item(responsible="987654")


@pytest.mark.parametrize(("status", "note"), [("handed_over", ""), ("done", ""), (None, ""),
                                              ("completed", "x" * 5001), ("completed", "\x00")])
def test_bad_follow_up_is_refused(dialogue, status, note):
    dialogue.agreement()
    item_id = dialogue.item()
    with pytest.raises(InvalidInput):
        dialogue.sealed(agreements.follow_up, item_id=item_id, status=status, note=note)
    assert dialogue.items()[item_id].status == "open"


def test_an_unknown_item_is_not_found(dialogue):
    dialogue.agreement()
    for item_id in ("", "abc", "f" * 32, None):
        with pytest.raises(NotFound):
            dialogue.sealed(agreements.follow_up, item_id=item_id, status="completed", note="")


def test_only_the_cases_mediators_record_follow_up_or_read(dialogue, actors):
    dialogue.agreement()
    item_id = dialogue.item()
    for stranger in (actors.other_mediator, actors.harmed_user):
        with pytest.raises((NotFound, Forbidden)):
            dialogue.sealed(agreements.follow_up, item_id=item_id, status="completed", note="", actor=stranger)
        with pytest.raises((NotFound, Forbidden)):
            dialogue.sealed(agreements.case_agreement, actor=stranger)


def test_an_agreement_is_recorded_while_closing_but_not_before_the_dialogue(runtime, actors, make_case):
    closing = dialogue_of(runtime, actors, make_case(CaseState.CLOSING))
    closing.agreement()
    assert closing.item()
    preparation = make_case(CaseState.PREPARATION)
    with pytest.raises(WrongState), runtime.transaction() as s:
        agreements.record_agreement(s, actors.mediator, preparation, agreed_on=days_from_today(0))


def test_the_future_is_judged_against_today_given(dialogue):
    today = days_from_today(0) - timedelta(days=10)
    with pytest.raises(InvalidInput):
        dialogue.agreement(days_from_today(-3), today=today)
