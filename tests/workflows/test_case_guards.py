"""Each guard of the case workflow alone, through ``guard.holds(case, arguments)``, holding and not holding."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.workflows.fakes import HARMED_ID, RESPONSIBLE_ID, STRANGER_ID, FakeCase, FakeParticipant, harmed, responsible
from workflows import case_guards
from workflows.case_guards import (
    CaseFacts,
    all_consented,
    both_sides_present,
    modality_chosen,
    modality_is,
    participant_on_case,
    paused_from_is,
    requested_modality_is,
    safety_cleared,
    sentence_qualifies,
    sentence_recorded,
    was_withdrawn,
)
from workflows.engine import Guard
from workflows.vocabulary import PAUSABLE_STATES, CaseState, Consent, Modality, Outcome, ParticipantRole, Safety, Side

NOT_GIVEN = [c.value for c in Consent if c is not Consent.GIVEN]
NOT_CLEARED = [s.value for s in Safety if s is not Safety.CLEARED]


def test_the_fake_case_has_every_fact_the_guards_read():
    members = {name for name in vars(CaseFacts) if not name.startswith("_")} | set(CaseFacts.__annotations__)
    assert members == {"state", "modality", "paused_from", "outcome", "sentence_recorded", "sentence_qualifies",
                       "participant_facts", "withdrawn_from", "open_agreement_items"}
    assert all(hasattr(FakeCase(), name) for name in members)


@pytest.mark.parametrize(("recorded", "holds"), [(True, True), (False, False)])
def test_sentence_recorded(recorded, holds):
    assert sentence_recorded.holds(FakeCase(sentence_recorded=recorded)) is holds


@pytest.mark.parametrize(("recorded", "qualifies", "holds"), [
    (True, True, True),
    (True, False, False),
    (False, True, False),  # nothing recorded: nothing qualifies, whatever a stale flag says
    (False, False, False),
])
def test_sentence_qualifies_only_for_a_recorded_sentence(recorded, qualifies, holds):
    assert sentence_qualifies.holds(FakeCase(sentence_recorded=recorded, sentence_qualifies=qualifies)) is holds


@pytest.mark.parametrize(("sides", "holds"), [
    ([Side.HARMED, Side.RESPONSIBLE], True),
    ([Side.HARMED, Side.HARMED, Side.RESPONSIBLE], True),
    ([Side.RESPONSIBLE, Side.HARMED], True),
    ([Side.HARMED], False),
    ([Side.HARMED, Side.HARMED], False),
    ([Side.RESPONSIBLE], False),
    ([], False),
])
def test_both_sides_present(sides, holds):
    case = FakeCase(participant_facts=[FakeParticipant(i, side.value) for i, side in enumerate(sides)])
    assert both_sides_present.holds(case) is holds


def test_all_consented_when_everyone_gave_consent():
    assert all_consented.holds(FakeCase(participant_facts=[harmed(), responsible()]))


@pytest.mark.parametrize("consent", NOT_GIVEN)
def test_all_consented_fails_when_anyone_has_not_given_consent(consent):
    assert not all_consented.holds(FakeCase(participant_facts=[harmed(), responsible(consent=consent)]))


def test_all_consented_fails_for_a_case_with_nobody():
    assert not all_consented.holds(FakeCase(participant_facts=[]))


def test_safety_cleared_when_everyone_is_cleared():
    assert safety_cleared.holds(FakeCase(participant_facts=[harmed(), responsible()]))


@pytest.mark.parametrize("safety", NOT_CLEARED)
def test_safety_cleared_fails_when_anyone_is_not_cleared(safety):
    assert not safety_cleared.holds(FakeCase(participant_facts=[harmed(safety=safety), responsible()]))


def test_safety_cleared_fails_for_a_case_with_nobody():
    assert not safety_cleared.holds(FakeCase(participant_facts=[]))


def _supporter(**facts: object) -> FakeParticipant:
    return FakeParticipant(STRANGER_ID + 1, Side.HARMED.value, role=ParticipantRole.SUPPORT.value, **facts)


@pytest.mark.parametrize("guard", [all_consented, safety_cleared])
def test_a_support_person_outside_meetings_does_not_hold_the_dialogue_back(guard):
    waiting = _supporter(consent=Consent.PENDING.value, safety=Safety.CONCERNS.value)
    assert guard.holds(FakeCase(participant_facts=[harmed(), responsible(), waiting]))


@pytest.mark.parametrize(("guard", "facts"), [(all_consented, {"consent": Consent.PENDING.value}),
                                              (safety_cleared, {"safety": Safety.CONCERNS.value})])
def test_a_support_person_who_takes_part_in_meetings_gates_the_dialogue(guard, facts):
    joining = _supporter(takes_part_in_meetings=True, **facts)
    assert not guard.holds(FakeCase(participant_facts=[harmed(), responsible(), joining]))


def test_a_support_person_does_not_stand_for_the_side_they_are_on():
    case = FakeCase(participant_facts=[responsible(), _supporter()])
    assert not both_sides_present.holds(case)


@pytest.mark.parametrize(("modality", "holds"), [*[(m.value, True) for m in Modality], (None, False)])
def test_modality_chosen(modality, holds):
    assert modality_chosen.holds(FakeCase(modality=modality)) is holds


@pytest.mark.parametrize(("outcome", "holds"), [*[(o.value, o is Outcome.WITHDRAWN) for o in Outcome], (None, False)])
def test_was_withdrawn(outcome, holds):
    assert was_withdrawn.holds(FakeCase(outcome=outcome)) is holds


@pytest.mark.parametrize(("arguments", "holds"), [
    ({"participant_id": HARMED_ID}, True),
    ({"participant_id": RESPONSIBLE_ID}, True),
    ({"participant_id": STRANGER_ID}, False),
    ({"participant_id": None}, False),
    ({}, False),
    (None, False),
])
def test_participant_on_case(arguments, holds):
    assert participant_on_case.holds(FakeCase(), arguments) is holds


@pytest.mark.parametrize("wanted", list(Modality))
@pytest.mark.parametrize("chosen", [*Modality, None])
def test_modality_is(wanted, chosen):
    case = FakeCase(modality=chosen.value if chosen else None)
    assert modality_is(wanted).holds(case) is (chosen is wanted)


@pytest.mark.parametrize("wanted", list(Modality))
@pytest.mark.parametrize("asked", [*Modality, None])
def test_requested_modality_is_reads_the_arguments_not_the_case(wanted, asked):
    case = FakeCase(modality=wanted.value)  # the case's own modality is irrelevant
    arguments = {"modality": asked.value} if asked else {}
    assert requested_modality_is(wanted).holds(case, arguments) is (asked is wanted)


@pytest.mark.parametrize("wanted", PAUSABLE_STATES)
@pytest.mark.parametrize("origin", [*PAUSABLE_STATES, None])
def test_paused_from_is(wanted, origin):
    case = FakeCase(state=CaseState.PAUSED.value, paused_from=origin.value if origin else None)
    assert paused_from_is(wanted).holds(case) is (origin is wanted)


def test_guard_factories_return_one_guard_per_value_with_a_readable_name():
    assert modality_is(Modality.VIDEO) is modality_is(Modality.VIDEO)
    assert requested_modality_is(Modality.RELAY) is requested_modality_is(Modality.RELAY)
    assert paused_from_is(CaseState.CLOSING) is paused_from_is(CaseState.CLOSING)
    assert modality_is(Modality.VIDEO).name == "modality_is_video"
    assert requested_modality_is(Modality.RELAY).name == "requested_modality_is_relay"
    assert paused_from_is(CaseState.CLOSING).name == "paused_from_closing"


def test_only_the_guards_that_read_the_arguments_say_so():
    fixed = [g for g in vars(case_guards).values() if isinstance(g, Guard)]
    assert {g.name for g in fixed if g.uses_arguments} == {"participant_on_case", "modality_changes"}
    assert requested_modality_is(Modality.WRITTEN).uses_arguments
    assert not modality_is(Modality.WRITTEN).uses_arguments
    assert not paused_from_is(CaseState.ASSESSMENT).uses_arguments


def test_every_guard_explains_itself():
    fixed = [g for g in vars(case_guards).values() if isinstance(g, Guard)]
    assert len(fixed) == 10
    assert all(g.name and g.explanation for g in fixed)


def test_a_guard_called_by_the_machine_reads_the_model_and_the_event_arguments():
    event = SimpleNamespace(model=FakeCase(), kwargs={"participant_id": HARMED_ID})
    assert participant_on_case(event)  # type: ignore[arg-type]
    assert not participant_on_case(SimpleNamespace(model=FakeCase(), kwargs={}))  # type: ignore[arg-type]
