"""Lists that stay small: a list's filters parsed strictly, and pages fetched by key (keyset pagination).

Every list of the product shows one page of a fixed size, found through an index by the key of the row it
continues from, so a page costs the same with a thousand cases or a million. Filters arrive as text from a
request; anything that is not exactly one of the accepted forms is refused here with a message that says what
was wrong (the web layer shows it with a 400), so no malformed value ever reaches a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import Session

from mediation.errors import InvalidInput
from workflows.vocabulary import CaseState
from workflows.words import Words, codes

T = TypeVar("T")
U = TypeVar("U")
KeyPart = Literal["int", "time", "text"]
Direction = Literal["after", "before"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_SEARCH = 40
_NUMBER = re.compile(r"^[0-9]{1,18}$")
_TEXT_KEY = re.compile(r"^[a-z0-9._-]{1,80}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SEARCHES = {
    "reference": (re.compile(r"^[A-Z0-9-]{1,40}$"),
                  Words("Search by case reference, like RO-2026-00042 (or its start).")),
    "username": (re.compile(r"^[a-z0-9._-]{1,40}$"),
                 Words("Search by username: lowercase letters, digits, dots, dashes and underscores.")),
}
DATE_PREFIXES = ("created", "updated", "submitted")
DATE_FIELDS = tuple(f"{prefix}_{end}" for prefix in DATE_PREFIXES for end in ("from", "to"))
DATE_NAMES = {"created_from": Words("created from"), "created_to": Words("created to"),
              "updated_from": Words("updated from"), "updated_to": Words("updated to"),
              "submitted_from": Words("submitted from"), "submitted_to": Words("submitted to")}


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just after (or just before) the row with these key values."""

    direction: Direction
    values: tuple[Any, ...]


@dataclass(frozen=True)
class ListQuery:
    """A list's page size, filters and position, as parsed from a request (or built by a caller)."""

    size: int
    search: str | None = None
    state: str | None = None
    mediator: int | Literal["none"] | None = None
    status: str | None = None
    role: str | None = None
    dates: Mapping[str, date] = field(default_factory=dict)
    stale: bool = False
    cursor: Cursor | None = None

    def between(self, prefix: str) -> tuple[datetime | None, datetime | None]:
        """The half-open UTC range [start, end) that ``<prefix>_from`` and ``<prefix>_to`` (inclusive days) give."""
        start, end = self.dates.get(f"{prefix}_from"), self.dates.get(f"{prefix}_to")
        return (_midnight(start) if start else None, _midnight(end + timedelta(days=1)) if end else None)

    def filters(self) -> dict[str, str]:
        """The filters as request parameters (without the position), for the links to other pages."""
        values: dict[str, str] = {}
        if self.search:
            values["q"] = self.search
        for name in ("state", "status", "role"):
            if getattr(self, name):
                values[name] = str(getattr(self, name))
        if self.mediator is not None:
            values["mediator"] = str(self.mediator)
        values.update({name: day.isoformat() for name, day in self.dates.items()})
        if self.stale:
            values["stale"] = "1"
        return values

    @property
    def filtered(self) -> bool:
        return bool(self.filters())


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the positions of the pages before and after it (None: there is none)."""

    items: list[T]
    query: ListQuery
    next_after: str | None = None
    previous_before: str | None = None

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(item) for item in self.items], self.query, self.next_after, self.previous_before)

    @property
    def is_first(self) -> bool:
        return self.query.cursor is None

    @property
    def past_the_end(self) -> bool:
        """A position was asked for and nothing is there (the list changed, or the link was made up)."""
        return not self.items and self.query.cursor is not None


# --- parsing ---------------------------------------------------------------------------------------------------


def encode_key(values: Sequence[Any], parts: Sequence[KeyPart]) -> str:
    """A row's key as the text of a page link: numbers, UTC microseconds and plain words joined by '~'."""
    encoded = []
    for value, part in zip(values, parts, strict=True):
        if part == "time":
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            delta = moment - EPOCH
            encoded.append(str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds))
        else:
            encoded.append(str(value))
    return "~".join(encoded)


def decode_key(text: str, parts: Sequence[KeyPart]) -> tuple[Any, ...]:
    pieces = text.split("~")
    if len(pieces) != len(parts):
        raise InvalidInput("This page link is not valid; go back to the first page.")
    values: list[Any] = []
    for piece, part in zip(pieces, parts, strict=True):
        if part == "text":
            if not _TEXT_KEY.match(piece):
                raise InvalidInput("This page link is not valid; go back to the first page.")
            values.append(piece)
            continue
        if not _NUMBER.match(piece):
            raise InvalidInput("This page link is not valid; go back to the first page.")
        number = int(piece)
        if part == "int":
            if number > 2**31 - 1:
                raise InvalidInput("This page link is not valid; go back to the first page.")
            values.append(number)
        else:
            try:
                values.append(EPOCH + timedelta(microseconds=number))
            except OverflowError:
                raise InvalidInput("This page link is not valid; go back to the first page.") from None
    return tuple(values)


def _one_of(args: Mapping[str, str], name: str, choices: Collection[str], what: Words) -> str | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    if value not in choices:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidInput("Unknown %(what)s %(value)s; choose one of: %(choices)s.", what=what, value=repr(shown),
                           choices=codes(list(choices)))
    return value


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    if not _DATE.match(value):
        raise InvalidInput("The %(field)s date must look like 2026-03-31 (year-month-day).", field=DATE_NAMES[name])
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("The %(field)s date %(value)s does not exist.", field=DATE_NAMES[name],
                           value=value) from None


