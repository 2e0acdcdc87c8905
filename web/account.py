"""The signed-in person's own account, whatever their role: changing their password, signing out everywhere."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from mediation.passwords import MAX_LENGTH
from mediation.services import accounts
from web.auth import end_this_session, replace_session_key
from web.calls import call_as_user, runtime
from web.extensions import login_manager
from web.password_forms import PASSWORD_HINT, accepted_password, confirm_field, new_password_field

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def gate() -> ResponseReturnValue | None:
    """Open to every signed-in person, closed to everyone else."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                            render_kw={"autocomplete": "current-password"})
    password = new_password_field(_l("New password"))
    confirm = confirm_field("password")


def _page(form: PasswordChangeForm, status: int = 200) -> ResponseReturnValue:
    return render_template("auth/account.html", form=form, password_hint=PASSWORD_HINT), status


@bp.route("/")
def home() -> ResponseReturnValue:
    return _page(PasswordChangeForm(formdata=None))


@bp.route("/password", methods=["POST"])
def change_password() -> ResponseReturnValue:
    """The current password is required; every session of the account ends, and this browser goes on in a fresh
    one (so a copy of its old cookie is signed out too)."""
    form = PasswordChangeForm()
    user = current_user.user
    chosen = None
    if form.validate_on_submit():
        chosen = accepted_password(form.password, username=user.username, display_name=user.display_name)
    if chosen is None:
        return _page(form, 400)
    try:
        fresh = accounts.change_password(runtime().transaction, user.id, current=form.current.data or "",
                                         new=chosen)
    except accounts.WrongPassword:
        form.current.errors = [_("The current password is not right.")]
        return _page(form, 400)
    replace_session_key(fresh)
    flash(_("Your password was changed. Every other session of your account was signed out."), "info")
    return redirect(url_for("account.home"), code=303)


@bp.route("/sign-out-everywhere", methods=["POST"])
def sign_out_everywhere() -> ResponseReturnValue:
    """End every session of the account, on every device, this one included."""
    call_as_user(accounts.sign_out_everywhere)
    end_this_session()
    flash(_("Your account was signed out everywhere. Sign in again to continue."), "info")
    return redirect(url_for("auth.login"), code=303)
