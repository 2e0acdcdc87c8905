"""Where a form sends the person back to when the service refuses it: the page the form was on.

Every form carries that page in a hidden ``back`` field (the ``csrf()`` macro writes it), so the way back does
not depend on the browser sending a Referer (privacy settings and some proxies strip it). Only a path on this
site is ever followed: never a scheme, a host, ``//`` or a backslash, so the field cannot make an open redirect.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from werkzeug.exceptions import HTTPException

from web.forms import uploads_here

FIELD = "back"
MAX_PATH = 2000  # a page's path and query string; longer is not one of ours


def safe_path(value: object) -> str | None:
    """``value`` if it is a path on this site, like ``/mediator/cases/RO-2026-00042?tab=1``; otherwise None."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_PATH:
        return None
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def came_from() -> str | None:
    """The page the submitted form was on: its ``back`` field, else the Referer when it is this site."""
    if request.method not in ("GET", "HEAD") and not uploads_here():
        try:
            back = safe_path(request.form.get(FIELD))
        except HTTPException:  # a body too large or malformed (the page answering it is being drawn): unread
            back = None
        if back:
            return back
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.scheme in {"http", "https"}:
        return safe_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    return None


def here() -> str:
    """The value of a form's ``back`` field: this page, or, on a page shown in answer to a form (a refusal
    rendered in place), the page that form came from."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.removesuffix("?")
    return came_from() or "/"


def back_to(default: str) -> str:
    """Where to send the person after a refused or finished form: the page it was on (on this host), else
    ``default``."""
    path = came_from()
    return request.host_url.removesuffix("/") + path if path else default
