"""The iCalendar feed a mediator's calendar application polls: ``GET /calendar/<token>.ics``, without a sign-in
(on the public blueprint: its address is the only key).

Only a GET (it changes nothing, so it needs no CSRF token); rate-limited per client (web.limits); an unknown or
revoked token answers 404 like any missing page. Each event holds its times, the kind of activity with the case
reference, the place and a status: no names, no notes. The token is never logged (web.errors masks it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from flask.typing import ResponseReturnValue
from icalendar import Calendar, Event

from mediation.services import calendar
from mediation.services.calendar import FeedEvent
from web.calls import read
from web.labels import label
from web.public import bp

PATH_PREFIX = "/calendar/"  # web.errors hides what follows it in a log line
ICS_STATUS = {"planned": "CONFIRMED", "done": "CONFIRMED"}


def _event(item: FeedEvent, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{item.id}@mediation")
    event.add("dtstamp", stamp)
    event.add("dtstart", item.starts_at)
    event.add("dtend", item.ends_at)
    event.add("summary", f"{label(item.kind)} · {item.reference}")
    if item.place:
        event.add("location", item.place)
    event.add("status", ICS_STATUS.get(item.status, "TENTATIVE"))
    return event


def render_feed(events: list[FeedEvent], stamp: datetime) -> bytes:
    ics = Calendar()
    ics.add("prodid", "-//Restorative justice mediation//Activities//EN")
    ics.add("version", "2.0")
    ics.add("x-wr-calname", "Mediation")
    for item in events:
        ics.add_component(_event(item, stamp))
    return ics.to_ical()


@bp.route(f"{PATH_PREFIX}<token>.ics")
def calendar_feed(token: str) -> ResponseReturnValue:
    events = read(calendar.feed_events, token)
    response = Response(render_feed(events, datetime.now(UTC)), mimetype="text/calendar")
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
