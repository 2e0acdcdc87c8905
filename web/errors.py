"""Every failure becomes a page that says what is wrong: never a stack trace, never a bare 500.

A busy database answers 503 with Retry-After ("try again in a moment"), an unreachable one 503 ("unavailable");
those pages, and the page for an unexpected error, never touch the database themselves.
"""

from __future__ import annotations

import errno
import logging
import math
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from mediation.crypto.errors import CryptoError
from mediation.errors import (
    Conflict,
    DatabaseBusy,
    DatabaseUnreachable,
    Forbidden,
    NotFound,
    StorageUnavailable,
    Unavailable,
)
from web.back import back_to
from web.extensions import login_manager
from web.limits import RateLimitExceeded, retry_after_seconds
from web.words import say
from workflows.errors import DomainError

log = logging.getLogger(__name__)
SECRET_PATHS = ("/calendar/",)  # what follows is a secret (a calendar feed's token): never in a log line


def logged_path() -> str:
    """The request's path as a log line may show it: a secret in the address is replaced by a placeholder."""
    for prefix in SECRET_PATHS:
        if request.path.startswith(prefix):
            return f"{prefix}<secret>"
    return request.path


CSRF_SESSION_KEY = "csrf_token"  # where Flask-WTF keeps the session's token (WTF_CSRF_FIELD_NAME)
# Failures of the disk rather than of the request: full, over quota, read-only, or failing.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


def _from_this_site() -> bool:
    """Whether the request says it was sent from a page of this site (browsers never forge another site's Referer)."""
    parts = urlsplit(request.referrer or "")
    return parts.netloc == request.host and parts.scheme in {"http", "https"}


def _page(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _page_without_account(status: int, title: str, message: str) -> Response:
    """An error page that never asks the database who is signed in: the failure may be the database itself.

    (Rendering a template loads the signed-in account, through the database; when it was not loaded yet, the
    page shows the header of a visitor who is not signed in.)
    """
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    page = render_template("errors/error.html", status=status, title=title, message=message)
    return make_response(page, status)


def _unavailable(error: Unavailable) -> Response:
    """503: the database is busy (try again in a moment) or unreachable, or the storage is gone or full."""
    log.warning("service unavailable on %s %s: %s%s", request.method, logged_path(), error,
                f" ({error.detail})" if error.detail else "")
    if isinstance(error, DatabaseBusy):
        title, message = _("Busy: please try again"), _(
            "The service is busy with other changes. Nothing was changed: please try again in a moment.")
    elif isinstance(error, DatabaseUnreachable):
        title, message = _("Service unavailable"), _(
            "The service is unavailable right now. Nothing was changed: please try again later.")
    else:
        title, message = _("Cannot save right now"), _(
            "The service cannot save anything right now. Nothing was changed. The server's operator has to "
            "fix this; please try again later.")
    response = _page_without_account(503, title, message)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> ResponseReturnValue:
        return _page(404, _("Not found"), say(error))

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden) -> ResponseReturnValue:
        return _page(403, _("Not allowed"), say(error))

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> ResponseReturnValue:
        return _page(409, _("Changed by someone else"), say(error))

    @app.errorhandler(Unavailable)
    def unavailable(error: Unavailable) -> ResponseReturnValue:
        return _unavailable(error)

    @app.errorhandler(OSError)
    def storage(error: OSError) -> ResponseReturnValue:
        """A full or read-only disk under the instance folder (a video being stored, a key file) is a 503."""
        if error.errno in STORAGE_ERRNOS:
            return _unavailable(StorageUnavailable("%(file)s: %(problem)s", file=str(error.filename),
                                                 problem=str(error.strerror)))
        return unexpected(error)

    @app.errorhandler(CryptoError)
    def crypto(error: CryptoError) -> ResponseReturnValue:
        log.error("content could not be decrypted: %s", type(error).__name__)
        return _page(503, _("Content unavailable"),
                     _("This content cannot be opened right now. The coordinator has been told."))

    @app.errorhandler(DomainError)
    def refused(error: DomainError) -> ResponseReturnValue:
        """A rule said no (a guard, a state, a bad value): say why on the page the person came from."""
        if request.method in ("GET", "HEAD"):
            return _page(400, _("That is not possible"), say(error))
        flash(say(error), "error")
        return redirect(back_to(url_for("public.home")), code=303)

    @app.errorhandler(CSRFError)
    def csrf(_error: CSRFError) -> ResponseReturnValue:
        """Say plainly what happened: a session that ended while the page was open (the usual case: the idle
        timeout) is told apart from a form that did not come from the page this browser was given."""
        if CSRF_SESSION_KEY not in session:
            # The words written are shown back only to a form posted from one of our own pages (never to a form
            # another site made a browser send): the person can copy them instead of losing them.
            written = request.form.get("text") if _from_this_site() else None
            return render_template("errors/signed_out.html", minutes=current_app.config["IDLE_SECONDS"] // 60,
                                   written=written), 400
        return _page(400, _("Please try again"),
                     _("This form could not be accepted: it did not come from this site, or the page it was on had "
                       "been replaced since. Nothing was changed. Go back, reload the page and try again."))

    @app.errorhandler(SecurityError)
    def untrusted_host(_error: SecurityError) -> ResponseReturnValue:
        """A Host this site does not answer to (TRUSTED_HOSTS): no page, since no link can be built for it."""
        return _("This site does not answer to that address."), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(RateLimitExceeded)
    def too_many(_error: RateLimitExceeded) -> ResponseReturnValue:
        """Throttled: say when to try again, in words and in ``Retry-After``; nothing was done."""
        seconds = retry_after_seconds()
        minutes = math.ceil(seconds / 60)
        response = make_response(_page(429, _("Too many attempts"), ngettext(
            "There were too many attempts from here in a short time, so this one was not carried out. "
            "Please try again in %(num)d minute.",
            "There were too many attempts from here in a short time, so this one was not carried out. "
            "Please try again in %(num)d minutes.", minutes)))
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(HTTPException)
    def http(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        titles = {400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"), 405: _("Not allowed"),
                  413: _("Too large")}
        return _page(code, titles.get(code, _("Error")), error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.error("unexpected error on %s %s", request.method, logged_path(), exc_info=error)
        return _page_without_account(500, _("Something went wrong"), _(
            "Nothing was changed by this request. Please try again, or tell the coordinator."))
