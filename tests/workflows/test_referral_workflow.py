"""The referral workflow (referral-1): every transition and guard, consent that covers each shared field, the
partner's view of the fields, withdrawal by either side, and the vocabularies' refusals."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from workflows.errors import GuardNotMet, InvalidArguments, TriggerNotAllowed, UnknownWorkflowVersion
from workflows.referral_workflow import (
    COMPLETION_OUTCOMES,
    DECLINE_REASONS,
    END_OUTCOMES,
    OPEN_STATES,
    REFERRAL_WORKFLOW,
    SERVICE_KINDS,
    WITH_PARTNER,
    ReferralState,
    check_choice,
    check_fields,
    fields_for_partner,
    fields_without_consent,
    referral_workflow,
)
from workflows.words import Words

S = ReferralState


@dataclass
class FakeReferral:
    """By default: a draft to a partner offering the service, sharing name and contact, both consented."""

    state: str = S.DRAFT.value
    outcome: str | None = None
    withdrawn_by: str | None = None
    service_offered: bool = True
    shared_fields: frozenset[str] = field(default_factory=lambda: frozenset({"name", "contact"}))
    consented_fields: frozenset[str] = field(default_factory=lambda: frozenset({"name", "contact", "language"}))
    consent_active: bool = True


def fire(referral: FakeReferral, trigger: str, **arguments) -> str:
    return referral_workflow().fire(referral, trigger, **arguments)


def test_a_referral_goes_from_draft_to_completed_with_its_outcome() -> None:
    referral = FakeReferral()
    for trigger, state in (("send", S.SENT), ("accept", S.ACCEPTED), ("start", S.IN_PROGRESS)):
        assert fire(referral, trigger) == state
    assert fire(referral, "complete", reason="goal_met") == S.COMPLETED
    assert referral.outcome == "goal_met"
    assert S.COMPLETED in REFERRAL_WORKFLOW.final_states


def test_a_partner_declines_with_a_reason_from_the_vocabulary_only() -> None:
    referral = FakeReferral(state=S.SENT.value)
    with pytest.raises(InvalidArguments):
        fire(referral, "decline")
    with pytest.raises(InvalidArguments):
        fire(referral, "decline", reason="too busy")
    assert fire(referral, "decline", reason=DECLINE_REASONS[0]) == S.DECLINED
    assert referral.outcome == DECLINE_REASONS[0]


@pytest.mark.parametrize("source", [S.ACCEPTED, S.IN_PROGRESS])
def test_an_accepted_referral_can_end_with_an_outcome(source: ReferralState) -> None:
    referral = FakeReferral(state=source.value)
    assert fire(referral, "end", reason=END_OUTCOMES[1]) == S.ENDED
    assert referral.outcome == END_OUTCOMES[1]


def test_completion_needs_an_outcome_of_its_own_vocabulary() -> None:
    referral = FakeReferral(state=S.IN_PROGRESS.value)
    with pytest.raises(InvalidArguments):
        fire(referral, "complete", reason="moved_away")  # an end outcome, not a completion one
    assert fire(referral, "complete", reason=COMPLETION_OUTCOMES[1]) == S.COMPLETED


def test_accepting_twice_is_refused_and_names_what_can_happen() -> None:
    referral = FakeReferral(state=S.SENT.value)
    fire(referral, "accept")
    with pytest.raises(TriggerNotAllowed) as refused:
        fire(referral, "accept")
    assert "start" in str(refused.value)


def test_a_referral_to_a_partner_without_the_service_is_not_sent() -> None:
    referral = FakeReferral(service_offered=False)
    with pytest.raises(GuardNotMet) as refused:
        fire(referral, "send")
    assert "does not offer this kind of help" in str(refused.value)
    assert referral.state == S.DRAFT


def test_sharing_a_field_without_consent_is_refused_and_names_the_field() -> None:
    referral = FakeReferral(shared_fields=frozenset({"name", "risk_summary"}))
    assert fields_without_consent(referral) == {"risk_summary"}
    with pytest.raises(GuardNotMet) as refused:
        fire(referral, "send")
    assert "risk_summary" in str(refused.value) and "name" not in str(refused.value).split(":")[-1]
    assert referral.state == S.DRAFT


def test_a_draft_whose_consent_was_withdrawn_cannot_be_sent() -> None:
    referral = FakeReferral(consent_active=False)
    with pytest.raises(GuardNotMet) as refused:
        fire(referral, "send")
    assert "withdrawn their consent" in str(refused.value)


@pytest.mark.parametrize("state", list(S))
def test_the_partner_reads_consented_fields_only_while_it_has_the_referral(state: ReferralState) -> None:
    referral = FakeReferral(state=state.value, shared_fields=frozenset({"name", "contact"}))
    expected = {"name", "contact"} if state in WITH_PARTNER else set()
    assert fields_for_partner(referral) == expected


def test_withdrawn_consent_hides_every_field_from_the_partner_from_then_on() -> None:
    referral = FakeReferral(state=S.IN_PROGRESS.value)
    assert fields_for_partner(referral) == {"name", "contact"}
    referral.consent_active = False
    assert fields_for_partner(referral) == set()
    assert fire(referral, "complete", reason="goal_met") == S.COMPLETED  # the work itself may still finish


@pytest.mark.parametrize("state", [s for s in OPEN_STATES if s in WITH_PARTNER])
@pytest.mark.parametrize("side", ["referring", "receiving"])
def test_either_side_withdraws_once_the_partner_has_it(state: ReferralState, side: str) -> None:
    referral = FakeReferral(state=state.value)
    assert fire(referral, "withdraw", side=side) == S.WITHDRAWN
    assert referral.withdrawn_by == side


def test_only_the_referring_worker_withdraws_a_draft() -> None:
    referral = FakeReferral()
    with pytest.raises(GuardNotMet) as refused:
        fire(referral, "withdraw", side="receiving")
    assert "has not received this referral yet" in str(refused.value)
    with pytest.raises(InvalidArguments):
        fire(referral, "withdraw", side="someone")
    assert fire(referral, "withdraw", side="referring") == S.WITHDRAWN


@pytest.mark.parametrize("state", [s for s in S if s not in OPEN_STATES])
def test_nothing_moves_a_referral_that_is_over(state: ReferralState) -> None:
    assert referral_workflow().triggers_from(state.value) == ()


def test_the_vocabularies_refuse_unknown_codes_with_the_choices() -> None:
    assert check_choice("housing", SERVICE_KINDS, Words("kind of help")) == "housing"
    with pytest.raises(InvalidArguments) as refused:
        check_choice("astrology", SERVICE_KINDS, Words("kind of help"))
    assert "housing" in str(refused.value) and "astrology" in str(refused.value)
    assert check_fields(["name", "contact"]) == {"name", "contact"}
    with pytest.raises(InvalidArguments):
        check_fields(["name", "shoe_size"])
    with pytest.raises(InvalidArguments):
        check_choice(None, SERVICE_KINDS, Words("kind of help"))


def test_an_unknown_version_is_refused_and_a_version_has_one_machine() -> None:
    assert referral_workflow() is referral_workflow("referral-1")
    with pytest.raises(UnknownWorkflowVersion):
        referral_workflow("referral-0")
