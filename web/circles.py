"""The pages of Circles of Support and Accountability: one blueprint for everyone who has a place in a circle.

Nobody reaches a circle through their account's role: every page asks the circles services, which decide from
the programme's grants and the circle's own people (a circle someone has no place in answers 404, a place
without the right answers 403). The views read the form, call one service, and render.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from mediation.diagrams import workflow_svg
from mediation.models import Role
from mediation.services.circles import concerns, lifecycle, meetings, outer, requests, roster, views, volunteers
from mediation.services.circles.access import COORDINATOR, SUPERVISING_STAFF, is_coordinator
from mediation.services.listing import ListQuery
from web import programme_nav
from web.calls import call_as_user, call_with_vault, read_as_user
from web.circle_words import circle_label, register_words
from web.extensions import login_manager
from web.forms import form_int, form_text
from web.lists import list_query
from workflows.circle_people import OuterRole, ScreeningStep
from workflows.circle_workflow import CIRCLE_TRIGGERS, CircleState
from workflows.programmes import CIRCLES

bp = Blueprint("circles", __name__, url_prefix="/circles")
register_words(bp)
CIRCLE = "/<reference>"
MEETING = "/<reference>/meetings/<meeting_id>"
USER = "<int(max=2147483647):user_id>"
ATTENDEE_PREFIX = "attendee_"


@bp.app_context_processor
def circle_links() -> dict[str, object]:
    """For the navigation's and the portal home's partials: asked only when a page includes them."""

    def circles_nav() -> bool:
        """Volunteers and forwarding staff have circles pages by their account; staff by their circles role."""
        if not current_user.is_authenticated:
            return False
        return (current_user.user.role in (Role.VOLUNTEER, Role.STAFF)
                or programme_nav.holds(CIRCLES, COORDINATOR, SUPERVISING_STAFF))

    def my_circles() -> list[str]:
        return read_as_user(views.my_circle_references) if current_user.is_authenticated else []

    return {"circles_nav": circles_nav, "my_circles": my_circles}


@bp.before_request
def signed_in() -> ResponseReturnValue | None:
    """Signed-in people only; which circle and what they may do there, the services decide."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _to_circle(reference: str) -> ResponseReturnValue:
    return redirect(url_for("circles.circle", reference=reference), code=303)


def _to_meeting(reference: str, meeting_id: str) -> ResponseReturnValue:
    return redirect(url_for("circles.meeting", reference=reference, meeting_id=meeting_id), code=303)


def _circles_query() -> ListQuery:
    return list_query(key=views.LIST_KEY, statuses=tuple(CircleState))


# --- lists -------------------------------------------------------------------------------------------------------

@bp.route("/")
def home() -> ResponseReturnValue:
    """Everyone's circles: the team's list (the coordinator's overdue minutes too), the staff's forwarded
    requests, the core member's own circle."""
    query = _circles_query()
    page = read_as_user(views.circles_list, query)
    coordinator = read_as_user(is_coordinator)
    overdue = read_as_user(views.overdue_minutes, ListQuery(size=query.size)) if coordinator else None
    return render_template("circles/home.html", page=page, overdue=overdue, coordinator=coordinator,
                           staff=current_user.user.role == Role.STAFF)


@bp.route("/overdue")
def overdue() -> ResponseReturnValue:
    page = read_as_user(views.overdue_minutes, list_query(key=views.MEETING_KEY))
    return render_template("circles/overdue.html", page=page)


@bp.route("/forwarded")
def forwarded() -> ResponseReturnValue:
    page = read_as_user(views.forwarded_requests, list_query(key=views.LIST_KEY))
    return render_template("circles/forwarded.html", page=page)


@bp.route("/forward", methods=["GET", "POST"])
def forward() -> ResponseReturnValue:
    """Referring staff forward a core member's request (then see only received / acknowledged)."""
    if request.method == "POST":
        case = call_with_vault(requests.forward_request, note=form_text("note"))
        flash(_("The request was forwarded. Its reference is %(reference)s.", reference=case.reference), "info")
        return redirect(url_for("circles.forwarded"), code=303)
    read_as_user(requests.may_forward)
    return render_template("circles/forward.html")


@bp.route("/requests", methods=["POST"])
def record_request() -> ResponseReturnValue:
    case = call_with_vault(requests.record_request, note=form_text("note"))
    flash(_("The request for a circle was recorded as %(reference)s.", reference=case.reference), "info")
    return _to_circle(case.reference)


