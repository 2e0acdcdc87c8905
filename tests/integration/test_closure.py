"""Closing a completed case through the services, on SQLite and PostgreSQL: a sealed closing summary is required,
every open agreement item is given its final status or handed over with a note, and ``close`` fires in the same
transaction, so a refusal anywhere leaves no summary and no item changed. The ``close`` guard holds whoever fires
it. Then one closing letter per participant, in their language, holding only what was theirs or agreed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, CaseClosure
from mediation.services import agreements, closure, contacts, letters, workflow
from mediation.services.closure import Disposition
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from tests.integration.dialogue_steps import Dialogue, dialogue_of
from workflows.errors import GuardNotMet
from workflows.vocabulary import CaseState

SUMMARY = "Dana asked her three questions; Eli answered two of them in writing."


@pytest.fixture
def closing(runtime, actors, make_case) -> Dialogue:
    return dialogue_of(runtime, actors, make_case(CaseState.CLOSING))


def closures(runtime) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(CaseClosure))


def test_closing_seals_the_summary_and_closes_the_case_as_completed(closing, runtime):
    closing.close(SUMMARY)
    assert closing.state() == CaseState.CLOSED
    with runtime.transaction() as s:
        row = s.scalars(select(CaseClosure)).one()
        assert SUMMARY.encode() not in row.sealed_summary
        tags = {e.tag for e in s.scalars(select(AuditEntry))}
    assert {AuditTag.CLOSING_SUMMARY_RECORDED.value, AuditTag.CLOSE.value} <= tags
    assert closing.sealed(closure.closing_summary) == SUMMARY


@pytest.mark.parametrize("summary", [None, "", "   ", "x" * 10_001, "a\x00b"])
def test_a_closing_summary_is_required_and_checked(closing, runtime, summary):
    with pytest.raises(InvalidInput):
        closing.close(summary)
    assert closing.state() == CaseState.CLOSING and closures(runtime) == 0


def test_an_unknown_reason_is_refused(closing, runtime):
    with pytest.raises(InvalidInput):
        closing.close(reason="tired")
    assert closing.state() == CaseState.CLOSING and closures(runtime) == 0


def test_open_items_must_each_be_settled_or_handed_over(closing):
    closing.agreement()
    first, second = closing.item(), closing.item("Eli pays for the window.", kind="reparation")
    with pytest.raises(InvalidInput, match="every open agreement item"):
        closing.close(dispositions={first: Disposition("completed")})
    with pytest.raises(InvalidInput, match="handed over"):
        closing.close(dispositions={first: Disposition("completed"), second: Disposition("handed_over")})
    with pytest.raises(InvalidInput):
        closing.close(dispositions={first: Disposition("completed"), second: Disposition("forgotten")})
    assert {i.status for i in closing.items().values()} == {"open"}
    closing.close(dispositions={first: Disposition("not_completed"),
                                second: Disposition("handed_over", "To the parole officer, who checks monthly.")})
    items = closing.items()
    assert (items[first].status, items[second].status) == ("not_completed", "handed_over")
    assert items[second].sealed_follow_up is not None and closing.state() == CaseState.CLOSED


def test_items_already_settled_need_nothing_and_cannot_be_named_again(closing):
    closing.agreement()
    done = closing.item()
    closing.sealed(agreements.follow_up, item_id=done, status="completed", note="Sent.")
    with pytest.raises(InvalidInput, match="no longer open"):
        closing.close(dispositions={done: Disposition("not_completed")})
    closing.close()
    assert closing.items()[done].status == "completed"


def test_an_unknown_item_in_the_form_is_not_found(closing):
    closing.agreement()
    closing.item()
    with pytest.raises(NotFound):
        closing.close(dispositions={"../x": Disposition("completed")})


def test_a_failing_close_leaves_no_summary_and_no_item_changed(closing, runtime, monkeypatch):
    """Everything is written, then ``close`` fails: the one transaction takes it all back."""
    closing.agreement()
    item_id = closing.item()

    def refuse(*_args, **_kwargs):
        raise WrongState("Someone else moved the case.")

    monkeypatch.setattr(workflow, "fire", refuse)
    with pytest.raises(WrongState):
        closing.close(dispositions={item_id: Disposition("completed", "Done at last.")})
    assert closures(runtime) == 0
    item = closing.items()[item_id]
    assert (item.status, item.sealed_follow_up, item.settled_at) == ("open", None, None)
    with runtime.transaction() as s:
        assert not list(s.scalars(select(AuditEntry).where(
            AuditEntry.tag == AuditTag.CLOSING_SUMMARY_RECORDED.value)))


def test_the_close_guard_holds_whoever_fires_it(closing):
    """Firing ``close`` directly (not through the closing form) is refused while an item is open, naming why."""
    closing.agreement()
    closing.item()
    with pytest.raises(GuardNotMet) as refusal:
        closing.run(workflow.fire, "close", reason="dialogue_completed")
    assert refusal.value.unmet == ("agreement_items_settled",)
    assert "1 agreement item(s) are still open" in str(refusal.value)
    [option] = [o for o in closing.run(workflow.available_actions) if o.trigger == "close"]
    assert not option.ready and "still open" in str(option.waiting_for[0])
    with closing.runtime.transaction() as s:  # the same fact on the ORM case as on the hot path's record
        assert find_case(s, closing.mediator, closing.reference).open_agreement_items == 1


def test_only_a_case_in_closing_is_closed_and_only_by_its_mediators(runtime, actors, make_case, closing):
    dialogue = dialogue_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    with pytest.raises(WrongState):
        dialogue.close()
    with pytest.raises(NotFound):
        closing.close(actor=actors.other_mediator)
    with pytest.raises((Forbidden, NotFound)):
        closing.close(actor=actors.harmed_user)
    with pytest.raises(WrongState):
        dialogue.sealed(closure.closing_form)
    assert closures(runtime) == 0


# --- closing letters ----------------------------------------------------------------------------------------

def test_each_participant_gets_a_letter_with_only_their_own_needs_and_the_agreement(closing, actors):
    closing.need("Dana's question", participant_id=closing.harmed_id)
    closing.need("Eli's need", participant_id=closing.offender_id, kind="need")
    closing.agreement()
    item_id = closing.item("A letter of apology.")
    closing.sealed(agreements.follow_up, item_id=item_id, status="completed", note="Secret follow-up")
    closing.close(SUMMARY)
    links = closing.run(letters.letters_of)
    assert {link.participant_id for link in links} == {closing.harmed_id, closing.offender_id}
    hers = closing.sealed(letters.my_letter, actor=actors.harmed_user)
    assert [n.text for n in hers.needs] == ["Dana's question"]
    assert [(i.what, i.status, i.follow_up) for i in hers.items] == [("A letter of apology.", "completed", "")]
    assert hers.outcome == "completed" and hers.language == "en"
    his = closing.sealed(letters.letter_for, closing.offender_id)
    assert [n.text for n in his.needs] == ["Eli's need"]
    with pytest.raises(NotFound):
        closing.sealed(letters.my_letter, actor=actors.stranger)
    with pytest.raises(NotFound):
        closing.sealed(letters.letter_for, 987654)


def test_a_letter_is_in_the_language_of_the_persons_contact_card(closing):
    closing.sealed(contacts.record_contact_details, participant_id=closing.harmed_id,
                   details=ContactDetails("Dana", phone="555-0100", language="fr"))
    closing.close()
    assert closing.sealed(letters.letter_for, closing.harmed_id).language == "fr"
    assert closing.sealed(letters.letter_for, closing.offender_id).language == "en"


def test_a_person_who_reads_romanian_gets_a_romanian_letter(closing):
    closing.sealed(contacts.record_contact_details, participant_id=closing.offender_id,
                   details=ContactDetails("Eli", phone="0722 000 000", language="ro"))
    closing.close()
    assert closing.sealed(letters.letter_for, closing.offender_id).language == "ro"
    assert closing.sealed(letters.letter_for, closing.harmed_id).language == "en"


def test_no_letter_before_closure_nor_after_a_close_without_summary(closing, runtime, actors, make_case):
    with pytest.raises(NotFound):
        closing.sealed(letters.letter_for, closing.harmed_id)
    assert closing.run(letters.letters_of) == []
    withdrawn = make_case(CaseState.CLOSED)  # closed through the bare workflow, as older cases were
    with runtime.transaction() as s:
        participant = find_case(s, actors.mediator, withdrawn).participants[0].id
    with pytest.raises(NotFound), runtime.transaction() as s:
        letters.letter_for(s, runtime.vault, actors.mediator, withdrawn, participant)


def test_opening_a_letter_is_audited(closing, runtime):
    closing.close()
    closing.sealed(letters.letter_for, closing.harmed_id)
    with runtime.transaction() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.LETTER_OPENED.value)))
    assert len(entries) == 1 and str(closing.harmed_id) in entries[0].details
