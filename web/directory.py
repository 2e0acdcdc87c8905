"""The partner directory and the referral indicators of the network (issue 11): one blueprint under /network.

Every page needs a signed-in account; who may do what the services decide (the coordinator keeps their own
organisation's services and sees the indicators; every worker of the network searches; participants and
volunteers may not), so a refusal is the same here as from Python. Views read the request, call one service,
and render.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from mediation.errors import InvalidInput
from mediation.languages import SERVICE_LANGUAGES
from mediation.models import Role
from mediation.services import network_indicators as indicators
from mediation.services.directory import manage
from mediation.services.directory.fields import (
    AREA_LENGTH,
    CONTACT_LENGTH,
    DESCRIPTION_LENGTH,
    ServiceFields,
)
from mediation.services.directory.search import SEARCH_KEY, Results, search
from mediation.statistics.report import QUARTILES_FROM
from mediation.statistics.suppression import THRESHOLD
from web.calls import call_as_user, read_as_user
from web.extensions import login_manager
from web.forms import form_text
from web.labels import label
from web.lists import list_query
from web.words import say
from workflows.referral_workflow import CUSTODY_STAGES, SERVICE_KINDS

bp = Blueprint("directory", __name__, url_prefix="/network")
SERVICE = "/services/<int(max=2147483647):service_id>"
LANGUAGE_FIELD = "language_"  # one checkbox per language (a form never sends a field twice: web.forms)
SEARCHERS = (Role.ADMIN, Role.MEDIATOR, Role.STAFF)


@bp.app_context_processor
def directory_links() -> dict[str, object]:
    """For the main navigation: the directory for the network's workers, the rest for coordinators."""

    def directory_nav() -> tuple[bool, bool]:
        if not current_user.is_authenticated or not current_user.user.is_active:
            return False, False
        role = current_user.user.role
        return role in SEARCHERS, role == Role.ADMIN

    return {"directory_nav": directory_nav}


