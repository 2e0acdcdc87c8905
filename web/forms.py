"""Reading form fields, and the check every request's input passes before any view (or query) sees it.

``check_request`` runs before every other hook and view: a body that is not a form (JSON, text), a file where
the view takes none, a field sent twice, a NUL character, text that was not UTF-8, or a value longer than any
field of the site is answered 400 with a page that says so (a form body over MAX_FORM_BYTES, 413). Views then
read plain strings; each value is checked again, for its own meaning and length, by the service that receives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_babel import gettext as _

F = TypeVar("F", bound=Callable[..., Any])

MAX_FIELD = 25_000  # the longest text a form takes (a message: 20,000 characters) with room to spare
MAX_FORM_BYTES = 1024 * 1024  # a form without files: MAX_FIELD characters, percent-encoded, fit well within
MAX_ADDRESS_PART = 2000  # a path segment, a query-string value, a field name
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_REPLACEMENT = "\ufffd"  # what the request parser puts where bytes were not UTF-8


def accepts_files(*names: str) -> Callable[[F], F]:
    """Mark a view that takes file uploads in these fields and reads its body itself; every other view refuses
    files, and its form is checked here."""
    def mark(view: F) -> F:
        view.upload_fields = frozenset(names)  # type: ignore[attr-defined]
        return view
    return mark


def _upload_fields() -> frozenset[str]:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "upload_fields", frozenset())


def uploads_here() -> bool:
    """Whether this request's view takes files and streams its own body (its form must not be parsed here)."""
    return bool(_upload_fields())


def _check_text(value: str, limit: int) -> None:
    if "\x00" in value:
        abort(400, description=_("The request contains a NUL character, which is not allowed."))
    if _REPLACEMENT in value:
        abort(400, description=_("The request contains text that is not valid UTF-8."))
    if len(value) > limit:
        abort(400, description=_("A value in the request is too long (at most %(limit)s characters).",
                                 limit=limit))


def _check_values(pairs: Iterable[tuple[str, list[str]]], limit: int) -> None:
    for name, values in pairs:
        _check_text(name, MAX_ADDRESS_PART)
        if len(values) > 1:
            abort(400, description=_("The field '%(name)s' was sent more than once.", name=name))
        for value in values:
            _check_text(value, limit)


def check_request() -> None:
    """Refuse malformed input before any view runs (a ``before_request`` hook of the whole app)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str):
            _check_text(value, MAX_ADDRESS_PART)
    _check_values(request.args.lists(), MAX_ADDRESS_PART)
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return
    if request.mimetype and request.mimetype not in FORM_TYPES:
        abort(400, description=_("This address takes a web form, not %(type)s.", type=request.mimetype[:60]))
    if _upload_fields():
        return  # a view that takes files reads its own body as it streams in (web.media): never parsed here
    request.max_content_length = MAX_FORM_BYTES  # larger is answered 413 before being read
    if request.mimetype == "application/x-www-form-urlencoded":
        try:
            request.get_data(cache=True).decode("utf-8")  # the form is parsed from this copy
        except UnicodeDecodeError:
            abort(400, description=_("The request contains text that is not valid UTF-8."))
    for name, _files in request.files.lists():
        _check_text(name, MAX_ADDRESS_PART)
        abort(400, description=_("This form does not take a file in the field '%(name)s'.", name=name))
    _check_values(request.form.lists(), MAX_FIELD)


def form_text(name: str) -> str | None:
    """A text field, stripped; None when absent or blank."""
    value = request.form.get(name, "").strip()
    return value or None


def form_int(name: str) -> int | None:
    """A whole-number field; a value that is not one is a malformed request (400), not a server error."""
    value = form_text(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        abort(400, description=_("'%(name)s' must be a whole number.", name=name))
    return int(value)
