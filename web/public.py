"""Pages for everyone: what the programme is, the harmed person's request form, the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from mediation.services import intake
from web.back import back_to
from web.calls import call

bp = Blueprint("public", __name__)

RELATIONSHIPS = [
    SelectChoice("victim", _l("I was harmed by the crime")),
    SelectChoice("registered_victim",
                 _l("I was harmed, and I am registered as a victim with the correctional service")),
    SelectChoice("victim_representative", _l("I represent a person who was harmed")),
    SelectChoice("victim_family", _l("I am a family member of a person who was harmed")),
    SelectChoice("offender_family", _l("I am a family member of the person who caused the harm")),
]


class IntakeForm(FlaskForm):
    relationship = SelectField(_l("How are you connected to the crime?"), choices=RELATIONSHIPS,
                               validators=[DataRequired()])
    understood = BooleanField(_l("I understand that taking part is voluntary and that I can stop at any time"),
                              validators=[DataRequired(message=_l("Please confirm that you understand this."))])


@bp.route("/")
def home() -> ResponseReturnValue:
    return render_template("public/home.html")


@bp.route("/request", methods=["GET", "POST"])
def request_mediation() -> ResponseReturnValue:
    form = IntakeForm()
    if form.validate_on_submit():
        held = call(intake.submit_harmed_party_request, form.relationship.data or "")
        return render_template("public/request_received.html", receipt=held.receipt_code)
    return render_template("public/request.html", form=form), 400 if form.errors else 200


@bp.route("/language/<code>", methods=["POST"])
def language(code: str) -> ResponseReturnValue:
    if code in ("en", "fr"):
        session["lang"] = code
    return redirect(back_to(url_for("public.home")), code=303)  # the same page, now in the chosen language
