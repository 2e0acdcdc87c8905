"""Small-cell suppression: no published count lets a reader work out that 1 to 4 people are in a cell.

Rules (README "Programme statistics"):

* Primary: every count from 1 to 4 is hidden. A 0 is shown: it names nobody, and a hidden cell that might be 0
  would only add doubt, never a person.
* Complementary: a table's total is always treated as known (the same population is counted by other tables of
  the page, so hiding it in one table would not keep it secret). In a line with a known total the hidden cells are
  then either none, or at least two whose sum is at least 5; otherwise the next smallest cells are hidden too.
  With one hidden cell a reader would subtract; with two hidden cells summing to 2 (or 8) they would know both.
* A total under 5 hides the whole line, total included.

Every hidden cell says the same thing ("fewer than 5*", with a note): a complementary cell shown differently
would tell the reader which cell holds the small count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5
HIDDEN = "fewer than 5*"
NOTE = ("* fewer than 5, or withheld so that a count under 5 cannot be worked out from the totals.")


def is_small(count: int) -> bool:
    return 0 < count < THRESHOLD


@dataclass(frozen=True)
class Cell:
    """One published cell: its label, and its count or ``None`` when hidden."""

    label: str
    count: int | None

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Line:
    """A suppressed list of counts that add up to ``total`` (``None``: the total is hidden too)."""

    cells: tuple[Cell, ...]
    total: int | None

    def shown(self) -> dict[str, int | None]:
        return {cell.label: cell.count for cell in self.cells}


def hidden_labels(counts: Mapping[str, int], *, total_known: bool = True) -> set[str]:
    """Which labels of ``counts`` must be hidden (the pure rule, on a line whose total is ``sum(counts)``)."""
    if any(count < 0 for count in counts.values()):
        raise ValueError("counts are never negative")
    total = sum(counts.values())
    if is_small(total):
        return set(counts)
    hidden = {label for label, count in counts.items() if is_small(count)}
    if not hidden or not total_known:
        return hidden
    # Next smallest first, the largest counts last; the order of labels breaks ties so the result is stable.
    order = sorted((label for label in counts if label not in hidden),
                   key=lambda label: (counts[label] == 0, counts[label], list(counts).index(label)))
    for label in order:
        if len(hidden) >= 2 and sum(counts[h] for h in hidden) >= THRESHOLD:
            break
        hidden.add(label)
    return hidden


def suppress(counts: Mapping[str, int], *, total_known: bool = True) -> Line:
    """The published form of one line of counts (see the module's rules)."""
    hidden = hidden_labels(counts, total_known=total_known)
    total = sum(counts.values())
    cells = tuple(Cell(label, None if label in hidden else count) for label, count in counts.items())
    return Line(cells, None if is_small(total) else total)


def suppress_count(count: int) -> int | None:
    """A lone count (no total to protect): hidden from 1 to 4."""
    return None if is_small(count) else count


def suppress_lines(lines: Sequence[Mapping[str, int]]) -> list[Line]:
    """Several lines of one table, each with its own known total (e.g. one question each)."""
    return [suppress(line) for line in lines]
