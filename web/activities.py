"""The mediator's activities (each case's contacts, planned and done), their agenda across cases, and the page
where they make, replace or revoke their calendar's secret address.

Registered on the mediator's blueprint (``web.mediator.bp``), so its gate covers every route here.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.services import activities, agenda, calendar, views
from mediation.services.agenda import WHICH
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text
from web.lists import list_query
from web.mediator import bp

PERSON_FIELD = "person-"  # one checkbox per person (a field may not be sent twice), named person-<id>


def _chosen_people() -> list[int]:
    chosen = []
    for name in request.form:
        if name.startswith(PERSON_FIELD):
            number = name.removeprefix(PERSON_FIELD)
            if not (number.isascii() and number.isdigit()) or len(number) > 9:
                abort(400, description=_("'%(name)s' must be a whole number.", name=name[:40]))
            chosen.append(int(number))
    return chosen


def _to_activities(reference: str) -> ResponseReturnValue:
    return redirect(url_for("mediator.case_activities", reference=reference), code=303)


@bp.route("/cases/<reference>/activities")
def case_activities(reference: str) -> ResponseReturnValue:
    query = list_query(key=activities.ACTIVITY_KEY)
    listing = call_with_vault(activities.case_activities, reference, query)
    page = read_as_user(views.case_page, reference)
    return render_template("mediator/activities.html", listing=listing, page=page, items=listing.page,
                           max_place=activities.MAX_PLACE, max_notes=activities.MAX_NOTES,
                           min_minutes=activities.MIN_MINUTES, max_minutes=activities.MAX_MINUTES)


@bp.route("/cases/<reference>/activities", methods=["POST"])
def plan_activity(reference: str) -> ResponseReturnValue:
    done = form_text("done") == "yes"
    call_with_vault(activities.plan_activity, reference, kind=form_text("kind"), day=form_text("day"),
                    at=form_text("time"), duration=form_text("duration") or "", place=form_text("place"),
                    participant_ids=_chosen_people(), with_co_mediator=form_text("co_mediator") == "yes",
                    notes=form_text("notes"), done=done, expected_version=form_int("version"))
    flash(_("The contact was recorded.") if done else _("The activity was planned."), "info")
    return _to_activities(reference)


@bp.route("/cases/<reference>/activities/<activity_id>/done", methods=["POST"])
def activity_done(reference: str, activity_id: str) -> ResponseReturnValue:
    call_with_vault(activities.mark_done, reference, activity_id, notes=form_text("notes"))
    flash(_("The activity was recorded as done."), "info")
    return _to_activities(reference)


@bp.route("/cases/<reference>/activities/<activity_id>/cancel", methods=["POST"])
def cancel_activity(reference: str, activity_id: str) -> ResponseReturnValue:
    call_as_user(activities.cancel, reference, activity_id)
    flash(_("The activity was cancelled."), "info")
    return _to_activities(reference)


@bp.route("/activities/<which>")
def my_activities(which: str) -> ResponseReturnValue:
    if which not in WHICH:
        abort(404)
    page = read_as_user(agenda.agenda_page, which, list_query(key=agenda.AGENDA_KEY))
    return render_template("mediator/agenda.html", which=which, page=page, days=agenda.UPCOMING_DAYS)


@bp.route("/calendar")
def calendar_page() -> ResponseReturnValue:
    return render_template("mediator/calendar.html", feed=read_as_user(calendar.my_feed), address=None)


@bp.route("/calendar", methods=["POST"])
def create_calendar() -> ResponseReturnValue:
    """A new secret address, shown this once (never stored in clear, never in a log)."""
    token = call_as_user(calendar.create_feed)
    address = url_for("public.calendar_feed", token=token, _external=True)
    return render_template("mediator/calendar.html", feed=read_as_user(calendar.my_feed), address=address)


@bp.route("/calendar/revoke", methods=["POST"])
def revoke_calendar() -> ResponseReturnValue:
    call_as_user(calendar.revoke_feed)
    flash(_("Your calendar address was revoked; calendars that used it get nothing more."), "info")
    return redirect(url_for("mediator.calendar_page"), code=303)
