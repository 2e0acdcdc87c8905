"""Progress indicators of referrals between the organisations of the network (issue 11).

A coordinator sees their own organisation's, twice: as the referring side (what its workers sent) and as the
receiving side (what partners sent it). Each side, over the referrals *sent* in a period: how many of each kind
of help, how many the partner accepted of those it answered, how many of those accepted and since finished were
completed, and the median whole days from sending to acceptance. The network view, open to every coordinator,
shows the same figures over all organisations together, never one organisation's.

Every figure goes through the programme statistics' small-count suppression (``mediation.statistics.
suppression``): a rate is shown only when both of its counts are, and a median only from as many referrals as a
statistics page's quartiles need (``QUARTILES_FROM``). Everything is counted in SQL (GROUP BY), never row by row.

Periods: an organisation's own page takes any run of days (by default the last twelve months), since its
coordinator already has each of its own referrals in front of them. The network page covers whole calendar years
only, as the programme statistics do (``mediation.statistics.period``): two overlapping periods of the whole
network could otherwise be subtracted to reveal a small count of other organisations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Referral, Role, User
from mediation.policy import require_role
from mediation.statistics.period import Period, parse_period, year_period
from mediation.statistics.report import QUARTILES_FROM
from mediation.statistics.suppression import Line, suppress, suppress_count
from mediation.text import checked_string, shown
from workflows.referral_workflow import SERVICE_KINDS, ReferralState
from workflows.words import Words

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
LONGEST_DAYS = 3660  # about ten years: a longer period is a mistake, not a question
# Accepted, then finished without being completed: the partner ended it, or either side withdrew it.
STOPPED = (ReferralState.ENDED.value, ReferralState.WITHDRAWN.value)
SIDES = ("referring", "receiving")


@dataclass(frozen=True)
class Days:
    """From ``first`` to ``last``, both whole days included (UTC)."""

    first: date
    last: date

    @property
    def starts_at(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def ends_before(self) -> datetime:
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=UTC)


def last_twelve_months(today: date) -> Days:
    """The default period: the year up to today (a 29 February falls back to the 28th)."""
    try:
        first = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:
        first = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
    return Days(first, today)


def _day(value: object, what: Words) -> date:
    text = checked_string(value, what, max_length=20).strip() if value is not None else ""
    if not text:
        raise InvalidInput("Give the %(what)s of the period (year-month-day, like 2026-03-31).", what=what)
    if not _DATE.match(text):
        raise InvalidInput("The %(what)s %(value)s is not a date; write it as year-month-day, like 2026-03-31.",
                           what=what, value=shown(text))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("The %(what)s %(value)s does not exist.", what=what, value=shown(text)) from None


def parse_days(first: object, last: object) -> Days:
    """A period from two dates as a form sends them: both given, the first not after the last, not too long."""
    start, end = _day(first, Words("first day")), _day(last, Words("last day"))
    if end < start:
        raise InvalidInput("The period ends (%(last)s) before it starts (%(first)s).", last=end.isoformat(),
                           first=start.isoformat())
    if (end - start).days > LONGEST_DAYS:
        raise InvalidInput("A period is at most %(days)s days long.", days=LONGEST_DAYS)
    return Days(start, end)


@dataclass(frozen=True)
class Rate:
    """A share of two suppressed counts: ``percent`` only when both counts are shown."""

    line: Line

    @property
    def percent(self) -> int | None:
        counts = [cell.count for cell in self.line.cells]
        if self.line.total is None or not self.line.total or any(count is None for count in counts):
            return None
        return round(100 * (self.line.cells[0].count or 0) / self.line.total)


@dataclass(frozen=True)
class Indicators:
    """One side's (or the network's) figures over one period, every one of them suppressed."""

    by_kind: Line  # referrals sent, by kind of help
    acceptance: Rate  # accepted (or further) / declined, among those the partner answered
    completion: Rate  # completed / ended or withdrawn, among those accepted and since finished
    accepted: int | None  # how many were accepted (the median's population), hidden under 5
    median_days_to_accept: float | None  # shown from QUARTILES_FROM accepted referrals


@dataclass(frozen=True)
class OwnIndicators:
    days: Days
    referring: Indicators
    receiving: Indicators


@dataclass(frozen=True)
class NetworkIndicators:
    period: Period
    network: Indicators


def _whole_days(session: Session) -> ColumnElement[int]:
    """Whole days from sending to acceptance, in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Referral.accepted_at - Referral.sent_at)
        return cast(func.floor(seconds / 86400), Integer)
    return cast(func.julianday(Referral.accepted_at) - func.julianday(Referral.sent_at), Integer)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def median_of(histogram: Mapping[int, int]) -> float | None:
    """The median of whole days kept as (days -> how many), from its cumulative counts (a few rows at most)."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted, seen, values = ((n - 1) // 2, n // 2), 0, {}
    for days in sorted(histogram):
        for position in wanted:
            if seen <= position < seen + histogram[days]:
                values[position] = days
        seen += histogram[days]
    return (values[wanted[0]] + values[wanted[1]]) / 2


def indicators(session: Session, starts_at: datetime, ends_before: datetime,
               *where: ColumnElement[bool]) -> Indicators:
    """The figures of the referrals sent in [starts_at, ends_before) that match ``where`` (no authorization)."""
    sent = and_(Referral.sent_at.is_not(None), Referral.sent_at >= starts_at, Referral.sent_at < ends_before, *where)
    by_kind_rows = dict(session.execute(select(Referral.kind, func.count()).where(sent).group_by(Referral.kind)).all())
    by_kind = {kind: int(by_kind_rows.pop(kind, 0)) for kind in SERVICE_KINDS}
    by_kind.update({kind: int(count) for kind, count in sorted(by_kind_rows.items())})  # an older kind still counts
    accepted = Referral.accepted_at.is_not(None)
    totals = session.execute(select(
        _count(accepted), _count(Referral.state == ReferralState.DECLINED.value),
        _count(and_(accepted, Referral.state == ReferralState.COMPLETED.value)),
        _count(and_(accepted, Referral.state.in_(STOPPED))),
    ).where(sent)).one()
    n_accepted, n_declined, n_completed, n_stopped = (int(value) for value in totals)
    days = _whole_days(session)
    histogram = {int(d): int(n) for d, n in session.execute(
        select(days, func.count()).where(sent, accepted).group_by(days)).all()}
    median = median_of(histogram) if n_accepted >= QUARTILES_FROM else None
    return Indicators(
        by_kind=suppress(by_kind),
        acceptance=Rate(suppress({"accepted": n_accepted, "declined": n_declined})),
        completion=Rate(suppress({"completed": n_completed, "not_completed": n_stopped})),
        accepted=suppress_count(n_accepted), median_days_to_accept=median)


def own_indicators(session: Session, actor: User, first: object = None, last: object = None) -> OwnIndicators:
    """The coordinator's own organisation's figures, as the referring side and as the receiving side, from the
    day ``first`` to the day ``last`` (YYYY-MM-DD; neither: the last twelve months)."""
    require_role(actor, Role.ADMIN)
    days = last_twelve_months(utcnow().date()) if first is None and last is None else parse_days(first, last)
    organisation = actor.organisation_id
    return OwnIndicators(
        days,
        referring=indicators(session, days.starts_at, days.ends_before,
                             Referral.referring_organisation_id == organisation),
        receiving=indicators(session, days.starts_at, days.ends_before,
                             Referral.receiving_organisation_id == organisation))


def network_indicators(session: Session, actor: User, first: object = None, last: object = None) -> NetworkIndicators:
    """The whole network's figures over a calendar year (its first and last month, YYYY-MM; neither: this year),
    for any coordinator: never one organisation's."""
    require_role(actor, Role.ADMIN)
    period = year_period(utcnow().year) if first is None and last is None else parse_period(first, last)
    return NetworkIndicators(period, indicators(session, period.starts_at, period.ends_before))
