"""Who may see and do what (DESIGN.md section 3), asked of the services, never of a view."""

from __future__ import annotations

import pytest

from mediation.errors import Forbidden, NotFound
from mediation.models import Origin
from mediation.services import intake, queries, sentences, users, workflow
from mediation.services.listing import ListQuery
from mediation.services.lookup import find_case
from workflows.vocabulary import CaseState


@pytest.fixture
def dialogue(runtime, actors, make_case):
    """A written dialogue whose two participants have portal accounts."""
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        harmed, offender = case.participants
        harmed.user_id, offender.user_id = actors.harmed_user.id, actors.offender_user.id
        return reference, harmed.id, offender.id


@pytest.mark.parametrize("who", ["other_mediator", "stranger", "other_staff"])
def test_a_case_outside_ones_own_is_not_found_rather_than_forbidden(runtime, actors, dialogue, who):
    reference, *_ = dialogue
    with pytest.raises(NotFound, match=f"No case {reference}"), runtime.transaction() as session:
        workflow.fire(session, getattr(actors, who), reference, "pause", reason="wellbeing")


@pytest.mark.parametrize("who", ["admin", "harmed_user", "offender_user"])
def test_roles_that_see_a_case_but_may_not_move_it_are_forbidden(runtime, actors, dialogue, who):
    reference, *_ = dialogue
    with pytest.raises(Forbidden), runtime.transaction() as session:
        workflow.fire(session, getattr(actors, who), reference, "pause", reason="wellbeing")


def test_referring_staff_cannot_act_on_their_own_referral(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT, origin=Origin.OFFENDER_REQUEST)
    with pytest.raises(Forbidden), runtime.transaction() as session:
        workflow.fire(session, actors.staff, reference, "pause", reason="wellbeing")
    with pytest.raises(Forbidden), runtime.transaction() as session:
        sentences.record_sentence(session, actors.staff, reference, "life")
    with runtime.transaction() as session:
        assert workflow.available_actions(session, actors.staff, reference) == []


def test_a_participant_may_withdraw_only_themselves(runtime, actors, dialogue):
    reference, _, offender_id = dialogue
    with pytest.raises(Forbidden, match="only withdraw yourself"), runtime.transaction() as session:
        workflow.fire(session, actors.harmed_user, reference, "withdraw", reason="participant_choice",
                      participant_id=offender_id)
    with runtime.transaction() as session:
        case = workflow.fire(session, actors.offender_user, reference, "withdraw", reason="participant_choice")
    assert case.withdrawn_by_participant_id == offender_id


def test_each_role_is_offered_exactly_the_triggers_it_may_fire_now(runtime, actors, dialogue):
    reference, *_ = dialogue
    with runtime.transaction() as session:
        mediator = {a.trigger for a in workflow.available_actions(session, actors.mediator, reference)}
        participant = [a.trigger for a in workflow.available_actions(session, actors.harmed_user, reference)]
        admin = workflow.available_actions(session, actors.admin, reference)
    assert mediator == {"change_modality", "conclude", "pause", "withdraw"}
    assert participant == ["withdraw"]
    assert admin == []


def test_offered_actions_say_what_they_wait_for(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        options = {a.trigger: a for a in workflow.available_actions(session, actors.mediator, reference)}
    assert set(options) == {"prepare", "decline", "pause", "withdraw"}
    assert not options["prepare"].ready
    assert "not every participant has given consent" in [str(words) for words in options["prepare"].waiting_for]
    assert options["pause"].ready and "wellbeing" in options["pause"].reasons
    assert options["decline"].choices["outcome"] == ("declined", "unsuitable")


def listed(session, actor) -> list[str]:
    return [c.reference for c in queries.case_list(session, actor, ListQuery(size=50), stale_days=14).items]


def test_case_lists_are_scoped_to_the_actor(runtime, actors, make_case):
    mine = make_case(CaseState.ASSESSMENT)
    referred = make_case(steps=[("unassigned", None)], origin=Origin.OFFENDER_REQUEST)
    with runtime.transaction() as session:
        assert set(listed(session, actors.admin)) == {mine, referred}
        assert listed(session, actors.mediator) == [mine]
        assert listed(session, actors.other_mediator) == []
        assert [r.reference for r in intake.list_referrals(session, actors.staff, ListQuery(size=50)).items] == [
            referred]
    for outsider in (actors.staff, actors.stranger):  # the case list is not theirs: staff see referrals only
        with pytest.raises(Forbidden), runtime.transaction() as session:
            listed(session, outsider)


def test_a_deactivated_mediator_loses_access_at_once(runtime, actors, make_case):
    reference = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as session:
        users.deactivate_user(session, actors.admin, actors.mediator.id)
    actors.mediator.is_active = False  # what the next request's user loader would see
    with pytest.raises(NotFound), runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "pause", reason="wellbeing")
    with pytest.raises(Forbidden), runtime.transaction() as session:
        listed(session, actors.mediator)
