"""Notification pages: each person's own settings (``/account/notifications`` for staff, mediators and the
coordinator, ``/portal/notifications`` for participants) and the coordinator's outbox health (``/admin/outbox``).

The settings act on the signed-in person only (their id comes from the session, never from the form); the rules
(what an address, a time zone or quiet hours may be) live in ``mediation.notifications.preferences``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.languages import DEFAULT_LANGUAGE, supported
from mediation.notifications import health, preferences
from mediation.notifications.preferences import Choice, Preference
from web import account, admin, portal
from web.calls import actor, call, read, read_as_user, runtime
from web.intake_forms import LANGUAGES
from web.lists import list_query
from web.words import say

CHANNELS = [SelectChoice("email", _l("By e-mail: only that there is something new, never what")),
            SelectChoice("none", _l("Nothing: I look on the site myself"))]

# The outbox page's words for a row's kind and state (the codes stay in the database and the tests).
KINDS = {"something_new": _l("Something new"), "digest": _l("Daily digest"), "invitation": _l("Invitation")}
STATES = {"queued": _l("waiting to be tried again"), "failed": _l("failed")}


class NotificationForm(FlaskForm):
    channel = RadioField(_l("How to tell you that there is something new"), choices=CHANNELS, default="none")
    address = StringField(_l("E-mail address"), render_kw={"autocomplete": "email", "type": "email",
                                                             "spellcheck": "false"})
    language = SelectField(_l("Language of the e-mails"), choices=LANGUAGES, default="en")
    time_zone = StringField(_l("Your time zone"), default="UTC", render_kw={"list": "time-zones",
                                                                           "autocomplete": "off"})
    quiet_from = StringField(_l("Quiet hours from"), render_kw={"type": "time"})
    quiet_until = StringField(_l("Quiet hours until"), render_kw={"type": "time"})


def _filled(preference: Preference) -> NotificationForm:
    form = NotificationForm(formdata=None)
    form.channel.data, form.address.data = preference.channel, preference.address or ""
    form.language.data, form.time_zone.data = preference.language, preference.time_zone
    if preference == Preference():  # nothing chosen yet: offer e-mails in the language the person reads in
        form.language.data = supported(str(get_locale())) or DEFAULT_LANGUAGE
    form.quiet_from.data = preference.quiet_from.strftime("%H:%M") if preference.quiet_from else ""
    form.quiet_until.data = preference.quiet_until.strftime("%H:%M") if preference.quiet_until else ""
    return form


def _page(form: NotificationForm, endpoint: str, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("notifications/settings.html", form=form, endpoint=endpoint, error=error,
                           time_zones=preferences.time_zones()), status


def _settings(endpoint: str) -> ResponseReturnValue:
    keyring = runtime().vault.keyring
    return _page(_filled(read(preferences.my_preference, keyring, actor())), endpoint)


def _save(endpoint: str) -> ResponseReturnValue:
    form = NotificationForm()
    if not form.validate_on_submit():
        return _page(form, endpoint, _("Choose among the choices offered and send the form again."), 400)
    choice = Choice(channel=form.channel.data, address=form.address.data or "", language=form.language.data,
                    time_zone=form.time_zone.data or "", quiet_from=form.quiet_from.data or "",
                    quiet_until=form.quiet_until.data or "")
    try:
        call(preferences.set_my_preference, runtime().vault.keyring, actor(), choice)
    except InvalidInput as refusal:
        return _page(form, endpoint, say(refusal), 400)
    flash(_("Your notification settings were saved."), "info")
    return redirect(url_for(endpoint), code=303)


@account.bp.route("/notifications")
def notifications() -> ResponseReturnValue:
    return _settings("account.notifications")


@account.bp.route("/notifications", methods=["POST"])
def save_notifications() -> ResponseReturnValue:
    return _save("account.notifications")


@portal.bp.route("/notifications")
def notifications_page() -> ResponseReturnValue:
    return _settings("portal.notifications_page")


@portal.bp.route("/notifications", methods=["POST"])
def save_notifications_page() -> ResponseReturnValue:
    return _save("portal.notifications_page")


@admin.bp.route("/outbox")
def outbox() -> ResponseReturnValue:
    """How e-mail is going: counts by state, the oldest waiting, and the failing rows (no content, no address)."""
    query = list_query(key=health.OUTBOX_KEY)
    counts = read_as_user(health.counts, utcnow())
    page = read_as_user(health.failing, query)
    return render_template("admin/outbox.html", counts=counts, page=page, kinds=KINDS, states=STATES)
