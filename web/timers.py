"""Timers as pages: a mediator's reminders (their cases' upcoming and overdue timers) and, for the coordinator,
every timer, the failed ones included, with the coordinator's own notices (a stalled case, a failed timer).

Registered on the mediator's and the coordinator's blueprints, so their gates cover every route here.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.db import utcnow
from mediation.services import notices, timer_views
from mediation.services.timer_views import COORDINATOR_VIEWS, MEDIATOR_VIEWS, TIMER_KEY, parse_which
from web import admin, mediator
from web.calls import call_as_user, read_as_user
from web.lists import list_query


@mediator.bp.route("/reminders")
def my_reminders() -> ResponseReturnValue:
    which = parse_which(request.args, MEDIATOR_VIEWS)
    page = read_as_user(timer_views.my_reminders, list_query(key=TIMER_KEY), which)
    return render_template("mediator/reminders.html", page=page, which=which, views=MEDIATOR_VIEWS, now=utcnow())


@admin.bp.route("/timers")
def timers() -> ResponseReturnValue:
    which = parse_which(request.args, COORDINATOR_VIEWS)
    page = read_as_user(timer_views.all_timers, list_query(key=TIMER_KEY), which)
    return render_template("admin/timers.html", page=page, which=which, views=COORDINATOR_VIEWS, now=utcnow(),
                           notices=read_as_user(notices.my_notices), notices_shown=notices.NOTICES_SHOWN,
                           stale_days=current_app.config["STALE_CASE_DAYS"])


@admin.bp.route("/notices/<int(max=2147483647):notice_id>/dismiss", methods=["POST"])
def dismiss_notice(notice_id: int) -> ResponseReturnValue:
    call_as_user(notices.dismiss, notice_id)
    flash(_("The notice was dismissed."), "info")
    return redirect(url_for("admin.timers"), code=303)
