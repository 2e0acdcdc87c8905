"""The network's progress indicators, on SQLite and PostgreSQL: referral rows built directly at given states and
times (the referral services are written elsewhere), counted per side and for the whole network, every figure
suppressed by the programme statistics' rule, at the threshold's edge too."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from mediation.errors import Forbidden, InvalidInput
from mediation.models import Referral
from mediation.services.network_indicators import (
    Days,
    last_twelve_months,
    median_of,
    network_indicators,
    own_indicators,
    parse_days,
)
from tests.integration.directory_world import Network, add, build_network, service

YEAR = Days(date(2025, 1, 1), date(2025, 12, 31))
SENT = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@pytest.fixture
def network(runtime) -> Network:
    return build_network(runtime)


def refer(runtime, network: Network, *, state: str, kind: str = "housing", from_north: bool = True,
          sent_at: datetime | None = SENT, days_to_accept: float | None = None) -> None:
    """One referral row, from north to south (or the reverse), in ``state``, accepted after ``days_to_accept``."""
    referring, receiving = ("staff", "other_coordinator") if from_north else ("other_staff", "coordinator")
    target = add(runtime, network[receiving], service(kind=kind))
    accepted_at = None if days_to_accept is None or sent_at is None else sent_at + timedelta(days=days_to_accept)
    with runtime.transaction() as s:
        s.add(Referral(reference=f"RF-2025-{next(_numbers):05d}", state=state,
                       referring_organisation_id=network[referring].organisation_id,
                       referring_worker_id=network[referring].id,
                       receiving_organisation_id=network[receiving].organisation_id, service_id=target, kind=kind,
                       sent_at=sent_at, accepted_at=accepted_at,
                       closed_at=sent_at + timedelta(days=60) if state in ("completed", "ended") else None))


def mine(runtime, network, who: str = "coordinator", days: Days = YEAR):
    with runtime.transaction(read_only=True) as s:
        return own_indicators(s, network[who], days.first.isoformat(), days.last.isoformat())


def test_each_side_counts_its_own_referrals_by_kind(runtime, network) -> None:
    for _ in range(6):
        refer(runtime, network, state="sent", kind="housing")
    for _ in range(5):
        refer(runtime, network, state="sent", kind="employment")
    for _ in range(7):
        refer(runtime, network, state="sent", kind="legal", from_north=False)
    refer(runtime, network, state="draft", sent_at=None)  # never sent: not counted
    refer(runtime, network, state="sent", sent_at=datetime(2024, 12, 31, 23, 59, tzinfo=UTC))  # before the period
    north, south = mine(runtime, network), mine(runtime, network, "other_coordinator")
    assert north.referring.by_kind.total == 11
    assert north.referring.by_kind.shown()["housing"] == 6 and north.referring.by_kind.shown()["employment"] == 5
    assert north.referring.by_kind.shown()["legal"] == 0
    assert north.receiving.by_kind.total == 7 and north.receiving.by_kind.shown()["legal"] == 7
    assert south.receiving.by_kind.shown() == north.referring.by_kind.shown()
    assert south.referring.by_kind.shown() == north.receiving.by_kind.shown()
    # the year before holds the one sent on its last minute
    assert mine(runtime, network, days=Days(date(2024, 1, 1), date(2024, 12, 31))).referring.by_kind.total is None


def test_acceptance_completion_and_the_median_days(runtime, network) -> None:
    # 12 answered: 10 accepted (of which 5 completed, 3 ended, 2 withdrawn, all after acceptance), 2 declined...
    for days, state in zip(range(1, 11), ["completed"] * 5 + ["ended"] * 3 + ["withdrawn"] * 2, strict=True):
        refer(runtime, network, state=state, days_to_accept=days)
    refer(runtime, network, state="declined")
    refer(runtime, network, state="declined")
    # ... and 3 not answered (waiting, or withdrawn before an answer): left out of the rates
    refer(runtime, network, state="sent")
    refer(runtime, network, state="withdrawn")
    refer(runtime, network, state="withdrawn")
    side = mine(runtime, network).referring
    assert side.by_kind.total == 15
    assert side.acceptance.line.shown() == {"accepted": None, "declined": None}  # 2 declined: hidden, and so is
    assert side.acceptance.percent is None  # its complement; the rate would tell both
    assert side.completion.line.shown() == {"completed": 5, "not_completed": 5}
    assert side.completion.percent == 50
    assert side.accepted == 10
    assert side.median_days_to_accept == 5.5  # 1..10 whole days
    assert mine(runtime, network).receiving.by_kind.total == 0  # nothing came to north: a 0 names nobody


def test_the_rate_is_shown_once_both_counts_reach_the_threshold(runtime, network) -> None:
    for _ in range(5):
        refer(runtime, network, state="accepted", days_to_accept=2)
    for _ in range(4):
        refer(runtime, network, state="declined")
    below = mine(runtime, network).referring
    assert below.acceptance.percent is None and below.acceptance.line.shown() == {"accepted": None, "declined": None}
    assert below.acceptance.line.total == 9
    refer(runtime, network, state="declined")
    at = mine(runtime, network).referring
    assert at.acceptance.line.shown() == {"accepted": 5, "declined": 5} and at.acceptance.percent == 50


def test_a_small_count_is_hidden_and_from_five_it_is_shown(runtime, network) -> None:
    for _ in range(4):
        refer(runtime, network, state="accepted", kind="housing", days_to_accept=3)
    four = mine(runtime, network).referring
    assert four.by_kind.total is None and four.by_kind.shown()["housing"] is None
    assert four.accepted is None and four.median_days_to_accept is None
    refer(runtime, network, state="accepted", kind="housing", days_to_accept=3)
    five = mine(runtime, network).referring
    assert five.by_kind.total == 5 and five.by_kind.shown()["housing"] == 5
    assert five.accepted == 5
    assert five.median_days_to_accept is None  # a median from fewer than 10 would be one real referral's time


def test_a_lone_small_kind_takes_its_neighbour_with_it(runtime, network) -> None:
    for _ in range(9):
        refer(runtime, network, state="sent", kind="housing")
    for _ in range(2):
        refer(runtime, network, state="sent", kind="legal")
    for _ in range(6):
        refer(runtime, network, state="sent", kind="employment")
    shown = mine(runtime, network).referring.by_kind
    assert shown.total == 17
    assert shown.shown()["legal"] is None and shown.shown()["employment"] is None and shown.shown()["housing"] == 9


def test_the_network_view_counts_every_organisation_together(runtime, network) -> None:
    for _ in range(6):
        refer(runtime, network, state="sent", kind="housing")
    for _ in range(6):
        refer(runtime, network, state="sent", kind="housing", from_north=False)
    with runtime.transaction(read_only=True) as s:
        whole = network_indicators(s, network["other_coordinator"], "2025-01", "2025-12")
    assert whole.network.by_kind.shown()["housing"] == 12 and whole.network.by_kind.total == 12


@pytest.mark.parametrize("who", ["mediator", "staff", "participant", "volunteer"])
def test_only_coordinators_see_the_indicators(runtime, network, who) -> None:
    with runtime.transaction(read_only=True) as s:
        with pytest.raises(Forbidden):
            own_indicators(s, network[who], "2025-13-99", None)  # refused before its period is even read
        with pytest.raises(Forbidden):
            network_indicators(s, network[who], "2025-01", "2025-12")


@pytest.mark.parametrize(("first", "last", "message"), [
    ("", "2025-12-31", "Give the first day"), ("2025-01-01", None, "Give the last day"),
    ("2025-13-01", "2025-12-31", "does not exist"), ("01/01/2025", "2025-12-31", "is not a date"),
    ("2025-02-01", "2025-01-01", "ends"), ("2000-01-01", "2025-01-01", "at most"),
    ("2025-01-0\x00", "2025-12-31", "NUL"), (["2025-01-01"], "2025-12-31", "must be text"),
])
def test_a_bad_period_says_what_is_wrong(first, last, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_days(first, last)


def test_the_network_covers_whole_calendar_years_only(runtime, network) -> None:
    with runtime.transaction(read_only=True) as s:
        with pytest.raises(InvalidInput, match="whole calendar year"):
            network_indicators(s, network["coordinator"], "2025-02", "2025-12")
        assert network_indicators(s, network["coordinator"]).period.first.month == 1


def test_the_default_period_is_the_last_twelve_months() -> None:
    assert last_twelve_months(date(2026, 12, 4)) == Days(date(2025, 12, 5), date(2026, 12, 4))
    assert last_twelve_months(date(2028, 2, 29)) == Days(date(2027, 3, 1), date(2028, 2, 29))


def test_the_median_comes_from_the_histogram() -> None:
    assert median_of({}) is None
    assert median_of({3: 1}) == 3
    assert median_of({1: 2, 5: 1}) == 1
    assert median_of({1: 1, 2: 1, 9: 2}) == 5.5