def _search(args: Mapping[str, str], kind: str) -> str | None:
    text = args.get("q", "").strip()
    if not text:
        return None
    pattern, explanation = SEARCHES[kind]
    text = text.upper() if kind == "reference" else text.lower()
    if len(text) > MAX_SEARCH or not pattern.match(text):
        raise InvalidInput(explanation)
    return text


def _mediator(args: Mapping[str, str]) -> int | Literal["none"] | None:
    mediator = args.get("mediator", "").strip()
    if mediator == "none":
        return "none"
    if not mediator:
        return None
    if not _NUMBER.match(mediator) or int(mediator) > 2**31 - 1:
        raise InvalidInput("Choose a mediator from the list (or 'none' for cases without one).")
    return int(mediator)


def _dates(args: Mapping[str, str], fields: Collection[str]) -> dict[str, date]:
    dates = {name: day for name in DATE_FIELDS if name in fields and (day := _day(args, name)) is not None}
    for prefix in DATE_PREFIXES:
        start, end = dates.get(f"{prefix}_from"), dates.get(f"{prefix}_to")
        if start and end and start > end:
            raise InvalidInput("The %(first)s date (%(start)s) is after the %(last)s date (%(end)s).",
                               first=DATE_NAMES[f"{prefix}_from"], start=str(start),
                               last=DATE_NAMES[f"{prefix}_to"], end=str(end))
    return dates


def _cursor(args: Mapping[str, str], key: Sequence[KeyPart]) -> Cursor | None:
    after, before = args.get("after", "").strip(), args.get("before", "").strip()
    if after and before:
        raise InvalidInput("A page starts after one row or before another, not both; go back to the first page.")
    if not (after or before):
        return None
    return Cursor("after" if after else "before", decode_key(after or before, key))


def parse_list_query(
    args: Mapping[str, str],
    *,
    size: int,
    key: Sequence[KeyPart],
    fields: Collection[str] = (),
    search: str | None = None,
    statuses: Collection[str] = (),
    roles: Collection[str] = (),
) -> ListQuery:
    """Read a list's position and the filters it accepts (``fields``) from request parameters, strictly.

    Parameters a list does not accept are ignored; a value that is malformed is refused with what was expected.
    """
    values: dict[str, Any] = {"size": size, "cursor": _cursor(args, key), "dates": _dates(args, fields)}
    if search is not None:
        values["search"] = _search(args, search)
    if "state" in fields:
        values["state"] = _one_of(args, "state", [s.value for s in CaseState], Words("step"))
    if statuses:
        values["status"] = _one_of(args, "status", statuses, Words("status"))
    if roles:
        values["role"] = _one_of(args, "role", roles, Words("role"))
    if "mediator" in fields:
        values["mediator"] = _mediator(args)
    if "stale" in fields:
        stale = args.get("stale", "").strip()
        if stale not in ("", "0", "1"):
            raise InvalidInput("'stale' is 1 (only cases without recent activity) or empty.")
        values["stale"] = stale == "1"
    return ListQuery(**values)


# --- fetching by key -------------------------------------------------------------------------------------------


def position(keys: Sequence[ColumnElement[Any]], cursor: Cursor | None, *, descending: bool = False,
             unbounded: bool = False) -> tuple[list[ColumnElement[bool]], list[ColumnElement[Any]]]:
    """The WHERE condition and ORDER BY that read a page from ``cursor`` in the fetch direction.

    Pages before the cursor are read backwards (and turned around by ``page_of``), so each page is one range
    scan of an index on ``keys``, however deep it is. ``unbounded`` keeps the direction but not the bound (for
    a part of a list that lies wholly on the cursor's side).
    """
    backwards = cursor is not None and cursor.direction == "before"
    ascending = descending == backwards
    order = [k.asc() if ascending else k.desc() for k in keys]
    if cursor is None or unbounded:
        return [], order
    row, at = tuple_(*keys), tuple_(*cursor.values)
    return [row > at if ascending else row < at], order


def page_of(rows: Sequence[T], query: ListQuery, key_of: Callable[[T], tuple[Any, ...]],
            parts: Sequence[KeyPart]) -> Page[T]:
    """Make the page from up to ``size + 1`` rows read in the fetch direction (one more says there is more)."""
    more = len(rows) > query.size
    items = list(rows[:query.size])
    backwards = query.cursor is not None and query.cursor.direction == "before"
    if backwards:
        items.reverse()
    if not items:
        return Page(items, query)

    def link(item: T) -> str:
        return encode_key(key_of(item), parts)

    if backwards:
        return Page(items, query, next_after=link(items[-1]), previous_before=link(items[0]) if more else None)
    return Page(items, query, next_after=link(items[-1]) if more else None,
                previous_before=link(items[0]) if query.cursor is not None else None)


def fetch_page(session: Session, statement: Select[Any], query: ListQuery, *, keys: Sequence[ColumnElement[Any]],
               key_of: Callable[[Any], tuple[Any, ...]], parts: Sequence[KeyPart],
               descending: bool = False) -> Page[Any]:
    """One page of ``statement`` ordered by ``keys`` (which end with something unique), in one query."""
    where, order = position(keys, query.cursor, descending=descending)
    rows = session.execute(statement.where(*where).order_by(*order).limit(query.size + 1)).all()
    return page_of(rows, query, key_of, parts)


def starts_with(column: ColumnElement[str], text: str, *, whole: re.Pattern[str] | None = None) -> ColumnElement[bool]:
    """Rows whose ``column`` starts with ``text``; an exact match when ``text`` is already whole (its index)."""
    if whole is not None and whole.match(text):
        return column == text
    return column.startswith(text, autoescape=True)
