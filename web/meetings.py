"""The mediator's pages for a face-to-face meeting: plan it, record clearances, readiness and the sealed
arrangements, see its checklist, hold it (which plans the debrief), cancel or reschedule it. The rules are in
mediation.services.meetings; these views read the form and call it. A refusal comes back to the form's page,
saying what is wrong (web.errors)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.services import meeting_views, meetings
from web import mediator
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text

ATTENDEE_PREFIX = "attendee_"  # one checkbox per person of the case: attendee_12=on
PARTICIPANT = "<int(max=2147483647):participant_id>"
BASE = "/cases/<reference>/face-to-face"


def _attendees() -> list[int]:
    """The ids of the people ticked; anything that is not a number is left for the service to find missing."""
    ticked = [name.removeprefix(ATTENDEE_PREFIX) for name in request.form if name.startswith(ATTENDEE_PREFIX)]
    return [int(value) for value in ticked if value.isascii() and value.isdigit() and len(value) <= 9]


def _to_meeting(reference: str, meeting_id: str) -> ResponseReturnValue:
    return redirect(url_for("mediator.face_to_face_meeting", reference=reference, meeting_id=meeting_id), code=303)


@mediator.bp.route(f"{BASE}/new")
def face_to_face_new(reference: str) -> ResponseReturnValue:
    return render_template("meetings/plan.html", form=read_as_user(meeting_views.planning_form, reference))


@mediator.bp.route(BASE, methods=["POST"])
def face_to_face_plan(reference: str) -> ResponseReturnValue:
    meeting = call_as_user(meetings.plan_meeting, reference, venue=form_text("venue"),
                           institution=form_text("institution"), room=form_text("room"), day=form_text("day"),
                           start=form_text("start"), end=form_text("end"), attendees=_attendees(),
                           with_co_mediator=form_text("co_mediator") == "yes", expected_version=form_int("version"))
    flash(_("The meeting was planned. Record each visitor's clearance and prepare everyone."), "info")
    return _to_meeting(reference, meeting.activity_id)


@mediator.bp.route(f"{BASE}/<meeting_id>")
def face_to_face_meeting(reference: str, meeting_id: str) -> ResponseReturnValue:
    return render_template("meetings/meeting.html",
                           meeting=read_as_user(meeting_views.meeting_view, reference, meeting_id))


@mediator.bp.route(f"{BASE}/<meeting_id>/clearance", methods=["POST"])
def face_to_face_clearance(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_as_user(meetings.set_clearance, reference, meeting_id, visitor=form_text("visitor"),
                 status=form_text("clearance"), expected_version=form_int("version"))
    flash(_("The clearance was recorded."), "info")
    return _to_meeting(reference, meeting_id)


@mediator.bp.route(f"{BASE}/<meeting_id>/people/{PARTICIPANT}", methods=["POST"])
def face_to_face_readiness(reference: str, meeting_id: str, participant_id: int) -> ResponseReturnValue:
    call_as_user(meetings.set_readiness, reference, meeting_id, participant_id=participant_id,
                 prepared=form_text("prepared") == "yes", confirmed=form_text("confirmed") == "yes",
                 expected_version=form_int("version"))
    flash(_("Saved: who is prepared and who confirmed."), "info")
    return _to_meeting(reference, meeting_id)


@mediator.bp.route(f"{BASE}/<meeting_id>/arrangements", methods=["GET", "POST"])
def face_to_face_arrangements(reference: str, meeting_id: str) -> ResponseReturnValue:
    """The safety plan, escorts and travel: sealed; opening them is audited."""
    if request.method == "POST":
        call_with_vault(meetings.record_arrangements, reference, meeting_id, safety_plan=form_text("safety_plan"),
                        escorts=form_text("escorts"), travel=form_text("travel"))
        flash(_("The arrangements were saved, encrypted."), "info")
        return _to_meeting(reference, meeting_id)
    meeting = read_as_user(meeting_views.meeting_view, reference, meeting_id)
    opened = call_with_vault(meetings.open_arrangements, reference, meeting_id)
    return render_template("meetings/arrangements.html", meeting=meeting, opened=opened)


@mediator.bp.route(f"{BASE}/<meeting_id>/hold", methods=["POST"])
def face_to_face_hold(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_as_user(meetings.hold_meeting, reference, meeting_id, debrief_day=form_text("debrief_day"),
                 debrief_time=form_text("debrief_time"), expected_version=form_int("version"))
    flash(_("The meeting was recorded as held, and its debrief is planned."), "info")
    return _to_meeting(reference, meeting_id)


@mediator.bp.route(f"{BASE}/<meeting_id>/cancel", methods=["POST"])
def face_to_face_cancel(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_as_user(meetings.cancel_meeting, reference, meeting_id, expected_version=form_int("version"))
    flash(_("The meeting was cancelled."), "info")
    return _to_meeting(reference, meeting_id)


@mediator.bp.route(f"{BASE}/<meeting_id>/reschedule", methods=["POST"])
def face_to_face_reschedule(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_as_user(meetings.reschedule_meeting, reference, meeting_id, day=form_text("day"), start=form_text("start"),
                 end=form_text("end"), expected_version=form_int("version"))
    flash(_("The meeting was moved."), "info")
    return _to_meeting(reference, meeting_id)
