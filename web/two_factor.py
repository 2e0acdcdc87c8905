"""Two-factor sign-in pages: the code step and the required enrolment that follow an accepted password, and each
person's account page to turn it on (or off, where their role allows) and to renew their recovery codes.

A wrong code answers 400 and a right one redirects, so rate limits that count failures on sign-in endpoints
count these too.
"""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from mediation.errors import InvalidInput
from mediation.services import two_factor
from mediation.services.two_factor import Enrolment, SecondStep, SignInExpired
from web.account import bp as account_bp  # the two-factor pages are part of the person's own account
from web.auth import home_for, sign_in
from web.calls import actor, call
from web.second_step import forget, keyring, pending, required_roles
from web.words import say

bp = Blueprint("two_factor", __name__)  # the steps of signing in, for the holder of a password-accepted marker

WRONG_CODE = _l("That code is not right, or it was already used. Enter the code your app shows now.")


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"})


def qr_code(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (the CSP allows data: images, nothing else inline)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


def _status() -> int:
    """A form shown again after a POST was refused: 400, which rate limits on sign-in endpoints count."""
    return 400 if request.method == "POST" else 200


def _sign_in_again(message: str | None = None) -> ResponseReturnValue:
    """Back to the password: with ``message``, the marker is spent or replaced and is dropped."""
    if message is not None:
        forget()
        flash(message, "error")
    elif not current_user.is_authenticated:
        flash(_("Please sign in with your username and password."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    waiting = pending(SecondStep.CODE)
    if waiting is None:
        return _sign_in_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            check = call(two_factor.verify_sign_in, keyring(), waiting.user_id, waiting.attempt, form.code.data or "")
        except SignInExpired as error:
            return _sign_in_again(say(error))
        if check.user is not None:
            sign_in(check.user)
            if check.recovery_codes_left is not None:
                flash(ngettext("You used a recovery code; it will not work again. %(num)d recovery code is left.",
                               "You used a recovery code; it will not work again. %(num)d recovery codes are left.",
                               check.recovery_codes_left), "info")
                if check.recovery_codes_left == 0:
                    flash(_("Make new recovery codes on your account page."), "error")
            return redirect(home_for(check.user), code=303)
        flash(str(WRONG_CODE), "error")
    return render_template("auth/two_factor_code.html", form=form), _status()


def _enrolment_page(enrolment: Enrolment, form: CodeForm, action: str) -> ResponseReturnValue:
    return render_template("auth/two_factor_enrol.html", form=form, action=action, secret=enrolment.secret,
                           qr=qr_code(enrolment.uri)), _status()


def _recovery_codes_page(codes: list[str], then: str) -> ResponseReturnValue:
    return render_template("auth/recovery_codes.html", codes=codes, then=then)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> ResponseReturnValue:
    """Required for this role and not set up yet: set it up now, before reaching anything else."""
    waiting = pending(SecondStep.ENROL)
    if waiting is None:
        return _sign_in_again()
    form = CodeForm()
    try:
        if form.validate_on_submit():
            enrolled = call(two_factor.confirm_sign_in_enrolment, keyring(), waiting.user_id, waiting.attempt,
                            form.code.data or "")
            if enrolled is not None:
                sign_in(enrolled.user)
                return _recovery_codes_page(enrolled.recovery_codes, home_for(enrolled.user))
            flash(str(WRONG_CODE), "error")
        enrolment = call(two_factor.sign_in_enrolment, keyring(), waiting.user_id, waiting.attempt)
    except SignInExpired as error:
        return _sign_in_again(say(error))
    return _enrolment_page(enrolment, form, url_for("two_factor.enrol"))


def _back_to_account(message: str, category: str = "info") -> ResponseReturnValue:
    flash(message, category)
    return redirect(url_for("account.two_factor"), code=303)


def _forms() -> dict[str, CodeForm]:
    """The account page's two code forms, prefixed so their fields never share an id."""
    return {"disable_form": CodeForm(prefix="disable"), "renew_form": CodeForm(prefix="renew")}


def _account_page(forms: dict[str, CodeForm], status_code: int = 200) -> ResponseReturnValue:
    status = call(two_factor.status, actor().id, required_roles=required_roles())
    return render_template("auth/two_factor_account.html", status=status, **forms), status_code


@account_bp.route("/two-factor", endpoint="two_factor")
def account_page() -> ResponseReturnValue:
    return _account_page(_forms())


@account_bp.route("/two-factor/start", methods=["POST"])
def start() -> ResponseReturnValue:
    try:
        call(two_factor.begin_enrolment, keyring(), actor().id)
    except InvalidInput as error:
        return _back_to_account(say(error), "error")
    return redirect(url_for("account.set_up"), code=303)


@account_bp.route("/two-factor/set-up", methods=["GET", "POST"])
def set_up() -> ResponseReturnValue:
    form = CodeForm()
    try:
        if form.validate_on_submit():
            enrolled = call(two_factor.confirm_enrolment, keyring(), actor().id, form.code.data or "")
            if enrolled is not None:
                return _recovery_codes_page(enrolled.recovery_codes, url_for("account.two_factor"))
            flash(str(WRONG_CODE), "error")
        enrolment = call(two_factor.pending_enrolment, keyring(), actor().id)
        return _enrolment_page(enrolment, form, url_for("account.set_up"))
    except InvalidInput as error:
        return _back_to_account(say(error), "error")


@account_bp.route("/two-factor/disable", methods=["POST"])
def disable() -> ResponseReturnValue:
    forms = _forms()
    form = forms["disable_form"]
    try:
        if form.validate_on_submit() and call(two_factor.disable, keyring(), actor().id, form.code.data or "",
                                              required_roles=required_roles()):
            return _back_to_account(_("Two-factor sign-in is off. Your password alone now signs you in."))
    except InvalidInput as error:
        return _back_to_account(say(error), "error")
    flash(str(WRONG_CODE), "error")
    return _account_page(forms, 400)


@account_bp.route("/two-factor/recovery-codes", methods=["POST"])
def new_recovery_codes() -> ResponseReturnValue:
    forms = _forms()
    form = forms["renew_form"]
    try:
        codes = (call(two_factor.regenerate_recovery_codes, keyring(), actor().id, form.code.data or "")
                 if form.validate_on_submit() else None)
    except InvalidInput as error:
        return _back_to_account(say(error), "error")
    if codes is not None:
        return _recovery_codes_page(codes, url_for("account.two_factor"))
    flash(str(WRONG_CODE), "error")
    return _account_page(forms, 400)
