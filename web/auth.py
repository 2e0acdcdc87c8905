"""Signing in and out, the idle timeout, and the per-role gate every blueprint uses.

A signed-in session is a row on the server (``login_sessions``) whose random key the session cookie carries:
the user loader accepts a cookie only while its row is open, so signing out, the idle timeout, a password
change, a deactivation or "sign out everywhere" end every copy of the cookie at once, wherever it was replayed.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mediation.models import Role, User
from mediation.notifications import preferences
from mediation.services import accounts
from web import activation, second_step
from web.calls import call, read, runtime
from web.extensions import login_manager

bp = Blueprint("auth", __name__)
bp.add_url_rule("/activate", "activate", activation.activate, methods=["GET", "POST"])

HOME_BY_ROLE = {Role.ADMIN: "admin.cases", Role.MEDIATOR: "mediator.dashboard", Role.STAFF: "staff.referrals",
                Role.PARTICIPANT: "portal.home",
                Role.VOLUNTEER: "circles.home"}
SESSION_KEY = "sid"  # the cookie's key to its row in login_sessions


class Account(UserMixin):
    """Flask-Login's view of a domain user; the domain itself knows nothing about sessions."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:
        return bool(self.user.is_active)


@login_manager.user_loader
def load_account(user_id: str) -> Account | None:
    if not user_id.isdigit():
        return None
    user = read(accounts.signed_in_user, int(user_id), session.get(SESSION_KEY))
    return Account(user) if user is not None else None


def session_key() -> str | None:
    """This browser's key to its signed-in session."""
    return session.get(SESSION_KEY)


def replace_session_key(key: str) -> None:
    """Carry on in a fresh server-side session (after the old one, and every copy of its cookie, ended)."""
    session[SESSION_KEY] = key


def home_for(user: User) -> str:
    return url_for(HOME_BY_ROLE[Role(user.role)])


def role_blueprint(name: str, role: Role) -> Blueprint:
    """A blueprint whose every route is closed to anyone but a signed-in ``role``: deny by default."""
    blueprint = Blueprint(name, __name__, url_prefix=f"/{name}")

    @blueprint.before_request
    def gate() -> ResponseReturnValue | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.user.role != role:
            abort(403)
        return None

    return blueprint


def end_this_session() -> None:
    """Sign this browser out, and with it every copy of its cookie."""
    call(accounts.end_session, session_key())
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def enforce_idle_timeout() -> ResponseReturnValue | None:
    """Sign out a session left idle longer than the configured minutes."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    limit = current_app.config["IDLE_SECONDS"]
    last = session.get("seen", now)
    if now - int(last) > limit:
        end_this_session()
        flash(_("You were signed out after a period without activity."), "info")
        return redirect(url_for("auth.login"))
    session["seen"] = now
    return None


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)],
                             render_kw={"autocomplete": "current-password"})


def password_step(form: LoginForm) -> User | None:
    """Step one of signing in: the username and password (a further step, such as a one-time code, comes after
    this and before ``start_signed_in_session``). Argon2 runs outside any database transaction."""
    return accounts.authenticate(runtime().transaction, form.username.data or "", form.password.data or "")


def sign_in(user: User) -> None:
    """The last step of signing in (after the password, or after its second factor): a fresh server-side
    session, nothing carried over from before but the language switched to on this browser; without one, the
    language the person chose for what the service tells them."""
    language = session.get("lang") or read(preferences.chosen_language, user.id)
    session.clear()
    if language:
        session["lang"] = language
    session[SESSION_KEY] = call(accounts.start_session, user.id)
    login_user(Account(user))
    session["seen"] = int(time.time())


def start_signed_in_session(user: User) -> ResponseReturnValue:
    sign_in(user)
    return redirect(home_for(user))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """A failed sign-in answers 400 and a successful one redirects, so rate limits can count failures."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.user))
    form = LoginForm()
    if request.method == "GET" and not form.username.data:
        form.username.data = session.pop(activation.NEW_USERNAME, None)
    if form.validate_on_submit():
        user = password_step(form)
        if user is not None:
            # Two-factor hook: an account with a second step gets only a short-lived "password accepted"
            # marker here and is signed in by web/two_factor.py after its code; every other account now.
            second = second_step.start_if_needed(user)
            if second is not None:
                return second
            return start_signed_in_session(user)
        flash(_("The username or password is not right."), "error")
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    end_this_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))
