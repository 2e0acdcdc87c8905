"""The resocialisation training programme's pages (blueprint "training", /training): the coordinator enrols
clients and assigns their activation worker; the worker records sessions, phase notes, the individual plan and
practical help, moves the client through the phases and issues the certificate; the referring officer sees
received / acknowledged and the certificate; the client sees their progress and may withdraw.

Access follows the programme's grants, checked by the services (mediation.services.training_access): these views
only read the form, call a service and render. A refusal comes back to the form's page (web.errors).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from mediation.diagrams import workflow_svg
from mediation.models import Role
from mediation.services import training, training_access, training_help, training_sessions, training_views
from mediation.services.training_access import COORDINATOR, OFFICER, WORKER
from web import programme_nav
from web.calls import call_as_user, call_with_vault, read_as_user
from web.extensions import login_manager
from web.forms import form_int, form_text
from web.lists import list_query
from web.training_labels import training_label
from workflows.programmes import RESOCIALISATION
from workflows.resocialisation_workflow import hours
from workflows.training_help import HELP_KINDS

bp = Blueprint("training", __name__, url_prefix="/training")
CLIENT = "/clients/<reference>"


@bp.before_request
def signed_in() -> ResponseReturnValue | None:
    """Every page of the programme is for a signed-in account; the services decide the rest."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.app_template_filter("training_label")
def _training_label(code: object) -> str:
    return training_label(code)


@bp.app_template_filter("training_hours")
def _training_hours(minutes: int) -> str:
    """Minutes as hours, the way the programme says them: 150 is "2.5"."""
    return str(hours(minutes))


def _grants() -> dict[str, bool]:
    """Which of the programme's staff roles the signed-in account holds (for the home page)."""
    held = read_as_user(training_access.my_roles)
    return {role: role in held for role in (COORDINATOR, WORKER, OFFICER)}


@bp.app_context_processor
def _programme_links() -> dict[str, Any]:
    """For the nav's and the portal's one-line includes: computed only when a template asks."""

    def training_grants() -> dict[str, bool]:
        if not current_user.is_authenticated or current_user.user.role == Role.PARTICIPANT:
            return {}
        return {role: programme_nav.holds(RESOCIALISATION, role) for role in (COORDINATOR, WORKER, OFFICER)}

    def my_training() -> list[training_views.Progress]:
        if not current_user.is_authenticated or current_user.user.role != Role.PARTICIPANT:
            return []
        return read_as_user(training_views.my_progress)

    return {"training_grants": training_grants, "my_training": my_training}


def _to_client(reference: str, page: str = "training.client") -> ResponseReturnValue:
    return redirect(url_for(page, reference=reference), code=303)


# --- the coordinator's and the worker's lists -----------------------------------------------------------------

@bp.route("/")
def home() -> ResponseReturnValue:
    grants = _grants()
    if grants[OFFICER] and not (grants[COORDINATOR] or grants[WORKER]):
        return redirect(url_for("training.referrals"))
    page = read_as_user(training_views.clients_page, list_query(key=training_views.CLIENT_KEY))
    return render_template("training/home.html", page=page, grants=grants)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> ResponseReturnValue:
    if request.method == "POST":
        case = call_as_user(training.enrol, client_username=form_text("client"), track_code=form_text("track"),
                            worker_id=form_int("worker"), officer_id=form_int("officer"),
                            alternative_measure=form_text("alternative_measure") == "yes")
        flash(_("The client was enrolled: %(reference)s.", reference=case.reference), "info")
        return _to_client(case.reference)
    return render_template("training/enrol.html", chooser=read_as_user(training_views.enrolment_form))


@bp.route(CLIENT)
def client(reference: str) -> ResponseReturnValue:
    summary = read_as_user(training_views.client_summary, reference)
    codes = {state for state, _moves in summary.steps}
    codes |= {trigger for _state, moves in summary.steps for trigger, _dest in moves}
    picture = workflow_svg(summary.workflow_version, summary.state,
                           _("Workflow of this client's programme; current step: %(step)s",
                             step=training_label(summary.state)),
                           {code: training_label(code) for code in codes})
    return render_template("training/client.html", client=summary, picture=picture)


@bp.route(f"{CLIENT}/worker", methods=["POST"])
def assign_worker(reference: str) -> ResponseReturnValue:
    call_as_user(training.assign_worker, reference, form_int("worker"))
    flash(_("The activation worker was assigned."), "info")
    return _to_client(reference)


