"""The step between an accepted password and a signed-in session, for accounts with two-factor sign-in.

After the password, such an account gets only a marker in its (signed) session cookie: "password accepted for
user N at time T; next: a code, or enrolment". It is not a signed-in session: Flask-Login's ``login_user``
runs only once the second factor is checked (``web/two_factor.py``), so every role's page still sends the
marker's holder to the sign-in page. The marker expires after a few minutes; signing in spends it (the session
is started afresh) and a new password replaces it.
"""

from __future__ import annotations

import time

from flask import redirect, session, url_for
from flask.typing import ResponseReturnValue

from mediation.crypto.keyring import Keyring
from mediation.models import User
from mediation.services import two_factor
from mediation.services.two_factor import SecondStep
from web.calls import call, runtime

MARKER = "password_accepted"
# Long enough to find the phone; enrolling may mean installing an app first.
LIFETIME_SECONDS = {SecondStep.CODE: 5 * 60, SecondStep.ENROL: 15 * 60}
PAGE = {SecondStep.CODE: "two_factor.code", SecondStep.ENROL: "two_factor.enrol"}


def required_roles() -> frozenset[str]:
    return runtime().settings.two_factor_required_roles


def keyring() -> Keyring:
    return runtime().vault.keyring


def start_if_needed(user: User) -> ResponseReturnValue | None:
    """The login view's hook: None to sign ``user`` in now; else set the marker and go to the second step."""
    step = call(two_factor.second_step, user.id, required_roles=required_roles())
    if step is SecondStep.NONE:
        return None
    if step is SecondStep.ENROL:
        call(two_factor.begin_enrolment, keyring(), user.id)
    session[MARKER] = {"user": user.id, "step": step.value, "at": int(time.time())}
    return redirect(url_for(PAGE[step]), code=303)


def pending_user(step: SecondStep) -> int | None:
    """The account whose password was accepted for ``step``, while its marker is fresh; a stale one is dropped."""
    marker = session.get(MARKER)
    if not isinstance(marker, dict) or marker.get("step") != step.value:
        return None
    age = time.time() - int(marker.get("at", 0))
    if not 0 <= age <= LIFETIME_SECONDS[step]:
        session.pop(MARKER, None)
        return None
    return int(marker["user"])
