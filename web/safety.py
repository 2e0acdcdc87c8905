"""Pages for safety throughout the case and informed consent: the mediator's assessments, acknowledgements and
disclosures (on the mediator's blueprint), and the participant's page on the limits of confidentiality (on the
portal's). The rules are in mediation.services.safety; these views only read the form and call it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.services import safety
from web import mediator, portal
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text

RISK_PREFIX = "risk_"  # one checkbox per risk factor: risk_threats=on (a field may be sent only once)
CONSULTED_PREFIX = "consulted_"


def _checked(prefix: str) -> list[str]:
    """The codes of the boxes ticked under ``prefix``; the service refuses any it does not know."""
    return [name.removeprefix(prefix) for name in request.form if name.startswith(prefix)]


def _to_safety(reference: str) -> ResponseReturnValue:
    return redirect(url_for("mediator.case", reference=reference) + "#safety", code=303)


@mediator.bp.route("/cases/<reference>/participants/<int(max=2147483647):participant_id>/safety", methods=["POST"])
def record_safety(reference: str, participant_id: int) -> ResponseReturnValue:
    call_with_vault(safety.record_assessment, reference, participant_id=participant_id,
                    outcome=form_text("outcome"), risk_factors=_checked(RISK_PREFIX),
                    consultations=_checked(CONSULTED_PREFIX), note=form_text("note"),
                    expected_version=form_int("version"))
    flash(_("The safety assessment was recorded; its reasons are encrypted."), "info")
    return _to_safety(reference)


@mediator.bp.route("/cases/<reference>/participants/<int(max=2147483647):participant_id>/confidentiality",
                   methods=["POST"])
def record_acknowledgement(reference: str, participant_id: int) -> ResponseReturnValue:
    call_as_user(safety.record_acknowledgement_for, reference, participant_id=participant_id,
                 version=form_text("wording_version"), expected_version=form_int("version"))
    flash(_("The acknowledgement was recorded, as given to you."), "info")
    return _to_safety(reference)


@mediator.bp.route("/cases/<reference>/disclosures", methods=["POST"])
def record_disclosure(reference: str) -> ResponseReturnValue:
    call_with_vault(safety.record_disclosure, reference, participant_id=form_int("participant_id"),
                    category=form_text("category"), note=form_text("note"), expected_version=form_int("version"))
    flash(_("The disclosure was recorded, encrypted, and the case is paused."), "info")
    return _to_safety(reference)


@mediator.bp.route("/cases/<reference>/safety")
def case_safety(reference: str) -> ResponseReturnValue:
    """Every assessment's reasons and every disclosure: opened for the case's mediator, and the reading audited."""
    panel = read_as_user(safety.safety_panel, reference)
    record = call_with_vault(safety.safety_record, reference)
    return render_template("safety/record.html", panel=panel, record=record)


@portal.bp.route("/cases/<reference>/confidentiality", methods=["GET", "POST"])
def confidentiality(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_as_user(safety.acknowledge_confidentiality, reference, version=form_text("wording_version"))
        flash(_("Thank you: your acknowledgement was recorded."), "info")
        return redirect(url_for("portal.confidentiality", reference=reference), code=303)
    return render_template("safety/confidentiality.html", mine=read_as_user(safety.my_confidentiality, reference))
