"""The list services on both databases: keyset pages walked both ways, in step order, filtered, strictly parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from mediation.db import utcnow
from mediation.demo import DEMO_REQUEST
from mediation.errors import InvalidInput
from mediation.models import Case, Origin
from mediation.services import intake, messages, queries, users
from mediation.services.listing import ListQuery, Page, parse_list_query
from workflows.vocabulary import CaseState

STATES = (CaseState.CLOSED, CaseState.REQUESTED, CaseState.PAUSED, CaseState.ASSESSMENT, CaseState.REQUESTED,
          CaseState.DIALOGUE_WRITTEN, CaseState.ASSESSMENT)


def walk(fetch: Callable[[ListQuery], Page[Any]], parts: Any, size: int = 2,
         **options: Any) -> tuple[list[Any], list[Any]]:
    """Every item, page by page forward from the first page, then backward from the last page."""
    def query(args: dict[str, str]) -> ListQuery:
        return parse_list_query(args, size=size, key=parts, **options)

    page = fetch(query({}))
    forward = list(page.items)
    while page.next_after:
        page = fetch(query({"after": page.next_after}))
        assert len(page.items) <= size
        forward += page.items
    backward = list(page.items)
    while page.previous_before:
        page = fetch(query({"before": page.previous_before}))
        assert len(page.items) == size  # a page before another is always full
        backward = page.items + backward
    return forward, backward


def test_the_case_list_walks_in_step_order_then_activity_on_both_databases(runtime, actors, make_case):
    made = [make_case(state) for state in STATES]
    with runtime.transaction() as s:  # two cases in one step, the older activity first
        s.execute(update(Case).where(Case.reference == made[4]).values(updated_at=utcnow() - timedelta(days=3)))
        known = {c.reference: (queries.STEP_ORDER[c.state], c.updated_at, c.id) for c in s.scalars(select(Case))}

    def fetch(query: ListQuery) -> Page[Any]:
        with runtime.transaction() as s:
            return queries.case_list(s, actors.admin, query, stale_days=14)

    forward, backward = walk(fetch, queries.CASE_KEY, fields=queries.CASE_FILTERS, search="reference")
    references = [c.reference for c in forward]
    assert references == sorted(made, key=lambda r: known[r])
    assert [c.reference for c in backward] == references
    assert references.index(made[4]) < references.index(made[1])  # same step: the quieter case first
    assert [c.state for c in forward][:3] == ["requested", "requested", "assessment"]


def test_case_list_filters_on_both_databases(runtime, actors, make_case):
    requested, assessment = make_case(CaseState.REQUESTED), make_case(CaseState.ASSESSMENT)
    unassigned = make_case(steps=[("unassigned", None)], origin=Origin.OFFENDER_REQUEST)
    with runtime.transaction() as s:
        s.execute(update(Case).where(Case.reference == assessment).values(updated_at=utcnow() - timedelta(days=30)))

    def listed(actor: Any = None, **args: str) -> list[str]:
        query = parse_list_query(args, size=10, key=queries.CASE_KEY, fields=queries.CASE_FILTERS, search="reference")
        with runtime.transaction() as s:
            return [c.reference for c in queries.case_list(s, actor or actors.admin, query, stale_days=14).items]

    assert set(listed(state="requested")) == {requested, unassigned}
    assert listed(mediator="none") == [unassigned]
    assert listed(mediator=str(actors.mediator.id)) == [requested, assessment]
    assert listed(stale="1") == [assessment]
    assert listed(actors.mediator, stale="1") == [assessment]
    assert listed(actors.other_mediator, stale="1") == []
    assert listed(q=assessment.lower()) == [assessment]
    assert set(listed(q=assessment[:9])) == {requested, assessment, unassigned}
    day = (utcnow() - timedelta(days=30)).date().isoformat()
    assert listed(updated_from=day, updated_to=day) == [assessment]
    with runtime.transaction() as s:
        counts = queries.step_counts(s, actors.mediator, stale_days=14)
    assert (counts.by_step, counts.stale) == ([("requested", 1), ("assessment", 1)], 1)


def test_the_other_lists_walk_both_ways_on_both_databases(runtime, actors, make_case, open_written_dialogue):
    referred = [make_case(steps=[("unassigned", None)], origin=Origin.OFFENDER_REQUEST) for _ in range(3)]

    def referrals(query: ListQuery) -> Page[Any]:
        with runtime.transaction() as s:
            return intake.list_referrals(s, actors.staff, query)

    forward, backward = walk(referrals, intake.REFERRAL_KEY, fields=intake.REFERRAL_FILTERS, search="reference")
    assert [r.reference for r in forward] == referred[::-1] and backward == forward

    def accounts(query: ListQuery) -> Page[Any]:
        with runtime.transaction() as s:
            return users.list_accounts(s, actors.admin, query)

    forward, backward = walk(accounts, users.ACCOUNT_KEY, search="username")
    assert [(u.role, u.username) for u in forward] == sorted((u.role, u.username) for u in forward)
    assert len(forward) == 8 and [u.id for u in backward] == [u.id for u in forward]

    with runtime.transaction() as s:
        held = [intake.submit_harmed_party_request(s, runtime.vault, "victim", DEMO_REQUEST).id for _ in range(3)]

    def requests(query: ListQuery) -> Page[Any]:
        with runtime.transaction() as s:
            return intake.pending_requests(s, actors.admin, query)

    forward, backward = walk(requests, intake.REQUEST_KEY)
    assert [r.id for r in forward] == held and [r.id for r in backward] == held

    waiting = open_written_dialogue(3)

    def queue(query: ListQuery) -> Page[Any]:
        with runtime.transaction() as s:
            return messages.awaiting_review(s, actors.mediator, query)

    forward, backward = walk(queue, messages.REVIEW_KEY, fields=messages.REVIEW_FILTERS, search="reference")
    assert [m.message_id for m in forward] == waiting and backward == forward


@pytest.fixture
def open_written_dialogue(runtime, actors, make_case) -> Callable[[int], list[str]]:
    """A written dialogue with ``count`` messages submitted by the harmed party; their ids, oldest first."""
    from mediation.services.lookup import find_case

    def make(count: int) -> list[str]:
        reference = make_case(CaseState.DIALOGUE_WRITTEN)
        with runtime.transaction() as s:
            harmed = find_case(s, actors.mediator, reference).participants[0]
            harmed.user_id = actors.harmed_user.id
        ids = []
        for number in range(count):
            with runtime.transaction() as s:
                ids.append(messages.submit_message(s, runtime.vault, actors.harmed_user, reference,
                                                   text=f"Words {number}").id)
        return ids

    return make


@pytest.mark.parametrize(("args", "message"), [
    ({"state": "nowhere"}, "Unknown step"), ({"created_to": "2026-13-01"}, "does not exist"),
    ({"after": "1~2"}, "not valid"), ({"q": "RO_2026"}, "Search by case reference"),
])
def test_a_malformed_filter_is_refused_with_what_was_expected(args, message):
    with pytest.raises(InvalidInput, match=message):
        parse_list_query(args, size=10, key=queries.CASE_KEY, fields=queries.CASE_FILTERS, search="reference")
