"""Practical help in the resocialisation programme (seed 002): the areas of life an activation worker helps in,
as a fixed vocabulary of codes, and the dates a help and its follow-up may carry.

Without this help in essential areas (debts, work, housing, criminal law, mental health) the social training
would not last, so each help is logged with the day it was given and, when someone must come back to it, the day
of its follow-up.
"""

from __future__ import annotations

from datetime import date

from workflows.errors import InvalidArguments
from workflows.words import codes

# The areas of help, in the order a worker's form offers them.
HELP_KINDS: tuple[str, ...] = (
    "debts",  # debts, instalment calendars, distraint orders
    "work",  # finding or keeping a job, requalification, education
    "housing",
    "mental_health",
    "court_accompaniment",  # accompanying the client in court
    "parole_application",  # help writing an application for parole
    "authorities",  # dealings with authorities: police statements, reporting to serve a sentence...
)


def check_help_kind(kind: object) -> str:
    """A help's area as chosen: one of ``HELP_KINDS``, else refused with the choices named."""
    if not isinstance(kind, str) or kind not in HELP_KINDS:
        shown = repr(kind)[:40] if isinstance(kind, str) else "(that value)"
        raise InvalidArguments("%(value)s is not a kind of practical help; choose one of: %(choices)s.",
                               value=shown, choices=codes(HELP_KINDS))
    return kind


def check_help_dates(given_on: date, follow_up_on: date | None, today: date) -> tuple[date, date | None]:
    """Help is logged once given (never on a day still to come); its follow-up, if any, is on or after it."""
    if given_on > today:
        raise InvalidArguments("Help given on %(day)s is still to come; log it once it is given.",
                               day=given_on.isoformat())
    if follow_up_on is not None and follow_up_on < given_on:
        raise InvalidArguments("The follow-up (%(follow_up)s) cannot come before the help itself (%(given)s).",
                               follow_up=follow_up_on.isoformat(), given=given_on.isoformat())
    return given_on, follow_up_on
