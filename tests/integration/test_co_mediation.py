"""Co-mediation (issue 9, part 5), on SQLite and PostgreSQL: the coordinator gives a case a second mediator and
takes them off (audited, the removed one told on their dashboard); the co-mediator sees and acts on the case like
the first (reviews a message, reads the notes, fires a trigger, plans an activity); once removed they see nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import AuditEntry, Message, NoticeKind, case_chain
from mediation.services import activities, assignment, messages, notes, notices, users, workflow
from mediation.services.lookup import find_case
from tests.integration.test_activities import later
from tests.integration.test_messages import link_accounts
from workflows.vocabulary import CaseState

NOTE = "Co-mediation note: the harmed party prefers letters"


def co_mediate(runtime, actors, reference: str, mediator=None) -> None:
    with runtime.transaction() as s:
        assignment.assign_co_mediator(s, actors.admin, reference, (mediator or actors.other_mediator).id)


def case_tags(runtime, actors, reference: str) -> list[str]:
    with runtime.transaction() as s:
        case_id = find_case(s, actors.admin, reference).id
        return list(s.scalars(select(AuditEntry.tag).where(AuditEntry.chain == case_chain(case_id))
                              .order_by(AuditEntry.seq)))


def test_the_co_mediator_sees_and_acts_on_the_case_like_the_first(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    relay = link_accounts(runtime, actors, reference)
    message_id = relay.submit(actors.harmed_user, "A first letter to him.")
    with runtime.transaction() as s:
        notes.add_assessment_note(s, runtime.vault, actors.mediator, reference, text=NOTE)
    with runtime.transaction() as s, pytest.raises(NotFound):
        find_case(s, actors.other_mediator, reference)
    co_mediate(runtime, actors, reference)
    assert case_tags(runtime, actors, reference)[-1] == AuditTag.CO_MEDIATOR_ASSIGNED
    with runtime.transaction() as s:
        messages.review(s, runtime.vault, actors.other_mediator, reference, message_id=message_id, trigger="approve")
    with runtime.transaction() as s:
        assert s.get(Message, message_id).state == "delivered"
    with runtime.transaction() as s:
        assert [n.text for n in notes.assessment_notes(s, runtime.vault, actors.other_mediator, reference)] == [NOTE]
    with runtime.transaction() as s:
        workflow.fire(s, actors.other_mediator, reference, "pause", reason="wellbeing")
    with runtime.transaction() as s:
        assert find_case(s, actors.mediator, reference).state == CaseState.PAUSED
    with runtime.transaction() as s:
        activities.plan_activity(s, runtime.vault, actors.other_mediator, reference, kind="call", duration=15,
                                 **later())


def test_the_removed_co_mediator_no_longer_sees_the_case_and_is_told(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    co_mediate(runtime, actors, reference)
    with runtime.transaction() as s:
        assignment.remove_co_mediator(s, actors.admin, reference)
    assert case_tags(runtime, actors, reference)[-1] == AuditTag.CO_MEDIATOR_REMOVED
    with runtime.transaction() as s, pytest.raises(NotFound):
        find_case(s, actors.other_mediator, reference)
    with runtime.transaction() as s, pytest.raises(NotFound):
        notes.assessment_notes(s, runtime.vault, actors.other_mediator, reference)
    with runtime.transaction() as s:
        told = notices.my_notices(s, actors.other_mediator)
    assert [(n.kind, n.reference) for n in told] == [(NoticeKind.CO_MEDIATION_ENDED, reference)]
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="has no co-mediator"):
        assignment.remove_co_mediator(s, actors.admin, reference)


def test_replacing_the_co_mediator_tells_the_one_replaced(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    with runtime.transaction() as s:
        third = users.create_user(s, None, username="mediator.three", display_name="Mediator Three",
                                  role="mediator", password=None)
    co_mediate(runtime, actors, reference)
    co_mediate(runtime, actors, reference, third)
    with runtime.transaction() as s:
        assert [n.kind for n in notices.my_notices(s, actors.other_mediator)] == [NoticeKind.CO_MEDIATION_ENDED]
        assert find_case(s, third, reference).co_mediator_id == third.id


def test_reassigning_the_mediator_to_the_co_mediator_leaves_the_case_without_one(runtime, actors,
                                                                                 make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    co_mediate(runtime, actors, reference)
    with runtime.transaction() as s:
        assignment.assign_mediator(s, actors.admin, reference, actors.other_mediator.id)
    with runtime.transaction() as s:
        case = find_case(s, actors.other_mediator, reference)
        assert case.assigned_mediator_id == actors.other_mediator.id and case.co_mediator_id is None
    with runtime.transaction() as s, pytest.raises(NotFound):
        find_case(s, actors.mediator, reference)  # the previous mediator, told like any reassignment
    with runtime.transaction() as s:
        assert [n.kind for n in notices.my_notices(s, actors.mediator)] == [NoticeKind.CASE_REASSIGNED]


def test_the_refusals(runtime, actors, make_case) -> None:
    reference = make_case(CaseState.PREPARATION)
    with runtime.transaction() as s, pytest.raises(Forbidden):
        assignment.assign_co_mediator(s, actors.mediator, reference, actors.other_mediator.id)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="already the mediator"):
        assignment.assign_co_mediator(s, actors.admin, reference, actors.mediator.id)
    for wrong in (actors.staff.id, 999_999, -1, "2", None):
        with runtime.transaction() as s, pytest.raises(InvalidInput, match="active mediator"):
            assignment.assign_co_mediator(s, actors.admin, reference, wrong)
    co_mediate(runtime, actors, reference)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="already the co-mediator"):
        assignment.assign_co_mediator(s, actors.admin, reference, actors.other_mediator.id)
    with runtime.transaction() as s, pytest.raises(Forbidden):
        assignment.remove_co_mediator(s, actors.mediator, reference)
    with runtime.transaction() as s:
        users.deactivate_user(s, actors.admin, actors.other_mediator.id)
    fresh = make_case(CaseState.PREPARATION)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="active mediator"):
        assignment.assign_co_mediator(s, actors.admin, fresh, actors.other_mediator.id)
    closed = make_case(CaseState.CLOSED)
    with runtime.transaction() as s, pytest.raises(WrongState):
        assignment.assign_co_mediator(s, actors.admin, closed, actors.other_mediator.id)
    unassigned = make_case(CaseState.REQUESTED, steps=[("unassigned", None)])
    with runtime.transaction() as s:
        third = users.create_user(s, None, username="mediator.three", display_name="Mediator Three",
                                  role="mediator", password=None)
    with runtime.transaction() as s, pytest.raises(InvalidInput, match="before a co-mediator"):
        assignment.assign_co_mediator(s, actors.admin, unassigned, third.id)
