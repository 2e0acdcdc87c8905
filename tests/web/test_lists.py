"""Every list, through the pages each role uses: pages of a fixed size in the workflow's step order, search and
filters, strict parsing of what the address carries, and a number of SQL statements per page that does not grow
with the number of cases."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from mediation.db import utcnow
from mediation.demo import DEMO_REFERRAL, DEMO_REQUEST, build_case, path_to
from mediation.models import Case, Origin, User
from mediation.runtime import Runtime
from mediation.services import intake, messages, users, workflow
from mediation.services.queries import STEP_ORDER
from tests.web.conftest import Browser, World, page_text
from workflows.case_workflow import CASE_WORKFLOW
from workflows.vocabulary import CaseState, Modality

REFERENCE = re.compile(r"RO-\d{4}-\d{5}")
NEXT = re.compile(r'<a rel="next" href="([^"]+)" aria-label="Next page of [^"]+">Next page</a>')
PREVIOUS = re.compile(r'<a rel="prev" href="([^"]+)" aria-label="Previous page of [^"]+">Previous page</a>')


@pytest.fixture
def small_pages(fresh_app: Flask, world: World) -> Callable[[str | None], Browser]:
    """Browsers on an app whose lists show three rows a page."""
    fresh_app.config["PAGE_SIZE"] = 3

    def make(key: str | None = None) -> Browser:
        browser = Browser(fresh_app.test_client(), world)
        return browser.sign_in(key) if key else browser

    return make


def rows(page: str, pattern: re.Pattern[str] = re.compile(r'<td class="reference">(RO-\d{4}-\d{5})</td>')) -> list[str]:
    return pattern.findall(page)


def link(pattern: re.Pattern[str], page: str) -> str | None:
    found = pattern.search(page)
    return html.unescape(found.group(1)) if found else None


def walk(browser: Browser, start: str, found: Callable[[str], list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """Follow the next links from ``start`` to the end, then the previous links back; the pages seen each way."""
    forward: list[list[str]] = []
    path: str | None = start
    page = ""
    while path is not None:
        response = browser.get(path)
        assert response.status_code == 200, path
        page = page_text(response)
        forward.append(found(page))
        path = link(NEXT, page)
        assert len(forward) < 50, "the pages never end"
    backward = [forward[-1]]
    path = link(PREVIOUS, page)
    while path is not None:
        page = page_text(browser.get(path))
        backward.append(found(page))
        path = link(PREVIOUS, page)
    return forward, backward[::-1]


def facts(runtime: Runtime) -> dict[str, tuple[str, Any, int | None]]:
    with runtime.transaction() as s:
        return {c.reference: (c.state, c.updated_at, c.assigned_mediator_id) for c in s.scalars(select(Case))}


def step_then_activity(runtime: Runtime, references: list[str]) -> list[str]:
    known = facts(runtime)
    return sorted(references, key=lambda r: (STEP_ORDER[known[r][0]], known[r][1], r))


# --- the coordinator's cases ----------------------------------------------------------------------------------


def test_the_step_order_comes_from_the_workflow_definition() -> None:
    assert list(STEP_ORDER) == [str(state) for state in CASE_WORKFLOW.states]


def test_the_coordinators_cases_come_in_pages_in_step_order_both_ways(small_pages, world: World,
                                                                      web_runtime: Runtime) -> None:
    forward, backward = walk(small_pages("admin"), "/admin/", rows)
    cases = len(facts(web_runtime))
    assert [len(page) for page in forward] == [3] * (cases // 3) + ([cases % 3] if cases % 3 else [])
    every = [reference for page in forward for reference in page]
    assert every == step_then_activity(web_runtime, list(facts(web_runtime)))
    assert backward == forward
    first = page_text(small_pages("admin").get("/admin/"))
    assert '<nav class="pager" aria-label="Pages of the list of cases">' in first
    assert "First page" not in first and "Previous page" not in first  # nothing before the first page


def test_the_coordinator_searches_and_filters_the_cases(browser_for, world: World, web_runtime: Runtime) -> None:
    admin = browser_for("admin")

    def listed(query: str) -> set[str]:
        response = admin.get(f"/admin/?{query}")
        assert response.status_code == 200, page_text(response)[:500]
        return set(rows(page_text(response)))

    known = facts(web_runtime)
    assert listed(f"q={world.own.lower()}") == {world.own}  # the whole reference, any case
    year_prefix = world.own[:8]
    assert listed(f"q={year_prefix}") == set(known)
    assert listed("state=requested") == {r for r, (state, *_) in known.items() if state == "requested"}
    assert listed("mediator=none") == {world.new_referral, world.other_referral}
    assert listed(f"mediator={world.users['other_mediator']}") == {world.other, world.taken_away}
    assert listed("state=requested&mediator=none") == {world.new_referral, world.other_referral}
    today = utcnow().date()
    assert listed(f"created_from={today}&created_to={today}") == set(known)
    assert listed(f"updated_from={today + timedelta(days=1)}") == set()
    assert "No case matches these filters." in page_text(admin.get(f"/admin/?updated_to={today - timedelta(days=1)}"))
    kept = page_text(admin.get("/admin/?state=assessment&q=RO-"))
    assert '<option value="assessment" selected>' in kept and 'value="RO-"' in kept  # the form keeps the filters


# --- the mediator's dashboard and review queue --------------------------------------------------------------------


def test_the_dashboard_shows_what_needs_attention_as_counts_that_link_to_the_filtered_list(
        browser_for, world: World, web_runtime: Runtime) -> None:
    mediator = browser_for("mediator")
    with web_runtime.transaction() as s:
        workflow.fire(s, s.get(User, world.users["mediator"]), world.own_relay, "pause", reason="wellbeing")
    with web_runtime.transaction() as s:
        s.execute(update(Case).where(Case.reference == world.own_assessment)
                  .values(updated_at=utcnow() - timedelta(days=40)))
    board = page_text(mediator.get("/mediator/"))
    assert re.search(r'<a href="/mediator/reviews">Messages awaiting review: 1</a>', board)
    assert '<a href="/mediator/?state=paused">Paused cases: 1</a>' in board
    assert '<a href="/mediator/?stale=1">No activity for 14 days: 1</a>' in board
    assert '<a href="/mediator/?state=dialogue_written">dialogue, in writing: 1</a>' in board
    assert set(rows(page_text(mediator.get("/mediator/?state=paused")), re.compile(r">(RO-\d{4}-\d{5})</a>"))) == {
        world.own_relay}
    stale = page_text(mediator.get("/mediator/?stale=1"))
    assert set(rows(stale, re.compile(r">(RO-\d{4}-\d{5})</a>"))) == {world.own_assessment}
    assert world.other not in board  # another mediator's case is never counted or listed


def test_the_mediators_cases_come_in_pages_and_never_include_anothers(small_pages, world: World,
                                                                       web_runtime: Runtime) -> None:
    linked = re.compile(r'<td><a href="/mediator/cases/(RO-\d{4}-\d{5})">')
    forward, backward = walk(small_pages("mediator"), "/mediator/", linked.findall)
    mine = [world.own, world.own_requested, world.own_assessment, world.own_relay, world.own_video,
            world.handed_over, world.own_withdrawn, world.own_face, world.own_closed, world.co_mediated,
            world.own_closing]
    assert [r for page in forward for r in page] == step_then_activity(web_runtime, mine)
    assert backward == forward


def test_the_review_queue_pages_oldest_first_and_filters_by_case(small_pages, world: World,
                                                                 web_runtime: Runtime) -> None:
    with web_runtime.transaction() as s:
        harmed = s.get(User, world.users["harmed"])
    submitted = [world.pending]
    for number in range(4):
        with web_runtime.transaction() as s:
            on = world.own_video if number % 2 else world.own
            if on == world.own_video:
                continue
            submitted.append(messages.submit_message(s, web_runtime.vault, harmed, on, text=f"Note {number}").id)
    linked = re.compile(r'href="/mediator/cases/(RO-\d{4}-\d{5})/messages"')
    mediator = small_pages("mediator")
    forward, backward = walk(mediator, "/mediator/reviews", linked.findall)
    assert [len(page) for page in forward] == [3]
    assert backward == forward
    assert rows(page_text(mediator.get(f"/mediator/reviews?q={world.own_video}")), linked) == []
    assert "No message matches these filters." in page_text(mediator.get("/mediator/reviews?state=closed"))
    assert len(rows(page_text(mediator.get("/mediator/reviews?state=dialogue_written")), linked)) == 3
    other = page_text(small_pages("other_mediator").get("/mediator/reviews"))
    assert world.own not in other


# --- referring staff and accounts ---------------------------------------------------------------------------------


def test_referrals_come_in_pages_newest_first_and_filter_by_what_staff_may_know(small_pages, world: World,
                                                                               web_runtime: Runtime) -> None:
    with web_runtime.transaction() as s:
        staff = s.get(User, world.users["staff"])
    made = []
    for _ in range(3):
        with web_runtime.transaction() as s:
            made.append(intake.forward_offender_request(s, web_runtime.vault, staff, referral=DEMO_REFERRAL,
                                                        willing_to_take_responsibility=True).reference)
    officer = small_pages("staff")
    forward, backward = walk(officer, "/staff/", rows)
    assert [r for page in forward for r in page] == [*made[::-1], world.new_referral, world.own]
    assert backward == forward
    assert rows(page_text(officer.get("/staff/?status=acknowledged"))) == [world.own]
    assert rows(page_text(officer.get("/staff/?status=received"))) == made[::-1]  # the first page of four
    assert rows(page_text(officer.get(f"/staff/?q={world.other_referral}"))) == []  # not theirs
    refused = officer.get("/staff/?state=closed&mediator=1&stale=1")  # filters staff do not have are ignored
    assert refused.status_code == 200


def test_the_coordinator_searches_and_pages_through_accounts(small_pages, world: World) -> None:
    admin = small_pages("admin")
    usernames = re.compile(r"<tr><td>([a-z0-9._-]+)</td>")
    forward, backward = walk(admin, "/admin/accounts", usernames.findall)
    every = [u for page in forward for u in page]
    assert sorted(every) == sorted(world.usernames.values())
    assert backward == forward
    assert usernames.findall(page_text(admin.get("/admin/accounts?q=MEDIATOR"))) == ["mediator.one", "mediator.two"]
    assert usernames.findall(page_text(admin.get("/admin/accounts?role=staff"))) == ["officer.one", "officer.two"]
    assert usernames.findall(page_text(admin.get("/admin/accounts?role=admin&status=active"))) == ["coordinator"]


# --- strict parsing -------------------------------------------------------------------------------------------


LISTS = {"/admin/": "admin", "/admin/accounts": "admin", "/admin/requests": "admin", "/mediator/": "mediator",
         "/mediator/reviews": "mediator", "/staff/": "staff"}
BAD = [
    ("state=bogus", "Unknown step 'bogus'"),
    ("created_from=2026-02-30", "does not exist"),
    ("updated_to=yesterday", "must look like 2026-03-31"),
    ("submitted_from=31/12/2026", "must look like 2026-03-31"),
    ("created_from=2026-05-02&created_to=2026-05-01", "is after the created to date"),
    ("after=garbage", "This page link is not valid"),
    ("before=1~2", "This page link is not valid"),
    ("after=9~99999999999999999~1", "This page link is not valid"),
    ("after=1~1~1&before=1~1~1", "not both"),
    ("q=%3Cscript%3Ealert(1)%3C/script%3E", "Search by"),
    ("q=" + "R" * 60, "Search by"),
    ("mediator=abc", "Choose a mediator"),
    ("mediator=99999999999", "Choose a mediator"),
    ("stale=2", "'stale' is 1"),
    ("status=maybe", "Unknown status 'maybe'"),
    ("role=emperor", "Unknown role 'emperor'"),
]


@pytest.mark.parametrize("path", list(LISTS))
def test_garbage_in_a_list_address_is_a_clear_400_or_ignored_never_a_500(browser_for, path: str) -> None:
    browser = browser_for(LISTS[path])
    for query, message in BAD:
        response = browser.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        if response.status_code == 400:
            assert message in html.unescape(page_text(response)), (path, query)
            assert "That is not possible" in page_text(response)
    for junk in ("after=%00", "q=%F0%9F%99%82", "state=" + "x" * 5000, "after=" + "9~" * 400 + "9", "q=' OR 1=1--"):
        assert browser.get(f"{path}?{junk}").status_code in (200, 400), (path, junk)


def test_a_filter_a_list_does_not_have_is_ignored_and_one_it_has_is_checked(browser_for) -> None:
    admin = browser_for("admin")
    assert admin.get("/admin/accounts?state=bogus").status_code == 200  # accounts have no step
    assert admin.get("/admin/?state=bogus").status_code == 400


@pytest.mark.parametrize("path", list(LISTS))
def test_a_page_past_the_end_is_empty_and_leads_back_to_the_first(browser_for, path: str) -> None:
    far = "4102444800000000"  # 2100-01-01 in microseconds
    key = {"/admin/accounts": "zzzz~zzzz", "/mediator/reviews": f"{far}~zzzz", "/admin/requests": f"{far}~2147483647",
           "/staff/": "1~1"}.get(path, f"9~{far}~2147483647")
    response = browser_for(LISTS[path]).get(f"{path}?after={key}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Nothing is on this page" in text
    assert f'<a href="{path}">Go to the first page</a>' in text


# --- a bounded number of statements per page ---------------------------------------------------------------------


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def grow(runtime: Runtime, world: World, rounds: int) -> None:
    """More of everything the lists show: cases in every step, referrals, messages, requests, accounts."""
    with runtime.transaction() as s:
        admin, mediator, staff, harmed = (s.get(User, world.users[k]) for k in ("admin", "mediator", "staff",
                                                                                 "harmed"))
    for number in range(rounds):
        for state in (CaseState.REQUESTED, CaseState.ASSESSMENT, CaseState.PAUSED, CaseState.CLOSED):
            build_case(runtime, admin, mediator, staff, steps=path_to(state, Modality.WRITTEN),
                       origin=Origin.OFFENDER_REQUEST if number % 2 else Origin.HARMED_PARTY_REQUEST)
        with runtime.transaction() as s:
            messages.submit_message(s, runtime.vault, harmed, world.own, text=f"More words {number}")
        with runtime.transaction() as s:
            intake.submit_harmed_party_request(s, runtime.vault, "victim", DEMO_REQUEST)
        with runtime.transaction() as s:
            users.create_user(s, None, username=f"extra.{number}", display_name="Extra", role="mediator",
                              password=None)


DASHBOARDS = ("/mediator/", "/mediator/?stale=1")
SMALL_PAGE = 3  # the page size small_pages sets
PAGES = {"/admin/": "admin", "/admin/?state=requested&mediator=none": "admin", "/admin/accounts": "admin",
         "/admin/requests": "admin", "/mediator/": "mediator", "/mediator/?stale=1": "mediator",
         "/mediator/reviews": "mediator", "/staff/": "staff"}


def test_each_list_page_costs_the_same_number_of_statements_as_cases_grow(small_pages, world: World,
                                                                          web_runtime: Runtime) -> None:
    browsers = {key: small_pages(key) for key in set(PAGES.values())}

    def counted() -> dict[str, int]:
        result = {}
        for path, key in PAGES.items():
            browsers[key].get(path)  # warm: the user loader's first query, templates compiled
            with statements(web_runtime) as seen:
                assert browsers[key].get(path).status_code == 200
            result[path] = len(seen)
        return result

    before = counted()
    grow(web_runtime, world, rounds=3)
    after = counted()
    assert after == before
    # The user, the page, a count or two; the mediator's dashboard also opens the names on the page it shows,
    # each reading audited (mediation.services.participant_names), so it costs a few statements per case shown.
    plain = {path: count for path, count in before.items() if path not in DASHBOARDS}
    assert min(plain.values()) >= 2 and max(plain.values()) <= 6, before
    assert all(before[path] <= 6 + 5 * SMALL_PAGE for path in DASHBOARDS), before
