"""The ``close`` guard: a case with open agreement items closes only once each is settled or handed over."""

from __future__ import annotations

import pytest

from tests.workflows.fakes import case_in
from workflows.agreements import (
    CLOSURE_DISPOSITIONS,
    SETTLED_ITEM_STATUSES,
    AgreementItemStatus,
    agreement_items_settled,
)
from workflows.case_workflow import case_workflow
from workflows.errors import GuardNotMet
from workflows.vocabulary import CaseState
from workflows.words import Words


def test_a_case_without_open_items_closes():
    case = case_in(CaseState.CLOSING)
    assert agreement_items_settled.holds(case)
    case_workflow().fire(case, "close", reason="dialogue_completed")
    assert case.state == CaseState.CLOSED and case.outcome == "completed"


@pytest.mark.parametrize("open_items", [1, 3])
def test_open_items_keep_the_case_in_closing_and_say_how_many(open_items):
    case = case_in(CaseState.CLOSING, open_agreement_items=open_items)
    with pytest.raises(GuardNotMet) as refusal:
        case_workflow().fire(case, "close", reason="dialogue_completed")
    assert refusal.value.unmet == ("agreement_items_settled",) and case.state == CaseState.CLOSING
    explanation = agreement_items_settled.explanation_for(case)
    assert isinstance(explanation, Words) and explanation.params["count"] == str(open_items)


def test_the_guard_names_the_close_transition_only():
    definition = case_workflow().definition
    guarded = {t.trigger for t in definition.transitions if agreement_items_settled in t.guards}
    assert guarded == {"close"}


def test_withdrawal_from_closing_is_not_held_by_open_items():
    case = case_in(CaseState.CLOSING, open_agreement_items=2)
    case_workflow().fire(case, "withdraw", reason="participant_choice", participant_id=1)
    assert case.state == CaseState.CLOSED


def test_what_can_become_of_an_open_item_at_closure():
    assert set(CLOSURE_DISPOSITIONS) == {*SETTLED_ITEM_STATUSES, AgreementItemStatus.HANDED_OVER}
    assert AgreementItemStatus.OPEN not in CLOSURE_DISPOSITIONS
