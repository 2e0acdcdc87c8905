"""The forms a case begins with: the harmed person's request, checking where it stands, and the referral staff
forward for an offender. They only read fields; the services check every value (web.intake_forms.refuse shows
their refusal on the form, so nothing the person typed is lost)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from mediation.languages import LANGUAGES as LANGUAGE_CODES
from mediation.services.contacts import ContactDetails
from mediation.services.intake_details import ReferralDetails, RequestDetails
from web.labels import LANGUAGE_NAMES
from web.words import say
from workflows.errors import DomainError

RELATIONSHIPS = [
    SelectChoice("victim", _l("I was harmed by the crime")),
    SelectChoice("registered_victim",
                 _l("I was harmed, and I am registered as a victim with the correctional service")),
    SelectChoice("victim_representative", _l("I represent a person who was harmed")),
    SelectChoice("victim_family", _l("I am a family member of a person who was harmed")),
    SelectChoice("offender_family", _l("I am a family member of the person who caused the harm")),
]
WAYS = [SelectChoice("phone", _l("By phone")), SelectChoice("email", _l("By e-mail")),
        SelectChoice("post", _l("By post"))]
YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No, please do not leave a message"))]
LANGUAGES = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGE_CODES]
REFERRER_ROLES = [SelectChoice("", _l("Choose your role")), SelectChoice("parole_officer", _l("Parole officer")),
                  SelectChoice("chaplain", _l("Chaplain")), SelectChoice("psychologist", _l("Psychologist")),
                  SelectChoice("elder", _l("Elder")), SelectChoice("other", _l("Other staff member"))]


def _any_choice(field: RadioField | SelectField) -> None:
    """Let the service judge the value (and say what is wrong) instead of WTForms' 'Not a valid choice'."""
    field.validate_choice = False


class RequestForm(FlaskForm):
    relationship = SelectField(_l("How are you connected to the crime?"), choices=RELATIONSHIPS,
                               validators=[DataRequired()])
    name = StringField(_l("Your name"), validators=[Optional()])
    phone = StringField(_l("Phone number"), validators=[Optional()])
    email = StringField(_l("E-mail address"), validators=[Optional()])
    address = TextAreaField(_l("Postal address"), validators=[Optional()])
    preferred_contact = RadioField(_l("How should we reach you first?"), choices=WAYS, validators=[Optional()])
    may_leave_message = RadioField(_l("May we leave a message (voicemail, or with someone who answers)?"),
                                   choices=YES_NO, validators=[Optional()])
    safe_times_to_call = StringField(_l("Safe times to reach you"), validators=[Optional()])
    language = SelectField(_l("Language"), choices=LANGUAGES, validators=[Optional()])
    accessibility_needs = TextAreaField(_l("Anything that would make it easier for you to take part"),
                                        validators=[Optional()])
    who_harmed_them = StringField(_l("Who harmed you (if you wish to say)"), validators=[Optional()])
    account = TextAreaField(_l("What happened, in your own words (if you wish)"), validators=[Optional()])
    understood = BooleanField(_l("I understand that taking part is voluntary and that I can stop at any time"),
                              validators=[DataRequired(message=_l("Please confirm that you understand this."))])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for choice in (self.preferred_contact, self.may_leave_message, self.language):
            _any_choice(choice)

    def details(self) -> RequestDetails:
        contact = ContactDetails(**{name: getattr(self, name).data or "" for name in (
            "name", "address", "phone", "email", "safe_times_to_call", "preferred_contact", "may_leave_message",
            "language", "accessibility_needs")})
        return RequestDetails(contact, self.who_harmed_them.data or "", self.account.data or "")


class StatusForm(FlaskForm):
    receipt = StringField(_l("Receipt code"), validators=[DataRequired(message=_l("Please give the receipt code."))])
    secret = StringField(_l("Status secret"), validators=[DataRequired(message=_l("Please give the status secret."))])


class ReferralForm(FlaskForm):
    offender_name = StringField(_l("The offender's name"), validators=[Optional()])
    fps_number = StringField(_l("FPS number"), validators=[Optional()])
    institution = StringField(_l("Institution"), validators=[Optional()])
    referrer_role = SelectField(_l("Your role"), choices=REFERRER_ROLES, validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _any_choice(self.referrer_role)

    def referral(self) -> ReferralDetails:
        return ReferralDetails(self.offender_name.data or "", self.fps_number.data or "", self.institution.data or "",
                               self.referrer_role.data or "")


def refuse(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal above the form, which keeps what was typed."""
    form.form_errors.append(say(error))
