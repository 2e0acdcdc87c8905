"""Which programmes' links the navigation shows, decided once at sign-in from the account's roles per programme.

Every page would otherwise ask the database again for a link. A role given or taken later shows in the
navigation at the next sign-in; the pages themselves check the role on every request, so a stale link only
leads to a refusal. The session holds role codes only (never trusted for anything but the link).
"""

from __future__ import annotations

from flask import session
from flask_login import current_user, user_logged_in

from mediation.services import programme_roles
from web.calls import read

SESSION_KEY = "programme_roles"


@user_logged_in.connect
def remember_programme_roles(_sender: object, user: object, **_extra: object) -> None:
    account = getattr(user, "user", None)
    if account is not None:
        session[SESSION_KEY] = [f"{p}:{r}" for p, r in read(lambda s: programme_roles.roles_of(s, account.id))]


def holds(programme: str, *roles: str) -> bool:
    """Whether the signed-in account held one of ``roles`` in ``programme`` when it signed in."""
    if not current_user.is_authenticated:
        return False
    held = set(session.get(SESSION_KEY) or ())
    return any(f"{programme}:{role}" in held for role in roles)
