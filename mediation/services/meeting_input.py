"""Reading what a meeting form sends: dates, times, places and choices, checked before any query.

Times are read as UTC (the site keeps every time in UTC and shows it as such).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from mediation.errors import InvalidInput
from mediation.moments import checked_time, moment
from workflows.meetings import Clearance, Venue
from workflows.words import Words, codes

MAX_PLACE = 120
MAX_ROOM = 80
MAX_SEALED = 5_000
MAX_MINUTES = 12 * 60  # a meeting longer than a day's work is a typing mistake
VISITOR = re.compile(r"(participant|mediator)-([0-9]{1,9})")


def meeting_moment(day: object, at: object, what: Words) -> datetime:
    """A date and a time of day from a form, as a UTC moment (the site keeps and shows every time in UTC)."""
    return moment(day, at, what)


def in_the_future(starts: datetime, now: datetime, what: Words) -> datetime:
    if starts <= now:
        raise InvalidInput("The %(what)s is in the past; choose a date and time to come.", what=what)
    return starts


def span(starts: datetime, end_time: object) -> int:
    """The minutes from the start to the end time on the same day; an end before its start is refused."""
    end = checked_time(end_time, Words("end time"))
    ends = starts.replace(hour=end.hour, minute=end.minute)
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