@bp.route("/volunteers")
def registry() -> ResponseReturnValue:
    page = read_as_user(volunteers.registry, list_query(key=volunteers.REGISTRY_KEY))
    return render_template("circles/volunteers.html", page=page, steps=tuple(ScreeningStep))


@bp.route(f"/volunteers/{USER}/application", methods=["POST"])
def volunteer_application(user_id: int) -> ResponseReturnValue:
    call_as_user(volunteers.record_application, user_id, applied_on=form_text("on"))
    flash(_("The application was recorded."), "info")
    return redirect(url_for("circles.registry"), code=303)


@bp.route(f"/volunteers/{USER}/steps", methods=["POST"])
def volunteer_step(user_id: int) -> ResponseReturnValue:
    call_as_user(volunteers.record_step, user_id, step=form_text("step"), on=form_text("on"))
    flash(_("The step was recorded with its date."), "info")
    return redirect(url_for("circles.registry"), code=303)


# --- one circle --------------------------------------------------------------------------------------------------

@bp.route(CIRCLE)
def circle(reference: str) -> ResponseReturnValue:
    """The circle's page: the team's, or the core member's in plain terms."""
    page = read_as_user(views.circle_or_own, reference, list_query(key=views.MEETING_KEY))
    if isinstance(page, views.CoreMemberCircle):
        return render_template("circles/mine.html", circle=page)
    coordinating = page.standing.coordinator and page.open
    codes = {state for state, _moves in page.steps} | set(CIRCLE_TRIGGERS)
    picture = workflow_svg(page.workflow_version, page.state,
                           _("Workflow of this circle; current step: %(step)s", step=circle_label(page.state)),
                           {code: circle_label(code) for code in codes})
    return render_template("circles/circle.html", circle=page, outer_roles=tuple(OuterRole), picture=picture,
                           volunteers=read_as_user(roster.ready_volunteers) if coordinating else [],
                           supervisors=read_as_user(roster.supervisors) if coordinating else [])


@bp.route(f"{CIRCLE}/actions", methods=["POST"])
def act(reference: str) -> ResponseReturnValue:
    trigger = form_text("trigger")
    state = call_as_user(lifecycle.move, reference, trigger, reason=form_text("reason"),
                         expected_version=form_int("version"))
    flash(_("Done: the circle is now %(state)s.", state=circle_label(state)), "info")
    return _to_circle(reference)


@bp.route(f"{CIRCLE}/withdraw")
def withdraw(reference: str) -> ResponseReturnValue:
    circle_view = read_as_user(views.core_member_view, reference, ListQuery(size=1))
    return render_template("circles/withdraw.html", circle=circle_view)


@bp.route(f"{CIRCLE}/core-member", methods=["POST"])
def link_core_member(reference: str) -> ResponseReturnValue:
    call_as_user(roster.link_core_member, reference, form_text("username"), expected_version=form_int("version"))
    flash(_("The core member's account is linked to the circle."), "info")
    return _to_circle(reference)


@bp.route(f"{CIRCLE}/invite-core-member", methods=["POST"])
def invite_core_member(reference: str) -> ResponseReturnValue:
    """A portal account for the core member: its one-time code is shown once, here."""
    user, code = call_as_user(roster.invite_core_member, reference, hours=current_app.config["INVITATION_HOURS"],
                              expected_version=form_int("version"))
    return render_template("auth/invitation_code.html", code=code, hours=current_app.config["INVITATION_HOURS"],
                           address=url_for("auth.activate", _external=True), username=user.username, created=True,
                           back=url_for("circles.circle", reference=reference))


@bp.route(f"{CIRCLE}/supervisor", methods=["POST"])
def supervisor(reference: str) -> ResponseReturnValue:
    call_as_user(roster.assign_supervisor, reference, form_int("user_id"), expected_version=form_int("version"))
    flash(_("The supervising staff member was assigned."), "info")
    return _to_circle(reference)


@bp.route(f"{CIRCLE}/volunteers", methods=["POST"])
def add_volunteer(reference: str) -> ResponseReturnValue:
    call_as_user(lifecycle.add_volunteer, reference, form_int("user_id"), expected_version=form_int("version"))
    flash(_("The volunteer joined the circle."), "info")
    return _to_circle(reference)


@bp.route(f"{CIRCLE}/renew", methods=["POST"])
def renew(reference: str) -> ResponseReturnValue:
    call_as_user(lifecycle.renew, reference, expected_version=form_int("version"))
    flash(_("The circle was renewed for a year."), "info")
    return _to_circle(reference)


