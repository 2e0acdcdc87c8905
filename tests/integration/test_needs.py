"""Needs and questions through the services, on SQLite and PostgreSQL: recorded sealed by the case's mediators for
a person of the case, marked as the dialogue goes on (audited, without the words), read by the participant they
belong to and never by the other side; every bad input refused before anything is written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, ParticipantNeed
from mediation.services import needs
from mediation.services.lookup import find_case
from tests.integration.dialogue_steps import Dialogue, dialogue_of
from workflows.vocabulary import CaseState

WORDS = "Did you know the children were at home that night?"


@pytest.fixture
def dialogue(runtime, actors, make_case) -> Dialogue:
    return dialogue_of(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))


def test_a_need_is_sealed_opens_for_the_mediator_and_its_reading_is_audited(dialogue, runtime):
    need_id = dialogue.need(WORDS)
    with runtime.transaction() as s:
        row = s.get(ParticipantNeed, need_id)
        assert row.status == "open" and row.kind == "question" and WORDS.encode() not in row.sealed_text
    [view] = dialogue.sealed(needs.case_needs)
    assert (view.text, view.participant_id, view.status) == (WORDS, dialogue.harmed_id, "open")
    with runtime.transaction() as s:
        tags = [e.tag for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        details = [e.details for e in s.scalars(select(AuditEntry))]
    assert AuditTag.NEED_RECORDED.value in tags and AuditTag.NEEDS_DECRYPTED.value in tags
    assert all(WORDS not in str(d) for d in details)


@pytest.mark.parametrize("status", ["answered", "partly_answered", "not_answered", "withdrawn", "open"])
def test_the_mediator_marks_how_far_a_need_was_met(dialogue, runtime, status):
    need_id = dialogue.need()
    dialogue.run(needs.set_need_status, need_id=need_id, status=status)
    row = dialogue.need_rows()[need_id]
    assert row.status == status and row.status_changed_at is not None
    with runtime.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.tag == AuditTag.NEED_STATUS_SET.value)).one()
    assert json.loads(entry.details) == {"need_id": need_id, "from": "open", "to": status}


def test_a_participant_sees_their_own_needs_and_never_the_other_sides(dialogue, actors):
    dialogue.need("The harmed party's question", participant_id=dialogue.harmed_id)
    dialogue.need("The offender's need", participant_id=dialogue.offender_id, kind="need")
    mine = dialogue.sealed(needs.my_needs, actor=actors.harmed_user)
    theirs = dialogue.sealed(needs.my_needs, actor=actors.offender_user)
    assert [n.text for n in mine] == ["The harmed party's question"]
    assert [n.text for n in theirs] == ["The offender's need"]
    with pytest.raises(NotFound):
        dialogue.sealed(needs.my_needs, actor=actors.stranger)
    with pytest.raises(NotFound):  # staff and the coordinator: not a participant
        dialogue.sealed(needs.my_needs, actor=actors.staff)


def test_only_the_cases_mediators_record_or_read_needs(dialogue, actors):
    dialogue.need()
    with pytest.raises(NotFound):
        dialogue.need(actor=actors.other_mediator)
    with pytest.raises(NotFound):
        dialogue.sealed(needs.case_needs, actor=actors.other_mediator)
    with pytest.raises(Forbidden):
        dialogue.sealed(needs.case_needs, actor=actors.admin)
    with pytest.raises((Forbidden, NotFound)):
        dialogue.need(actor=actors.harmed_user)


@pytest.mark.parametrize(("kind", "text", "participant"), [
    (None, WORDS, "harmed"), ("wish", WORDS, "harmed"), ("question", "", "harmed"), ("question", "   ", "harmed"),
    ("question", "x" * 2001, "harmed"), ("question", "a\x00b", "harmed"), ("question", "bad \udcff", "harmed"),
    ("question", WORDS, None), ("question", 12, "harmed"),
])
def test_bad_input_is_refused_before_anything_is_written(dialogue, kind, text, participant):
    with pytest.raises(InvalidInput):
        dialogue.sealed(needs.record_need, participant_id=dialogue.harmed_id if participant else None, kind=kind,
                        text=text)
    assert dialogue.need_rows() == {}


def test_a_need_for_someone_not_on_the_case_or_an_unknown_need_is_not_found(dialogue):
    with pytest.raises(NotFound):
        dialogue.need(participant_id=987654)
    for need_id in ("nope", "0" * 32, "../etc", None):
        with pytest.raises(NotFound):
            dialogue.run(needs.set_need_status, need_id=need_id, status="answered")
    with pytest.raises(InvalidInput):
        dialogue.run(needs.set_need_status, need_id=dialogue.need(), status="solved")


def test_2000_characters_fit(dialogue):
    assert dialogue.need("é" * 2000)


def test_needs_are_recorded_in_the_open_steps_of_the_work_and_not_on_a_closed_or_new_case(runtime, actors,
                                                                                          make_case):
    for state in (CaseState.REQUESTED, CaseState.CLOSED):
        reference = make_case(state)
        with runtime.transaction() as s:
            case_people = find_case(s, actors.mediator, reference).participants
            person = case_people[0].id
        with pytest.raises(WrongState), runtime.transaction() as s:
            needs.record_need(s, runtime.vault, actors.mediator, reference, participant_id=person, kind="need",
                              text="Anything")
