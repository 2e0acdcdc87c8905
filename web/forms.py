"""Reading plain form fields. Every value is checked again by the service that receives it."""

from __future__ import annotations

from flask import abort, request


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
        abort(400, description=f"'{name}' must be a whole number.")
    return int(value)
