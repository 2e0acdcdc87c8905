"""The period a statistics page covers: one whole calendar year, January to December.

Only whole years, never an arbitrary run of months: two overlapping periods (January to June, and January to
May) could be subtracted cell by cell to give June's exact counts, the small ones included, and no suppression
within one table can prevent that. Calendar years never overlap. (A year still in progress grows as cases
close; comparing its page from one day to the next is the one difference left, and why comments wait for the
year's end: mediation.services.evaluation.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from mediation.errors import InvalidInput
from mediation.text import checked_string, shown
from workflows.words import Words

LAST_YEAR = 9998  # the period's end (the next January) must still be a date
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """From the first day of ``first`` to the first day of the month after ``last`` (UTC)."""

    first: date
    last: date

    @property
    def starts_at(self) -> datetime:
        return datetime(self.first.year, self.first.month, 1, tzinfo=UTC)

    @property
    def ends_before(self) -> datetime:
        year, month = (self.last.year + 1, 1) if self.last.month == 12 else (self.last.year, self.last.month + 1)
        return datetime(year, month, 1, tzinfo=UTC)

    def months(self) -> list[str]:
        """Every month of the period as YYYY-MM, in order (months with no request are shown as 0)."""
        found, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_before

    @property
    def label_from(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def label_to(self) -> str:
        return f"{self.last:%Y-%m}"


def _month(value: object, *, first: bool) -> date:
    if value is None or value == "":
        if first:
            raise InvalidInput("Give the first month of the period (YYYY-MM).")
        raise InvalidInput("Give the last month of the period (YYYY-MM).")
    what = Words("first month") if first else Words("last month")
    text = checked_string(value, what, max_length=20).strip()
    found = _MONTH.match(text)
    if found is None or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= LAST_YEAR:
        raise InvalidInput("The %(what)s %(value)s is not a month; write it as YYYY-MM, e.g. 2026-01.",
                           what=what, value=shown(text))
    return date(int(found.group(1)), int(found.group(2)), 1)


def parse_period(first: object, last: object) -> Period:
    """A period from two YYYY-MM texts; a period with no end, an end before its start, or one too long is refused."""
    start, end = _month(first, first=True), _month(last, first=False)
    if end < start:
        raise InvalidInput("The period ends (%(last)s) before it starts (%(first)s).", last=f"{end:%Y-%m}",
                           first=f"{start:%Y-%m}")
    if (start.month, end.month) != (1, 12) or start.year != end.year:
        raise InvalidInput("Statistics cover one whole calendar year, from January to December of the same year "
                           "(e.g. %(year)s-01 to %(year)s-12), so that two overlapping periods can never be "
                           "subtracted to reveal a small count.", year=str(start.year))
    return Period(start, end)


def year_period(year: int) -> Period:
    """The calendar year ``year`` (the default page: this year so far)."""
    return Period(date(year, 1, 1), date(year, 12, 1))
