"""Text from outside (a form, a URL, the command line) checked before it reaches a query.

The same value must get the same answer on both databases: PostgreSQL refuses a NUL character and a string
longer than its column, SQLite stores both. So the services refuse them first, with a message that says what
is wrong, and names lose the control characters a person never types.
"""

from __future__ import annotations

import re

from mediation.errors import InvalidInput
from workflows.words import Words

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # what undecodable bytes become (surrogateescape): not text


def checked_string(value: object, what: str | Words, *, max_length: int) -> str:
    """``value`` if it is a string of at most ``max_length`` characters that any database can store."""
    if not isinstance(value, str):
        raise InvalidInput("The %(what)s must be text.", what=_field(what))
    if "\x00" in value:
        raise InvalidInput("The %(what)s contains a NUL character, which is not allowed.", what=_field(what))
    if _SURROGATE.search(value):
        raise InvalidInput("The %(what)s is not valid UTF-8 text.", what=_field(what))
    if len(value) > max_length:
        raise InvalidInput("The %(what)s is too long (%(length)s characters; at most %(limit)s).", what=_field(what),
                           length=len(value), limit=max_length)
    return value


def checked_text(value: object, what: Words, limit: int, *, required: bool = False, one_line: bool = False) -> str:
    """Text a form sent, stripped ("" for nothing): refused when missing (if ``required``), too long, on more
    than one line (if ``one_line``: a place, a room), or not storable by both databases."""
    text = "" if value is None else checked_string(value, what, max_length=max(limit * 4, 1000)).strip()
    if one_line and _CONTROL.search(text):
        raise InvalidInput("The %(what)s is one line of plain text.", what=what)
    if required and not text:
        raise InvalidInput("Write the %(what)s; it cannot be empty.", what=what)
    if len(text) > limit:
        raise InvalidInput("The %(what)s is too long (%(length)s characters; at most %(limit)s).", what=what,
                           length=len(text), limit=limit)
    return text


def clean_name(value: object, what: str | Words, *, max_length: int) -> str:
    """A name as it will be shown: control characters removed, spaces trimmed, not empty, not too long."""
    text = checked_string(value, what, max_length=max(max_length * 4, 1000))
    text = _CONTROL.sub("", text).strip()
    if not text:
        raise InvalidInput("A %(what)s is required.", what=_field(what))
    if len(text) > max_length:
        raise InvalidInput("The %(what)s is too long (%(length)s characters; at most %(limit)s).", what=_field(what),
                           length=len(text), limit=max_length)
    return text


def _field(what: str | Words) -> Words:
    """The name of the field a refusal is about (callers mark it for translation with ``Words("...")``)."""
    return what if isinstance(what, Words) else Words(what)


def shown(value: object, limit: int = 40) -> str:
    """A value safe to repeat in an error message: short, printable, or not repeated at all."""
    if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value) or _SURROGATE.search(value):
        return "(that value)"
    return repr(value)