@bp.route(f"{CLIENT}/move", methods=["POST"])
def move(reference: str) -> ResponseReturnValue:
    call_as_user(training.move, reference, form_text("trigger"), reason=form_text("reason"))
    flash(_("Done: the client's programme moved on."), "info")
    return _to_client(reference)


# --- sessions, notes, plan, help ------------------------------------------------------------------------------

@bp.route(f"{CLIENT}/sessions", methods=["GET", "POST"])
def sessions(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_as_user(training_sessions.record_session, reference, held_on=form_text("held_on"),
                     minutes=form_text("minutes"), attended=form_text("attended") == "yes")
        flash(_("The session was recorded."), "info")
        return _to_client(reference, "training.sessions")
    summary = read_as_user(training_views.client_summary, reference)
    page = read_as_user(training_sessions.sessions_page, reference,
                        list_query(key=training_sessions.SESSION_KEY))
    return render_template("training/sessions.html", client=summary, page=page)


@bp.route(f"{CLIENT}/notes", methods=["GET", "POST"])
def notes(reference: str) -> ResponseReturnValue:
    """The phase notes: sealed; opening them is audited."""
    if request.method == "POST":
        call_with_vault(training_sessions.add_phase_note, reference, text=form_text("text"))
        flash(_("The note was saved, encrypted."), "info")
        return _to_client(reference, "training.notes")
    summary = read_as_user(training_views.client_summary, reference)
    page = call_with_vault(training_sessions.notes_page, reference, list_query(key=training_sessions.NOTE_KEY))
    return render_template("training/notes.html", client=summary, page=page)


@bp.route(f"{CLIENT}/plan", methods=["GET", "POST"])
def plan(reference: str) -> ResponseReturnValue:
    """The individual plan: sealed; opening it is audited."""
    if request.method == "POST":
        call_with_vault(training.record_plan, reference, text=form_text("plan"))
        flash(_("The individual plan was saved, encrypted."), "info")
        return _to_client(reference)
    summary = read_as_user(training_views.client_summary, reference)
    return render_template("training/plan.html", client=summary,
                           text=call_with_vault(training.open_plan, reference))


@bp.route(f"{CLIENT}/help", methods=["GET", "POST"])
def help_given(reference: str) -> ResponseReturnValue:
    """Practical help: the details are sealed; opening them is audited."""
    if request.method == "POST":
        call_with_vault(training_help.record_help, reference, kind=form_text("kind"), details=form_text("details"),
                        given_on=form_text("given_on"), follow_up_on=form_text("follow_up_on"))
        flash(_("The help was logged."), "info")
        return _to_client(reference, "training.help_given")
    summary = read_as_user(training_views.client_summary, reference)
    page = call_with_vault(training_help.help_page, reference, list_query(key=training_help.HELP_KEY))
    return render_template("training/help.html", client=summary, page=page, kinds=HELP_KINDS)


@bp.route(f"{CLIENT}/help/<help_id>/followed-up", methods=["POST"])
def followed_up(reference: str, help_id: str) -> ResponseReturnValue:
    call_as_user(training_help.mark_followed_up, reference, help_id)
    flash(_("The follow-up was recorded."), "info")
    return _to_client(reference, "training.help_given")


# --- the certificate and the referring officer ----------------------------------------------------------------

@bp.route(f"{CLIENT}/certificate", methods=["GET", "POST"])
def certificate(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_as_user(training.issue_certificate, reference)
        flash(_("The certificate was issued to the referring officer."), "info")
        return _to_client(reference)
    return render_template("training/certificate.html",
                           certificate=call_as_user(training_views.certificate, reference))


@bp.route("/referrals")
def referrals() -> ResponseReturnValue:
    page = read_as_user(training_views.referrals_page, list_query(key=training_views.CLIENT_KEY))
    return render_template("training/referrals.html", page=page)


# --- the client -----------------------------------------------------------------------------------------------

@bp.route("/mine/<reference>")
def my_programme(reference: str) -> ResponseReturnValue:
    return render_template("training/mine.html", progress=read_as_user(training_views.progress_of, reference))


@bp.route("/mine/<reference>/withdraw", methods=["GET", "POST"])
def withdraw(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_as_user(training.withdraw, reference)
        flash(_("You have withdrawn from the programme."), "info")
        return redirect(url_for("training.my_programme", reference=reference), code=303)
    return render_template("training/withdraw.html", progress=read_as_user(training_views.progress_of, reference))
