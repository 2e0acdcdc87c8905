"""Pages for everyone: what the programme is, the harmed person's request form, checking where a request stands,
the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from mediation.errors import InvalidInput
from mediation.languages import DEFAULT_LANGUAGE, supported
from mediation.services import intake
from mediation.services.request_status import request_standing
from web.back import back_to
from web.calls import call, read, runtime
from web.intake_forms import RequestForm, StatusForm, refuse

bp = Blueprint("public", __name__)


def _office() -> dict[str, str]:
    """How to reach the programme's office, shown beside the forms (MEDIATION_PROGRAMME_PHONE and _EMAIL)."""
    return dict(current_app.config["PROGRAMME_OFFICE"])


@bp.route("/")
def home() -> ResponseReturnValue:
    return render_template("public/home.html")


@bp.route("/request", methods=["GET", "POST"])
def request_mediation() -> ResponseReturnValue:
    form = RequestForm()
    if request.method == "GET" and not form.language.data:
        form.language.data = supported(str(get_locale())) or DEFAULT_LANGUAGE  # the page's language
    if form.validate_on_submit():
        try:
            receipt = call(intake.submit_harmed_party_request, runtime().vault, form.relationship.data or "",
                           form.details())
        except InvalidInput as error:
            refuse(form, error)
        else:
            return render_template("public/request_received.html", receipt=receipt.receipt_code,
                                   secret=receipt.status_secret, **_office())
    return render_template("public/request.html", form=form, **_office()), 400 if form.errors else 200


@bp.route("/request/status", methods=["GET", "POST"])
def request_status() -> ResponseReturnValue:
    """Where a request stands, for whoever holds its receipt code and status secret; nothing else is shown."""
    form = StatusForm()
    if form.validate_on_submit():
        standing = read(request_standing, form.receipt.data, form.secret.data)
        if standing is not None:
            return render_template("public/request_status.html", form=None, standing=standing, **_office())
        return render_template("public/request_status.html", form=form, not_found=True, **_office()), 404
    return render_template("public/request_status.html", form=form, **_office()), 400 if form.errors else 200


@bp.route("/language/<code>", methods=["POST"])
def language(code: str) -> ResponseReturnValue:
    if supported(code):
        session["lang"] = code
    return redirect(back_to(url_for("public.home")), code=303)  # the same page, now in the chosen language
