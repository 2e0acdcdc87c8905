"""Safety throughout the case and informed consent (DESIGN.md sections 1 and 6), through the services, on SQLite
and PostgreSQL: nobody is assessed until the mediator says so, a concern on anyone in the dialogue holds deliveries
and face-to-face steps (naming who, never by name), reopening assesses everyone again, the limits of
confidentiality are acknowledged before a dialogue begins, and a disclosure that must be reported pauses the case.
Each service call runs in a transaction of its own, as one request would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import (
    AuditEntry,
    Case,
    ConfidentialityAcknowledgement,
    Disclosure,
    Message,
    Participant,
    SafetyAssessment,
    content_chain,
)
from mediation.services import participants, safety, workflow
from mediation.services.lookup import find_case
from tests.integration.test_messages import Relay, link_accounts, message_in, video_bytes
from workflows.errors import GuardNotMet
from workflows.safety import CONFIDENTIALITY_VERSION
from workflows.vocabulary import CaseState, Modality, ParticipantRole, Safety, Side

CONCERN_NOTE = "He wrote to her sister twice last month despite the no-contact condition"


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def assess(runtime, actor, reference: str, participant_id: int, outcome: str | None = "concerns",
           **details: Any) -> SafetyAssessment:
    if outcome == "concerns" and not details:
        details = {"risk_factors": ("threats",)}
    with runtime.transaction() as s:
        return safety.record_assessment(s, runtime.vault, actor, reference, participant_id=participant_id,
                                        outcome=outcome, **details)


def people(runtime, actors, reference: str) -> dict[str, Participant]:
    with runtime.transaction() as s:
        return {p.side: p for p in find_case(s, actors.mediator, reference).participants}


def state_of(runtime, actors, reference: str) -> str:
    with runtime.transaction() as s:
        return find_case(s, actors.mediator, reference).state


def rows(runtime, model) -> int:
    with runtime.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def entries(runtime, actors, reference: str, tag: AuditTag) -> list[AuditEntry]:
    with runtime.transaction() as s:
        case = find_case(s, actors.mediator, reference)
        return list(s.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id, AuditEntry.tag == tag.value)))


@pytest.fixture
def written(runtime, actors, make_case) -> Relay:
    """A written dialogue whose victim and offender have portal accounts."""
    return link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))


# ---------------------------------------------------------------------------------------------------------------
# The assessment: nobody is assessed until the mediator says so; its reasons are sealed


def test_nobody_is_assessed_until_the_mediator_records_an_assessment(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as s:
        participants.add_participant(s, actors.mediator, reference, "offender")
    assert {p.safety for p in people(runtime, actors, reference).values()} == {Safety.NOT_ASSESSED}
    assert rows(runtime, SafetyAssessment) == 0


def test_an_assessment_keeps_its_reasons_sealed_and_only_the_mediator_reads_them_audited(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    harmed = people(runtime, actors, reference)[Side.HARMED]
    assessment = assess(runtime, actors.mediator, reference, harmed.id, "concerns",
                        risk_factors=("power_imbalance", "threats"), consultations=("psychologist",),
                        note=CONCERN_NOTE)
    with runtime.transaction() as s:
        stored = s.get(SafetyAssessment, assessment.id)
        assert CONCERN_NOTE.encode() not in stored.sealed_details and b"threats" not in stored.sealed_details
    assert people(runtime, actors, reference)[Side.HARMED].safety == Safety.CONCERNS
    with runtime.transaction() as s:
        record = safety.safety_record(s, runtime.vault, actors.mediator, reference)
    [seen] = record.history_of(harmed.id)
    assert (seen.outcome, seen.risk_factors, seen.consultations, seen.note) == (
        "concerns", ("threats", "power_imbalance"), ("psychologist",), CONCERN_NOTE)
    [read] = entries(runtime, actors, reference, AuditTag.SAFETY_DECRYPTED)
    assert read.chain.startswith("content:") and read.actor_id == actors.mediator.id
    for outsider, error in ((actors.other_mediator, NotFound), (actors.admin, Forbidden),
                            (actors.staff, NotFound)):
        with pytest.raises(error), runtime.transaction() as s:
            safety.safety_record(s, runtime.vault, outsider, reference)


def test_the_newest_assessment_is_the_persons_safety_and_the_history_is_kept(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    harmed = people(runtime, actors, reference)[Side.HARMED]
    assess(runtime, actors.mediator, reference, harmed.id, "concerns", note="Waiting for the psychologist.")
    assess(runtime, actors.mediator, reference, harmed.id, "cleared", consultations=("psychologist",))
    assert people(runtime, actors, reference)[Side.HARMED].safety == Safety.CLEARED
    with runtime.transaction() as s:
        history = safety.safety_record(s, runtime.vault, actors.mediator, reference).history_of(harmed.id)
    assert [a.outcome for a in history] == ["cleared", "concerns"]


@pytest.mark.parametrize(("fields", "message"), [
    pytest.param({"outcome": None}, "Choose the outcome", id="no-outcome"),
    pytest.param({"outcome": "fine"}, "Choose the outcome", id="unknown-outcome"),
    pytest.param({"outcome": "cleared", "risk_factors": ("astrology",)}, "Unknown risk factor astrology",
                 id="unknown-risk-factor"),
    pytest.param({"outcome": "cleared", "consultations": ("neighbour",)}, "Unknown consultation neighbour",
                 id="unknown-consultation"),
    pytest.param({"outcome": "cleared", "note": "x" * 5001}, "too long", id="overlong-note"),
    pytest.param({"outcome": "concerns"}, "at least one risk factor or a note", id="concern-without-reason"),
    pytest.param({"outcome": "concerns", "note": "   "}, "at least one risk factor or a note",
                 id="concern-with-a-blank-note"),
])
def test_a_bad_assessment_is_refused_and_nothing_is_written(runtime, actors, make_case, fields, message):
    reference = make_case(CaseState.ASSESSMENT)
    harmed = people(runtime, actors, reference)[Side.HARMED]
    with pytest.raises(InvalidInput, match=message), runtime.transaction() as s:
        safety.record_assessment(s, runtime.vault, actors.mediator, reference, participant_id=harmed.id, **fields)
    assert rows(runtime, SafetyAssessment) == 0
    assert people(runtime, actors, reference)[Side.HARMED].safety == Safety.NOT_ASSESSED


def test_an_assessment_of_someone_on_another_case_or_on_a_closed_case_is_refused(runtime, actors, make_case):
    first, second = make_case(CaseState.ASSESSMENT), make_case(CaseState.ASSESSMENT)
    closed = make_case(CaseState.CLOSED)
    before = rows(runtime, SafetyAssessment)
    stranger = people(runtime, actors, second)[Side.HARMED]
    with pytest.raises(NotFound, match="no such participant"):
        assess(runtime, actors.mediator, first, stranger.id, "cleared")
    with pytest.raises(WrongState):
        assess(runtime, actors.mediator, closed, people(runtime, actors, closed)[Side.HARMED].id, "cleared")
    with pytest.raises(NotFound):  # another mediator's case does not exist for them
        assess(runtime, actors.other_mediator, first, people(runtime, actors, first)[Side.HARMED].id, "cleared")
    assert rows(runtime, SafetyAssessment) == before


# ---------------------------------------------------------------------------------------------------------------
# A concern mid-dialogue holds deliveries and face-to-face steps, naming who


def test_a_concern_mid_dialogue_keeps_a_pending_message_pending_and_says_who(runtime, actors, written):
    pending = written.submit(actors.offender_user, "A reply that should wait.")
    assess(runtime, actors.mediator, written.reference, written.offender_id, note=CONCERN_NOTE)
    with pytest.raises(GuardNotMet) as refused:
        written.review(pending, "approve")
    assert "no_safety_concern" in refused.value.unmet
    assert f"a safety concern is recorded for the responsible (#{written.offender_id})" in str(refused.value)
    assert CONCERN_NOTE not in str(refused.value)
    assert written.row(pending).state == "submitted"
    assert written.received(actors.harmed_user) == []
    assess(runtime, actors.mediator, written.reference, written.offender_id, "cleared")
    assert written.review(pending, "approve") == "delivered"


def test_a_concern_on_a_support_person_counts_only_when_they_take_part_in_meetings(runtime, actors, written):
    with runtime.transaction() as s:
        case = find_case(s, actors.mediator, written.reference)
        support = Participant(side=Side.HARMED.value, relationship_to_case="victim_family",
                              role=ParticipantRole.SUPPORT.value, supports_participant_id=written.harmed_id,
                              takes_part_in_meetings=False, consent="given")
        case.participants.append(support)
        s.flush()
        support_id = support.id
    pending = written.submit(actors.offender_user)
    assess(runtime, actors.mediator, written.reference, support_id, note="Angry at the offender.")
    assert written.review(pending, "approve") == "delivered"  # not in the dialogue: their concern holds nothing
    with runtime.transaction() as s:
        next(p for p in find_case(s, actors.mediator, written.reference).participants
             if p.id == support_id).takes_part_in_meetings = True
    second = written.submit(actors.offender_user)
    with pytest.raises(GuardNotMet, match=f"the harmed's support person \\(#{support_id}\\)"):
        written.review(second, "approve")


def test_a_concern_keeps_a_redaction_undelivered_and_tells_the_author_nothing_about_anyone(runtime, actors, written):
    proposed = message_in(written, actors.harmed_user, actors.offender_user, "awaiting_author")
    assess(runtime, actors.mediator, written.reference, written.offender_id, note=CONCERN_NOTE)
    with pytest.raises(WrongState) as refused:
        written.respond(actors.harmed_user, proposed, "accept")
    assert "Nothing can be delivered for the moment" in str(refused.value)
    assert "responsible" not in str(refused.value) and "#" not in str(refused.value)
    assert written.row(proposed).state == "awaiting_author"


def test_a_concern_keeps_a_video_from_being_delivered(runtime, actors, make_case):
    video = link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_VIDEO, Modality.VIDEO))
    clip = video.submit_video(actors.harmed_user, video_bytes())
    assess(runtime, actors.mediator, video.reference, video.harmed_id, risk_factors=("mental_health",))
    with pytest.raises(GuardNotMet, match=f"the harmed \\(#{video.harmed_id}\\)"):
        video.review(clip, "approve")
    assert video.row(clip).state == "submitted"
    with pytest.raises(NotFound):
        video.video(actors.offender_user, clip)


def test_a_concern_refuses_the_change_to_face_to_face_naming_the_person(runtime, actors, written):
    assess(runtime, actors.mediator, written.reference, written.harmed_id, risk_factors=("threats",))
    with pytest.raises(GuardNotMet) as refused:
        written.fire(actors.mediator, "change_modality", modality="face_to_face")
    assert refused.value.unmet == ("no_safety_concern",)
    assert f"the harmed (#{written.harmed_id})" in str(refused.value)
    assert state_of(runtime, actors, written.reference) == CaseState.DIALOGUE_WRITTEN
    # Writing through the mediator may go on: only what brings the two sides closer is held.
    assert written.fire(actors.mediator, "change_modality", modality="relay") == CaseState.DIALOGUE_RELAY


def test_a_concern_refuses_to_begin_face_to_face(runtime, actors, make_case):
    reference = make_case(CaseState.PREPARATION, Modality.FACE_TO_FACE)
    offender = people(runtime, actors, reference)[Side.RESPONSIBLE]
    assess(runtime, actors.mediator, reference, offender.id, note="Institution lockdown this month.")
    with pytest.raises(GuardNotMet) as refused, runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "begin")
    assert set(refused.value.unmet) == {"safety_cleared", "no_safety_concern"}
    assert f"the responsible (#{offender.id})" in str(refused.value)
    assert state_of(runtime, actors, reference) == CaseState.PREPARATION
    with runtime.transaction() as s:
        options = {a.trigger: a for a in workflow.available_actions(s, actors.mediator, reference)}
    assert not options["begin"].ready
    assert any("a safety concern is recorded for" in str(why) for why in options["begin"].waiting_for)


def test_a_meeting_is_held_only_without_a_concern_in_the_dialogue(runtime, actors, make_case):
    """The check the meeting service (activities and meetings) will call before a meeting is held."""
    reference = make_case(CaseState.DIALOGUE_FACE_TO_FACE, Modality.FACE_TO_FACE)
    with runtime.transaction() as s:
        safety.require_safe_to_meet(s, actors.mediator, reference)
    harmed = people(runtime, actors, reference)[Side.HARMED]
    assess(runtime, actors.mediator, reference, harmed.id, risk_factors=("substance_use",))
    with pytest.raises(GuardNotMet) as refused, runtime.transaction() as s:
        safety.require_safe_to_meet(s, actors.mediator, reference)
    assert refused.value.trigger == "hold_meeting"
    assert f"the harmed (#{harmed.id})" in str(refused.value)
    with pytest.raises(NotFound), runtime.transaction() as s:
        safety.require_safe_to_meet(s, actors.other_mediator, reference)


def test_reopening_a_case_assesses_everyone_again_and_keeps_the_history(runtime, actors, make_case):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    harmed = people(runtime, actors, reference)[Side.HARMED]
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "withdraw", reason="participant_choice",
                      participant_id=harmed.id, confirmed=True)
    with runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "reopen", participant_id=harmed.id)
    assert {p.safety for p in people(runtime, actors, reference).values()} == {Safety.NOT_ASSESSED}
    with runtime.transaction() as s:
        record = safety.safety_record(s, runtime.vault, actors.mediator, reference)
    assert [a.outcome for a in record.assessments] == ["cleared", "cleared"]


# ---------------------------------------------------------------------------------------------------------------
# Informed consent: the limits of confidentiality, acknowledged before the dialogue begins


def _prepared_without_acknowledgements(make_case, modality: Modality = Modality.WRITTEN) -> str:
    return make_case(steps=[("sentence", "3"), ("screen", None), ("other side", None), ("consent", None),
                            ("safety", None), ("prepare", None), ("modality", modality.value)])


def test_the_dialogue_begins_only_once_everyone_acknowledged_the_current_wording(runtime, actors, make_case):
    reference = _prepared_without_acknowledgements(make_case)
    relay = link_accounts(runtime, actors, reference)
    with pytest.raises(GuardNotMet) as refused:
        relay.fire(actors.mediator, "begin")
    assert refused.value.unmet == ("confidentiality_acknowledged",)
    assert f"the harmed (#{relay.harmed_id}); the responsible (#{relay.offender_id})" in str(refused.value)
    assert CONFIDENTIALITY_VERSION in str(refused.value)
    with runtime.transaction() as s:
        safety.acknowledge_confidentiality(s, actors.harmed_user, reference, version=CONFIDENTIALITY_VERSION)
    with pytest.raises(GuardNotMet, match=f"acknowledged by the responsible \\(#{relay.offender_id}\\)\\."):
        relay.fire(actors.mediator, "begin")
    with runtime.transaction() as s:
        safety.acknowledge_confidentiality(s, actors.offender_user, reference, version=CONFIDENTIALITY_VERSION)
    assert relay.fire(actors.mediator, "begin") == CaseState.DIALOGUE_WRITTEN
    with runtime.transaction() as s:
        recorded = list(s.scalars(select(ConfidentialityAcknowledgement)
                                  .order_by(ConfidentialityAcknowledgement.id)))
    assert [(a.participant_id, a.wording_version, a.recorded_by_mediator) for a in recorded] == [
        (relay.harmed_id, CONFIDENTIALITY_VERSION, False), (relay.offender_id, CONFIDENTIALITY_VERSION, False)]
    assert [a.recorded_by_id for a in recorded] == [actors.harmed_user.id, actors.offender_user.id]


def test_an_older_wording_does_not_count(runtime, actors, make_case):
    reference = _prepared_without_acknowledgements(make_case)
    with runtime.transaction() as s:
        for person in find_case(s, actors.mediator, reference).participants:
            person.confidentiality_acknowledged = "confidentiality-2025-01"
    with pytest.raises(GuardNotMet, match="confidentiality"), runtime.transaction() as s:
        workflow.fire(s, actors.mediator, reference, "begin")


def test_the_mediator_records_an_acknowledgement_only_for_someone_without_an_account(runtime, actors, make_case):
    reference = _prepared_without_acknowledgements(make_case)
    relay = link_accounts(runtime, actors, reference)
    with runtime.transaction() as s:
        find_case(s, actors.mediator, reference).participants[0].user_id = None  # the harmed party: no account
    with runtime.transaction() as s:
        safety.record_acknowledgement_for(s, actors.mediator, reference, participant_id=relay.harmed_id,
                                          version=CONFIDENTIALITY_VERSION)
    with pytest.raises(InvalidInput, match="has a portal account"), runtime.transaction() as s:
        safety.record_acknowledgement_for(s, actors.mediator, reference, participant_id=relay.offender_id,
                                          version=CONFIDENTIALITY_VERSION)
    with runtime.transaction() as s:
        [recorded] = s.scalars(select(ConfidentialityAcknowledgement))
        assert (recorded.recorded_by_id, recorded.recorded_by_mediator) == (actors.mediator.id, True)
    [entry, *_] = entries(runtime, actors, reference, AuditTag.CONFIDENTIALITY_ACKNOWLEDGED)
    assert json.loads(entry.details) == {"participant_id": relay.harmed_id, "for_them": True,
                                         "wording_version": CONFIDENTIALITY_VERSION}


def test_bad_acknowledgements_are_refused_and_nothing_is_written(runtime, actors, make_case):
    reference = _prepared_without_acknowledgements(make_case)
    relay = link_accounts(runtime, actors, reference)
    with pytest.raises(InvalidInput, match=r"wording .* has changed"), runtime.transaction() as s:
        safety.acknowledge_confidentiality(s, actors.harmed_user, reference, version="confidentiality-1999")
    with pytest.raises(NotFound), runtime.transaction() as s:  # not their case
        safety.acknowledge_confidentiality(s, actors.stranger, reference, version=CONFIDENTIALITY_VERSION)
    with pytest.raises(Forbidden), runtime.transaction() as s:
        safety.acknowledge_confidentiality(s, actors.mediator, reference, version=CONFIDENTIALITY_VERSION)
    stranger = people(runtime, actors, make_case(CaseState.ASSESSMENT))[Side.HARMED].id
    with pytest.raises(NotFound, match="no such participant"), runtime.transaction() as s:
        safety.record_acknowledgement_for(s, actors.mediator, reference, participant_id=stranger,
                                          version=CONFIDENTIALITY_VERSION)
    assert rows(runtime, ConfidentialityAcknowledgement) == 0
    assert relay.harmed_id  # the accounts stay linked: the refusals above were about the input


# ---------------------------------------------------------------------------------------------------------------
# A disclosure that must be reported: sealed, audited, and the case pauses


def test_a_disclosure_is_sealed_and_pauses_the_case_in_the_same_transaction(runtime, actors, written):
    pending = written.submit(actors.offender_user)
    with runtime.transaction() as s:
        disclosure = safety.record_disclosure(s, runtime.vault, actors.mediator, written.reference,
                                              participant_id=written.offender_id, category="child_protection",
                                              note=CONCERN_NOTE)
    with runtime.transaction() as s:
        stored = s.get(Disclosure, disclosure.id)
        assert CONCERN_NOTE.encode() not in stored.sealed_details and b"child" not in stored.sealed_details
        case = find_case(s, actors.mediator, written.reference)
        assert (case.state, case.paused_from) == (CaseState.PAUSED, CaseState.DIALOGUE_WRITTEN)
    [pause] = entries(runtime, actors, written.reference, AuditTag.PAUSE)
    assert (pause.reason, pause.actor_id) == ("mandatory_report", actors.mediator.id)
    [recorded] = entries(runtime, actors, written.reference, AuditTag.DISCLOSURE_RECORDED)
    assert recorded.chain == content_chain(case.id) and CONCERN_NOTE not in recorded.details
    assert written.row(pending).state == "submitted"  # held by the pause, not lost
    with runtime.transaction() as s:
        [seen] = safety.safety_record(s, runtime.vault, actors.mediator, written.reference).disclosures
    assert (seen.category, seen.note, seen.participant_id) == ("child_protection", CONCERN_NOTE,
                                                               written.offender_id)


def test_a_disclosure_on_a_paused_case_is_recorded_without_a_second_pause(runtime, actors, make_case):
    reference = make_case(CaseState.PAUSED)
    with runtime.transaction() as s:
        safety.record_disclosure(s, runtime.vault, actors.mediator, reference, participant_id=None,
                                 category="serious_harm", note="Said she fears for her safety at home.")
    assert state_of(runtime, actors, reference) == CaseState.PAUSED
    assert len(entries(runtime, actors, reference, AuditTag.PAUSE)) == 1
    assert rows(runtime, Disclosure) == 1


@pytest.mark.parametrize(("fields", "error", "message"), [
    pytest.param({"category": None}, InvalidInput, "Choose which limit", id="no-category"),
    pytest.param({"category": "gossip"}, InvalidInput, "Choose which limit", id="unknown-category"),
    pytest.param({"note": ""}, InvalidInput, "Say in a note", id="no-note"),
    pytest.param({"note": "x" * 5001}, InvalidInput, "too long", id="overlong-note"),
    pytest.param({"participant_id": 987654}, NotFound, "no such participant", id="nonexistent-participant"),
])
def test_a_bad_disclosure_is_refused_and_nothing_is_written_nor_paused(runtime, actors, make_case, fields, error,
                                                                       message):
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    arguments = {"participant_id": None, "category": "new_offence", "note": "Spoke of a new offence."} | fields
    with pytest.raises(error, match=message), runtime.transaction() as s:
        safety.record_disclosure(s, runtime.vault, actors.mediator, reference, **arguments)
    assert rows(runtime, Disclosure) == 0
    assert state_of(runtime, actors, reference) == CaseState.DIALOGUE_WRITTEN


def test_a_disclosure_on_a_closed_case_or_by_someone_else_is_refused(runtime, actors, make_case):
    closed = make_case(CaseState.CLOSED)
    with pytest.raises(WrongState, match="open case"), runtime.transaction() as s:
        safety.record_disclosure(s, runtime.vault, actors.mediator, closed, participant_id=None,
                                 category="new_offence", note="Too late.")
    open_case = make_case(CaseState.DIALOGUE_WRITTEN)
    for outsider, error in ((actors.other_mediator, NotFound), (actors.admin, Forbidden)):
        with pytest.raises(error), runtime.transaction() as s:
            safety.record_disclosure(s, runtime.vault, outsider, open_case, participant_id=None,
                                     category="new_offence", note="Not theirs to record.")
    assert rows(runtime, Disclosure) == 0
    with runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0
        assert s.scalar(select(Case.state).where(Case.reference == open_case)) == CaseState.DIALOGUE_WRITTEN
