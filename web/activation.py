"""Activating an account from an invitation code (the ``auth.activate`` endpoint).

The code is typed or pasted into a POST form on ``/activate``; it is never part of a URL, so it never reaches
an access log (gunicorn's or a proxy's), the browser's history or a Referer header. Once the code checks out,
the browser's (signed) session keeps the invitation's key for a few minutes, and the same page asks for the
account's details. Using the invitation, or its expiry, revocation or the case's closure, ends it.
"""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from mediation.errors import InvalidInput
from mediation.services import invitations
from mediation.services.invitations import InvitationRefused, PendingInvitation
from web.calls import call, runtime
from web.password_forms import PASSWORD_HINT, accepted_password, confirm_field, new_password_field
from web.words import say

MARKER = "activation"  # in the session: {"key": the invitation's key, "until": epoch seconds}
MARKER_SECONDS = 15 * 60
NEW_USERNAME = "new_username"  # offered on the sign-in page right after an activation

class CodeForm(FlaskForm):
    code = StringField(_l("Invitation code"), validators=[DataRequired(), Length(max=100)],
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                                  "autocapitalize": "characters"})


class ParticipantForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=invitations.MAX_NAME)])
    username = StringField(_l("Choose a username"), validators=[DataRequired(), Length(min=3, max=60)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    password = new_password_field(_l("Choose a password"))
    confirm = confirm_field("password")


class AccountForm(FlaskForm):
    password = new_password_field(_l("Choose a password"))
    confirm = confirm_field("password")


def _marked_key() -> str | None:
    marker = session.get(MARKER)
    if isinstance(marker, dict) and isinstance(marker.get("key"), str) and marker.get("until", 0) > time.time():
        return marker["key"]
    session.pop(MARKER, None)
    return None


def _refused(error: InvitationRefused) -> ResponseReturnValue:
    session.pop(MARKER, None)
    return render_template("auth/activation_invalid.html", message=say(error)), 404


def _code_page(form: CodeForm, status: int = 200) -> ResponseReturnValue:
    return render_template("auth/activate_code.html", form=form), status


def _redeem() -> ResponseReturnValue:
    """Step one: the code. It is checked, then swapped for a short-lived marker in this browser's session."""
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(form, 400)
    try:
        found = call(invitations.redeem, form.code.data or "")
    except InvitationRefused as error:
        form.code.errors = [say(error)]
        return _code_page(form, 404)
    session[MARKER] = {"key": found.key, "until": int(time.time()) + MARKER_SECONDS}
    return redirect(url_for("auth.activate"), code=303)


def _activated(username: str) -> ResponseReturnValue:
    session.pop(MARKER, None)
    session[NEW_USERNAME] = username
    flash(_("Your account is ready. Your username is %(username)s: write it down, you need it to sign in.",
            username=username), "info")
    return redirect(url_for("auth.login"), code=303)


def _participant_step(found: PendingInvitation) -> ResponseReturnValue:
    """A participant names themselves, chooses the start of their username, and their password.

    Whatever they choose, the answer is the same page: their username gets a random ending, so nothing tells
    whether someone else already uses the name they chose."""
    form = ParticipantForm()
    if form.validate_on_submit():
        stem, name = form.username.data or "", form.name.data or ""
        try:
            invitations.check_stem(stem)
        except InvalidInput:
            form.username.errors = [str(_l("Use 3 to 60 characters: lowercase letters, digits, dots, dashes, "
                                          "underscores."))]
        chosen = accepted_password(form.password, username=invitations.normalise_stem(stem), display_name=name)
        if chosen is not None and not form.username.errors:
            vault = runtime().vault
            user = call(lambda s: invitations.activate_participant(s, vault, found.key, username_stem=stem,
                                                                   name=name, password=chosen))
            return _activated(user.username)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/activate.html", form=form, found=found, password_hint=PASSWORD_HINT), status


def _account_step(found: PendingInvitation) -> ResponseReturnValue:
    """The person behind a staff account sets its password (first activation, or after a reset)."""
    form = AccountForm()
    if form.validate_on_submit():
        chosen = accepted_password(form.password, username=found.username or "",
                                   display_name=found.display_name or "")
        if chosen is not None:
            user = call(invitations.activate_account, found.key, password=chosen)
            return _activated(user.username)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/activate.html", form=form, found=found, password_hint=PASSWORD_HINT), status


def activate() -> ResponseReturnValue:
    if request.method == "POST" and "code" in request.form:
        return _redeem()
    key = _marked_key()
    if key is None:
        if request.method == "POST":
            flash(_("Enter your invitation code first."), "error")
            return redirect(url_for("auth.activate"), code=303)
        return _code_page(CodeForm(formdata=None))
    try:
        found = call(invitations.pending, key)
        if found.for_participant:
            return _participant_step(found)
        return _account_step(found)
    except InvitationRefused as error:
        return _refused(error)
