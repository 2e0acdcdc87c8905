"""Signing in and out, the idle timeout, portal activation, and the per-role gate every blueprint uses."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from mediation.errors import NotFound
from mediation.models import Role, User
from mediation.services import accounts
from web import second_step
from web.calls import call, read
from web.extensions import login_manager

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {Role.ADMIN: "admin.cases", Role.MEDIATOR: "mediator.dashboard", Role.STAFF: "staff.referrals",
                Role.PARTICIPANT: "portal.home"}


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
    user = read(accounts.active_user, int(user_id))
    return Account(user) if user is not None else None


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


def enforce_idle_timeout() -> ResponseReturnValue | None:
    """Sign out a session left idle longer than the configured minutes."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    limit = current_app.config["IDLE_SECONDS"]
    last = session.get("seen", now)
    if now - int(last) > limit:
        logout_user()
        session.clear()
        flash(_("You were signed out after a period without activity."), "info")
        return redirect(url_for("auth.login"))
    session["seen"] = now
    return None


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user.user))
    form = LoginForm()
    if form.validate_on_submit():
        user = call(accounts.authenticate, form.username.data or "", form.password.data or "")
        if user is not None:
            # Two-factor hook: an account with a second step gets only a short-lived "password accepted"
            # marker here and is signed in by web/two_factor.py after its code; every other account now.
            second = second_step.start_if_needed(user)
            if second is not None:
                return second
            sign_in(user)
            return redirect(home_for(user))
        flash(_("The username or password is not right."), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 400


def sign_in(user: User) -> None:
    """Start a signed-in session for ``user``: a fresh one, nothing carried over but the language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(Account(user))
    session["seen"] = int(time.time())


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


class ActivationForm(FlaskForm):
    display_name = StringField(_l("Name to show"), validators=[DataRequired(), Length(max=120)])
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=80)])
    password = PasswordField(_l("Password (at least 12 characters)"),
                             validators=[DataRequired(), Length(min=12, max=500)])
    confirm = PasswordField(_l("Password again"), validators=[DataRequired(), EqualTo("password")])


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str) -> ResponseReturnValue:
    try:
        read(accounts.check_invitation, token)
    except NotFound as error:
        return render_template("auth/activation_invalid.html", message=str(error)), 404
    form = ActivationForm()
    if form.validate_on_submit():
        call(accounts.activate_account, token, username=form.username.data or "",
             display_name=form.display_name.data or "", password=form.password.data or "")
        flash(_("Your account is ready. Please sign in."), "info")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/activate.html", form=form, token=token), status