@bp.before_request
def signed_in() -> ResponseReturnValue | None:
    """Signed-in people only; what they may see or change, the services decide."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, label(code)) for code in codes]


# --- the directory: search ------------------------------------------------------------------------------------

@bp.route("/directory")
def directory() -> ResponseReturnValue:
    """The search form and a page of results; a bad filter shows the form again, as it was, with what is wrong."""
    args = request.args
    chosen = {name: args.get(name, "") for name in ("kind", "area", "language", "custody_stage")}
    try:
        results = read_as_user(search, list_query(key=SEARCH_KEY), kind=chosen["kind"], area=chosen["area"],
                               language=chosen["language"], custody_stage=chosen["custody_stage"])
    except InvalidInput as refusal:
        return _search_page(None, chosen, say(refusal))
    return _search_page(results, chosen)


def _search_page(results: Results | None, chosen: dict[str, str], error: str | None = None) -> ResponseReturnValue:
    return render_template("directory/search.html", results=results, chosen=chosen, error=error,
                           kinds=_choices(SERVICE_KINDS), stages=_choices(CUSTODY_STAGES),
                           languages=_choices(SERVICE_LANGUAGES)), 400 if error else 200


# --- the organisation's own services ---------------------------------------------------------------------------

@bp.route("/services")
def services() -> ResponseReturnValue:
    page = read_as_user(manage.own_services, list_query(key=manage.OWN_KEY))
    return render_template("directory/services.html", page=page)


def _posted() -> ServiceFields:
    return ServiceFields(
        kind=form_text("kind"), custody_stage=form_text("custody_stage"), area=request.form.get("area"),
        languages=[name.removeprefix(LANGUAGE_FIELD) for name in request.form if name.startswith(LANGUAGE_FIELD)],
        description=request.form.get("description", ""), contact=request.form.get("contact", ""))


def _form(values: dict[str, object], *, service_id: int | None = None, error: str | None = None,
          status: int = 200) -> ResponseReturnValue:
    return render_template("directory/service_form.html", values=values, service_id=service_id, error=error,
                           kinds=_choices(SERVICE_KINDS), stages=_choices(CUSTODY_STAGES),
                           languages=_choices(SERVICE_LANGUAGES), limits={
                               "area": AREA_LENGTH, "description": DESCRIPTION_LENGTH, "contact": CONTACT_LENGTH}
                           ), status


def _refused(fields: ServiceFields, refusal: InvalidInput, service_id: int | None = None) -> ResponseReturnValue:
    """The form again, as it was filled, with what is wrong (nothing was saved)."""
    values = dict(vars(fields))
    values["languages"] = [code for code in SERVICE_LANGUAGES if LANGUAGE_FIELD + code in request.form]
    values["seen"] = form_text("seen") or ""
    return _form(values, service_id=service_id, error=say(refusal), status=400)


@bp.route("/services/new")
def new_service() -> ResponseReturnValue:
    read_as_user(manage.may_keep_services)
    return _form({"kind": "", "custody_stage": "", "area": "", "languages": [], "description": "", "contact": ""})


@bp.route("/services/new", methods=["POST"])
def add_service() -> ResponseReturnValue:
    fields = _posted()
    try:
        call_as_user(manage.add_service, fields)
    except InvalidInput as refusal:
        return _refused(fields, refusal)
    flash(_("The service was added to the directory."), "info")
    return redirect(url_for("directory.services"), code=303)


@bp.route(SERVICE)
def service(service_id: int) -> ResponseReturnValue:
    found = read_as_user(manage.own_service, service_id)
    return _form(vars(found) | {"languages": list(found.languages), "seen": found.seen}, service_id=service_id)


@bp.route(SERVICE, methods=["POST"])
def edit_service(service_id: int) -> ResponseReturnValue:
    fields = _posted()
    try:
        call_as_user(manage.edit_service, service_id, fields, seen=form_text("seen"))
    except InvalidInput as refusal:
        return _refused(fields, refusal, service_id)
    flash(_("The service was saved."), "info")
    return redirect(url_for("directory.services"), code=303)


@bp.route(SERVICE + "/deactivate", methods=["POST"])
def deactivate_service(service_id: int) -> ResponseReturnValue:
    call_as_user(manage.set_active, service_id, False)
    flash(_("The service was deactivated: searches no longer find it."), "info")
    return redirect(url_for("directory.services"), code=303)


@bp.route(SERVICE + "/reactivate", methods=["POST"])
def reactivate_service(service_id: int) -> ResponseReturnValue:
    call_as_user(manage.set_active, service_id, True)
    flash(_("The service was reactivated: searches find it again."), "info")
    return redirect(url_for("directory.services"), code=303)


# --- indicators -----------------------------------------------------------------------------------------------

@bp.route("/indicators")
def indicators_page() -> ResponseReturnValue:
    """The coordinator's own organisation's figures; a bad period shows the form again with what is wrong."""
    first, last = request.args.get("from"), request.args.get("to")
    try:
        figures = read_as_user(indicators.own_indicators, first, last)
    except InvalidInput as refusal:
        return _indicators("directory/indicators.html", None, first, last, say(refusal))
    return _indicators("directory/indicators.html", figures, figures.days.first.isoformat(),
                       figures.days.last.isoformat())


@bp.route("/indicators/network")
def network_page() -> ResponseReturnValue:
    """The whole network's figures over a calendar year, never one organisation's."""
    first, last = request.args.get("from"), request.args.get("to")
    try:
        figures = read_as_user(indicators.network_indicators, first, last)
    except InvalidInput as refusal:
        return _indicators("directory/network.html", None, first, last, say(refusal))
    return _indicators("directory/network.html", figures, figures.period.label_from, figures.period.label_to)


def _indicators(template: str, figures: object, first: str | None, last: str | None,
                error: str | None = None) -> ResponseReturnValue:
    return render_template(template, figures=figures, first=first or "", last=last or "", error=error,
                           threshold=THRESHOLD, quartiles_from=QUARTILES_FROM), 400 if error else 200
