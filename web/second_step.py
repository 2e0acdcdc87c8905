"""The step between an accepted password and a signed-in session, for accounts with two-factor sign-in.

After the password, such an account gets only a marker in its (signed) session cookie: "password accepted for
user N at time T; next: a code, or enrolment; attempt token X". It is not a signed-in session: Flask-Login's
``login_user`` runs only once the second factor is checked (``web/two_factor.py``), so every role's page still
sends the marker's holder to the sign-in page. The marker expires after a few minutes. It is single-use even
though a cookie can be copied: the database keeps the hash of the account's current attempt token, which
signing in spends and a newer password replaces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, redirect, session, url_for
from flask.typing import ResponseReturnValue

from mediation.crypto.keyring import Keyrings
from mediation.models import User
from mediation.services import two_factor
from mediation.services.two_factor import SecondStep
from web.calls import call, runtime

MARKER = "password_accepted"
# Long enough to find the phone; enrolling may mean installing an app first.
LIFETIME_SECONDS = {SecondStep.CODE: 5 * 60, SecondStep.ENROL: 15 * 60}
CLOCK_SKEW_SECONDS = 30  # between the server processes that set and read the marker
PAGE = {SecondStep.CODE: "two_factor.code", SecondStep.ENROL: "two_factor.enrol"}


def required_roles() -> frozenset[str]:
    return frozenset(current_app.config["TWO_FACTOR_REQUIRED_ROLES"])


def keyring() -> Keyrings:
    return runtime().vault.keyring


def start_if_needed(user: User) -> ResponseReturnValue | None:
    """The login view's hook: None to sign ``user`` in now; else set the marker and go to the second step."""
    started = call(two_factor.start_sign_in, keyring(), user.id, required_roles=required_roles())
    if started.step is SecondStep.NONE:
        return None
    session[MARKER] = {"user": user.id, "step": started.step.value, "at": int(time.time()),
                       "attempt": started.attempt}
    return redirect(url_for(PAGE[started.step]), code=303)


@dataclass(frozen=True)
class Pending:
    user_id: int
    attempt: str


def pending(step: SecondStep) -> Pending | None:
    """The sign-in waiting for ``step``, while its marker is fresh; a stale marker is dropped."""
    marker = session.get(MARKER)
    if not isinstance(marker, dict) or marker.get("step") != step.value:
        return None
    try:
        age = time.time() - int(marker["at"])
        waiting = Pending(int(marker["user"]), str(marker["attempt"]))
    except (KeyError, TypeError, ValueError):  # a marker this version did not write
        age, waiting = float("inf"), None
    if waiting is None or not -CLOCK_SKEW_SECONDS <= age <= LIFETIME_SECONDS[step]:
        forget()
        return None
    return waiting


def forget() -> None:
    session.pop(MARKER, None)
