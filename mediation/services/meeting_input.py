"""Reading what a meeting form sends: dates, times, places and choices, checked before any query.

Times are read as UTC (the site keeps every time in UTC and shows it as such).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from mediation.errors import InvalidInput
from mediation.text import shown
from workflows.meetings import Clearance, Venue
from workflows.words import Words, codes

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME = re.compile(r"[0-9]{2}:[0-9]{2}")
MAX_PLACE = 120
MAX_ROOM = 80
MAX_SEALED = 5_000
MAX_MINUTES = 12 * 60  # a meeting longer than a day's work is a typing mistake
VISITOR = re.compile(r"(participant|mediator)-([0-9]{1,9})")


def checked_date(value: object, what: Words) -> date:
    if not isinstance(value, str) or not DATE.fullmatch(value):
        raise InvalidInput("Give the %(what)s as a date like 2027-03-15.", what=what)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("%(value)s is not a date in the calendar.", value=shown(value)) from None


def checked_time(value: object, what: Words) -> tuple[int, int]:
    if not isinstance(value, str) or not TIME.fullmatch(value):
        raise InvalidInput("Give the %(what)s as a time like 14:30.", what=what)
    hour, minute = int(value[:2]), int(value[3:])
    if hour > 23 or minute > 59:
        raise InvalidInput("%(value)s is not a time of day.", value=shown(value))
    return hour, minute


def moment(day: object, time: object, what: Words) -> datetime:
    """A date and a time of day from a form, as a UTC moment."""
    on = checked_date(day, what)
    hour, minute = checked_time(time, what)
    return datetime(on.year, on.month, on.day, hour, minute, tzinfo=UTC)


def in_the_future(starts: datetime, now: datetime, what: Words) -> datetime:
    if starts <= now:
        raise InvalidInput("The %(what)s is in the past; choose a date and time to come.", what=what)
    return starts


def span(starts: datetime, end_time: object) -> int:
    """The minutes from the start to the end time on the same day; an end before its start is refused."""
    hour, minute = checked_time(end_time, Words("end time"))
    ends = starts.replace(hour=hour, minute=minute)
    if ends <= starts:
        raise InvalidInput("The meeting ends before it starts; give an end time after the start time.")
    minutes = int((ends - starts) / timedelta(minutes=1))
    if minutes > MAX_MINUTES:
        raise InvalidInput("A meeting lasts at most %(limit)s minutes.", limit=MAX_MINUTES)
    return minutes


def checked_venue(venue: object) -> Venue:
    if venue not in tuple(Venue):
        raise InvalidInput("Choose where the meeting is held: %(choices)s.", choices=codes([v.value for v in Venue]))
    return Venue(str(venue))


def checked_clearance(status: object) -> Clearance:
    if status not in tuple(Clearance):
        raise InvalidInput("Choose a clearance status: %(choices)s.", choices=codes([c.value for c in Clearance]))
    return Clearance(str(status))


def checked_text(value: object, field: Words, limit: int, *, required: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput("Give the %(field)s.", field=field)
    if len(text) > limit:
        raise InvalidInput("The %(field)s is too long (at most %(limit)s characters).", field=field, limit=limit)
    return text


def checked_visitor(value: object) -> tuple[str, int]:
    """Which person a clearance is for: ``participant-12`` or ``mediator-3``."""
    match = VISITOR.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput("Choose the visitor the clearance is for.")
    return match.group(1), int(match.group(2))


def next_working_day(after: date) -> date:
    day = after + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
