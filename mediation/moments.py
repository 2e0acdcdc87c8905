"""Dates and times as the forms send them (2026-03-31, 14:30), checked before any query, and moments in UTC.

One reading for activities, meetings and agreements, so the same mistake gets the same answer on every form.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from mediation.errors import InvalidInput
from mediation.text import shown
from workflows.words import Words

DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME = re.compile(r"[0-9]{2}:[0-9]{2}")


def checked_day(value: object, what: Words) -> date:
    """A day as YYYY-MM-DD (or a date already); refused by name if malformed or not in the calendar."""
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not DAY.fullmatch(text):
        raise InvalidInput("The %(what)s must look like 2026-03-31 (year-month-day).", what=what)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("%(value)s is not a date in the calendar.", value=shown(text)) from None


def checked_time(value: object, what: Words) -> time:
    text = value.strip() if isinstance(value, str) else ""
    if not TIME.fullmatch(text):
        raise InvalidInput("The %(what)s must look like 14:30 (hours and minutes).", what=what)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InvalidInput("%(value)s is not a time of day.", value=shown(text)) from None


def moment(day: object, at: object, what: Words, *, time_what: Words | None = None,
           zone: tzinfo = UTC) -> datetime:
    """The moment a day and a time of day name in ``zone``, in UTC (``time_what`` names the time's own field)."""
    return datetime.combine(checked_day(day, what), checked_time(at, time_what or what),
                            tzinfo=zone).astimezone(UTC)


def aware(value: datetime) -> datetime:
    """A moment read back from SQLite (naive, always UTC) as an aware one; PostgreSQL's are already."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
