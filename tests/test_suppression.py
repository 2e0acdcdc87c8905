"""The suppression rule on crafted tables where a naive table would give a count of 1 or 2 away."""

from __future__ import annotations

import itertools

import pytest

from mediation.statistics.suppression import hidden_labels, suppress, suppress_count


def _solutions(line_counts: dict[str, int], hidden: set[str]) -> dict[str, set[int]]:
    """Every value each hidden cell could take, for a reader who knows the total, the shown cells and the rule
    (a hidden cell is 1-4, or a complementary cell of any value up to the total)."""
    total = sum(line_counts.values())
    rest = total - sum(v for k, v in line_counts.items() if k not in hidden)
    labels = sorted(hidden)
    possible: dict[str, set[int]] = {label: set() for label in labels}
    for values in itertools.product(range(rest + 1), repeat=len(labels)):
        if sum(values) == rest and any(0 < v < 5 for v in values):
            for label, value in zip(labels, values, strict=True):
                possible[label].add(value)
    return possible


def test_a_single_small_cell_is_not_given_away_by_the_total() -> None:
    counts = {"completed": 12, "declined": 1, "withdrawn": 7}
    line = suppress(counts)
    assert line.total == 20
    assert line.shown() == {"completed": 12, "declined": None, "withdrawn": None}  # naive: 20 - 12 - 7 = 1


def test_two_small_cells_summing_to_two_are_not_both_given_away() -> None:
    # Hiding the two 1s alone: a reader computes 22 - 20 = 2, and two cells of 1 to 4 summing to 2 are both 1.
    counts = {"a": 20, "b": 1, "c": 1, "d": 9}
    line = suppress(counts)
    assert line.shown() == {"a": 20, "b": None, "c": None, "d": None}
    hidden = {k for k, v in line.shown().items() if v is None}
    assert all(len(values) > 1 for values in _solutions(counts, hidden).values())


def test_a_small_total_hides_the_whole_line() -> None:
    line = suppress({"yes": 2, "no": 1})
    assert line.total is None
    assert line.shown() == {"yes": None, "no": None}


def test_zero_is_shown_and_not_used_as_a_complement_when_a_count_will_do() -> None:
    line = suppress({"yes": 0, "partly": 2, "no": 6, "none": 0})
    assert line.shown() == {"yes": 0, "partly": None, "no": None, "none": 0}
    assert line.total == 8


def test_nothing_small_hides_nothing() -> None:
    assert suppress({"a": 5, "b": 0, "c": 40}).shown() == {"a": 5, "b": 0, "c": 40}


def test_without_a_known_total_only_small_cells_are_hidden() -> None:
    assert hidden_labels({"a": 3, "b": 9}, total_known=False) == {"a"}


@pytest.mark.parametrize("counts", [
    {"a": 1, "b": 5}, {"a": 2, "b": 2, "c": 30}, {"a": 1, "b": 1, "c": 1, "d": 50}, {"a": 4, "b": 4, "c": 100},
    {"a": 0, "b": 1, "c": 6, "d": 6}, {"a": 3, "b": 0, "c": 0, "d": 8}, {"a": 2, "b": 7, "c": 7, "d": 7},
])
def test_no_hidden_cell_can_be_worked_out_from_the_total(counts: dict[str, int]) -> None:
    hidden = hidden_labels(counts)
    assert {k for k, v in counts.items() if 0 < v < 5} <= hidden
    for label, values in _solutions(counts, hidden).items():
        assert len(values) > 1, (label, values)


def test_a_lone_count_is_hidden_from_one_to_four() -> None:
    assert [suppress_count(n) for n in (0, 1, 4, 5)] == [0, None, None, 5]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        hidden_labels({"a": -1})