@bp.route(f"{CIRCLE}/renewal-wish", methods=["POST"])
def renewal_wish(reference: str) -> ResponseReturnValue:
    call_as_user(lifecycle.say_renewal_wish, reference, form_text("wish"))
    flash(_("Thank you: your answer was passed on to the coordinator."), "info")
    return _to_circle(reference)


@bp.route(f"{CIRCLE}/request")
def request_note(reference: str) -> ResponseReturnValue:
    """The request's sealed note (who asks, how to reach them): opening it is recorded."""
    return render_template("circles/request.html", reference=reference,
                           note=call_with_vault(requests.open_request, reference))


@bp.route(f"{CIRCLE}/outer", methods=["GET", "POST"])
def outer_circle(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_with_vault(outer.record_outer_member, reference, role=form_text("role"), name=form_text("name"),
                        organisation=form_text("organisation"), staff_user_id=form_int("staff_user_id"),
                        expected_version=form_int("version"))
        flash(_("The professional was added to the outer circle."), "info")
        return redirect(url_for("circles.outer_circle", reference=reference), code=303)
    return render_template("circles/outer.html", reference=reference, roles=tuple(OuterRole),
                           members=call_with_vault(outer.outer_circle, reference))


@bp.route(f"{CIRCLE}/concerns")
def concern_list(reference: str) -> ResponseReturnValue:
    """The circle's concerns with their words, for its team: opening them is recorded."""
    page = read_as_user(views.circle_page, reference, ListQuery(size=1))
    opened = call_with_vault(concerns.open_concerns, reference, list_query(key=concerns.CONCERN_KEY))
    return render_template("circles/concerns.html", circle=page, concerns=opened)


@bp.route(f"{CIRCLE}/concerns/<concern_id>/acknowledge", methods=["POST"])
def acknowledge(reference: str, concern_id: str) -> ResponseReturnValue:
    call_with_vault(concerns.acknowledge_concern, reference, concern_id, escalated_to=form_text("escalated_to"))
    flash(_("The concern was acknowledged."), "info")
    return redirect(url_for("circles.concern_list", reference=reference), code=303)


# --- meetings ----------------------------------------------------------------------------------------------------

@bp.route(f"{CIRCLE}/meetings", methods=["POST"])
def plan_meeting(reference: str) -> ResponseReturnValue:
    meeting = call_as_user(meetings.plan_meeting, reference, day=form_text("day"), at=form_text("at"))
    flash(_("The meeting was planned."), "info")
    return _to_meeting(reference, meeting.id)


@bp.route(MEETING)
def meeting(reference: str, meeting_id: str) -> ResponseReturnValue:
    """A meeting of the circle; its minutes, once submitted, are opened here (and the reading recorded)."""
    return render_template("circles/meeting.html",
                           meeting=call_with_vault(meetings.meeting_page, reference, meeting_id))


def _attendees() -> list[int]:
    ticked = [name.removeprefix(ATTENDEE_PREFIX) for name in request.form if name.startswith(ATTENDEE_PREFIX)]
    return [int(value) for value in ticked if value.isascii() and value.isdigit() and len(value) <= 9]


@bp.route(f"{MEETING}/hold", methods=["POST"])
def hold_meeting(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_as_user(meetings.hold_meeting, reference, meeting_id, attendees=_attendees())
    flash(_("The meeting was recorded as held. Its minutes are due within 48 hours."), "info")
    return _to_meeting(reference, meeting_id)


@bp.route(f"{MEETING}/cancel", methods=["POST"])
def cancel_meeting(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_as_user(meetings.cancel_meeting, reference, meeting_id)
    flash(_("The meeting was cancelled."), "info")
    return _to_meeting(reference, meeting_id)


@bp.route(f"{MEETING}/minutes", methods=["POST"])
def minutes(reference: str, meeting_id: str) -> ResponseReturnValue:
    call_with_vault(meetings.submit_minutes, reference, meeting_id, text=form_text("minutes"))
    flash(_("The minutes were submitted, encrypted."), "info")
    return _to_meeting(reference, meeting_id)


@bp.route(f"{MEETING}/concerns", methods=["POST"])
def raise_concern(reference: str, meeting_id: str) -> ResponseReturnValue:
    concern = call_with_vault(concerns.raise_concern, reference, meeting_id, text=form_text("concern"),
                              serious=form_text("serious") == "yes")
    if concern.serious:
        flash(_("The serious concern was raised and the circle is paused until the supervising staff member "
                "records the escalation."), "info")
    else:
        flash(_("The concern was raised; the supervising staff member will acknowledge it."), "info")
    return _to_meeting(reference, meeting_id)
