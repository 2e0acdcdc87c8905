"""Referring staff: forward an offender's request, and see whether each was received or acknowledged."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from mediation.errors import InvalidInput
from mediation.models import Role
from mediation.services import intake
from web.auth import role_blueprint
from web.calls import call_with_vault, read_as_user
from web.intake_forms import ReferralForm, refuse
from web.lists import list_query
from workflows.errors import InvalidSentence

bp = role_blueprint("staff", Role.STAFF)


class ForwardForm(ReferralForm):
    willing = BooleanField(
        _l("The offender states that they are willing to take responsibility for their actions"),
        validators=[DataRequired(message=_l("A request can be forwarded only with this statement."))])
    kind = SelectField(_l("Sentence (if known)"), choices=[
        SelectChoice("", _l("Not given")), SelectChoice("fixed", _l("Fixed length")), SelectChoice("life", _l("Life")),
        SelectChoice("dangerous_offender", _l("Indeterminate (dangerous offender)"))], validators=[Optional()])
    years = StringField(_l("Years"), validators=[Optional()])
    months = StringField(_l("Months"), validators=[Optional()])
    days = StringField(_l("Days"), validators=[Optional()])


@bp.route("/")
def referrals() -> ResponseReturnValue:
    query = list_query(key=intake.REFERRAL_KEY, fields=intake.REFERRAL_FILTERS, search="reference",
                       statuses=intake.REFERRAL_STATUSES)
    return render_template("staff/referrals.html", page=read_as_user(intake.list_referrals, query))


@bp.route("/forward", methods=["GET", "POST"])
def forward() -> ResponseReturnValue:
    form = ForwardForm()
    if form.validate_on_submit():
        sentence = ({"kind": form.kind.data, "years": form.years.data, "months": form.months.data,
                     "days": form.days.data} if form.kind.data else None)
        try:
            case = call_with_vault(intake.forward_offender_request, willing_to_take_responsibility=True,
                                   referral=form.referral(), sentence=sentence)
        except (InvalidInput, InvalidSentence) as error:
            refuse(form, error)
        else:
            flash(_("The request was forwarded. Its reference is %(reference)s.", reference=case.reference), "info")
            return redirect(url_for("staff.referrals"), code=303)
    return render_template("staff/forward.html", form=form), 400 if form.errors else 200
