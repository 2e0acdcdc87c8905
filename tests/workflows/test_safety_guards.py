"""The safety guards on their own (workflows.safety): who they name, and what they hold."""

from __future__ import annotations

import pytest

from tests.workflows.fakes import HARMED_ID, RESPONSIBLE_ID, FakeMessage, FakeParticipant, case_in, harmed, responsible
from workflows.case_workflow import case_workflow
from workflows.errors import GuardNotMet
from workflows.message_workflow import message_workflow
from workflows.safety import (
    CONFIDENTIALITY_VERSION,
    confidentiality_acknowledged,
    meeting_refusals,
    no_safety_concern,
    person_named,
)
from workflows.vocabulary import CaseState as S
from workflows.vocabulary import Modality, ParticipantRole, Safety, Side

SUPPORT_ID = 3


def support(**facts) -> FakeParticipant:
    return FakeParticipant(SUPPORT_ID, Side.HARMED.value, role=ParticipantRole.SUPPORT.value,
                           supports_participant_id=HARMED_ID, **facts)


@pytest.mark.parametrize(("person", "named"), [
    pytest.param(harmed(), "the harmed (#1)", id="harmed party"),
    pytest.param(responsible(), "the responsible (#2)", id="person responsible"),
    pytest.param(support(), "the harmed's support person (#3)", id="support person"),
    pytest.param(FakeParticipant(4, Side.HARMED.value, role=ParticipantRole.REPRESENTATIVE.value),
                 "the harmed's representative (#4)", id="representative"),
])
def test_a_person_is_named_by_role_and_side_never_by_name(person, named):
    assert str(person_named(person)) == named


def test_a_concern_on_anyone_in_the_dialogue_is_named_in_the_refusal():
    case = case_in(S.DIALOGUE_WRITTEN, participant_facts=[harmed(), responsible(safety=Safety.CONCERNS),
                                                          support(safety=Safety.CONCERNS,
                                                                  takes_part_in_meetings=True)])
    assert not no_safety_concern.holds(case)
    assert str(no_safety_concern.explanation_for(case)) == (
        "a safety concern is recorded for the responsible (#2); the harmed's support person (#3)")


def test_a_support_person_outside_the_meetings_holds_nothing():
    case = case_in(S.DIALOGUE_WRITTEN, participant_facts=[harmed(), responsible(), support(safety=Safety.CONCERNS)])
    assert no_safety_concern.holds(case)
    assert meeting_refusals(case) == ()


@pytest.mark.parametrize("trigger", ["approve", "accept"])
def test_nothing_is_delivered_while_a_concern_is_recorded(trigger):
    case = case_in(S.DIALOGUE_WRITTEN, participant_facts=[harmed(safety=Safety.CONCERNS), responsible()])
    message = FakeMessage(state="submitted" if trigger == "approve" else "awaiting_author", case_facts=case)
    with pytest.raises(GuardNotMet, match=r"the harmed \(#1\)"):
        message_workflow().fire(message, trigger)
    assert message.state in ("submitted", "awaiting_author")


@pytest.mark.parametrize("modality", [m for m in Modality if m is not Modality.FACE_TO_FACE])
def test_the_change_to_face_to_face_waits_for_every_concern_to_be_lifted(modality):
    case = case_in(modality.dialogue_state, participant_facts=[harmed(), responsible(safety=Safety.CONCERNS)])
    with pytest.raises(GuardNotMet) as refused:
        case_workflow().fire(case, "change_modality", modality=Modality.FACE_TO_FACE.value)
    assert refused.value.unmet == ("no_safety_concern",)
    assert case.state == modality.dialogue_state
    case.participant(RESPONSIBLE_ID).safety = Safety.CLEARED.value
    assert case_workflow().fire(case, "change_modality", modality="face_to_face") == S.DIALOGUE_FACE_TO_FACE


def test_a_face_to_face_dialogue_paused_for_a_concern_resumes_only_once_it_is_lifted():
    case = case_in(S.PAUSED, paused_from=S.DIALOGUE_FACE_TO_FACE,
                   participant_facts=[harmed(), responsible(safety=Safety.CONCERNS)])
    with pytest.raises(GuardNotMet) as refused:
        case_workflow().fire(case, "resume")
    assert "no_safety_concern" in refused.value.unmet and case.state == S.PAUSED
    case.participant(RESPONSIBLE_ID).safety = Safety.CLEARED.value
    assert case_workflow().fire(case, "resume") == S.DIALOGUE_FACE_TO_FACE


def test_a_written_dialogue_resumes_despite_a_concern_since_deliveries_stay_held():
    case = case_in(S.PAUSED, paused_from=S.DIALOGUE_WRITTEN,
                   participant_facts=[harmed(), responsible(safety=Safety.CONCERNS)])
    assert case_workflow().fire(case, "resume") == S.DIALOGUE_WRITTEN


def test_a_meeting_waits_for_every_concern_to_be_lifted():
    case = case_in(S.DIALOGUE_FACE_TO_FACE, participant_facts=[harmed(safety=Safety.CONCERNS), responsible()])
    assert [g.name for g in meeting_refusals(case)] == ["no_safety_concern"]


def test_everyone_in_the_dialogue_acknowledges_the_current_wording():
    case = case_in(S.PREPARATION, participant_facts=[harmed(confidentiality_acknowledged="confidentiality-2020"),
                                                     responsible(), support(confidentiality_acknowledged=None)])
    assert not confidentiality_acknowledged.holds(case)
    assert "acknowledged by the harmed (#1)" in str(confidentiality_acknowledged.explanation_for(case))
    case.participant(HARMED_ID).confidentiality_acknowledged = CONFIDENTIALITY_VERSION
    assert confidentiality_acknowledged.holds(case)  # the support person stays out of the meetings
