"""Human, translatable names for the circles' codes (states, reasons, roles, steps), for their templates only.

``{{ code|circle_label }}`` in the circles' pages, like ``label`` elsewhere: one vocabulary per programme.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from web.labels import label

CIRCLE_LABELS: dict[str, LazyString] = {
    # states and outcomes
    "requested": _l("requested"), "assessment": _l("assessment"), "forming": _l("forming"),
    "active": _l("active"), "renewal_due": _l("renewal decision due"), "paused": _l("paused"),
    "ended": _l("ended"), "declined": _l("declined"), "withdrawn": _l("withdrawn"),
    # triggers
    "assess": _l("Assess the request"), "decline": _l("Decline the request"), "form": _l("Accept and form the circle"),
    "activate": _l("Start the circle"), "pause": _l("Pause the circle"), "resume": _l("Resume the circle"),
    "end": _l("End the circle"), "renew": _l("Renew for a year"), "add_volunteer": _l("Add a volunteer"),
    "withdraw": _l("Withdraw from the circle"), "anniversary": _l("The year ends (anniversary)"),
    # reasons
    "outside_criteria": _l("outside the programme's criteria"), "not_ready": _l("not ready yet"),
    "risk_unmanageable": _l("risk that a circle cannot manage"),
    "no_volunteers_available": _l("no volunteers available"),
    "engagement_ended": _l("the engagement came to its end"), "not_renewed": _l("not renewed"),
    "core_member_withdrew": _l("the core member withdrew"), "serious_concern": _l("a serious concern"),
    "returned_to_custody": _l("returned to custody"), "other": _l("another reason"),
    # the outer circle
    "parole_officer": _l("parole officer"), "police_liaison": _l("police liaison"), "therapist": _l("therapist"),
    "other_professional": _l("another professional"),
    # meetings
    "planned": _l("planned"), "held": _l("held"), "cancelled": _l("cancelled"),
    # screening
    "references": _l("references checked"), "police_check": _l("police check"), "interview": _l("interview"),
    "training": _l("training completed"),
    # renewal
    "renew_wish": _l("wishes to renew"), "end_wish": _l("does not wish to renew"),
}


def circle_label(code: object) -> str:
    """The circles' name for ``code``, or the engine's general label for it."""
    found = CIRCLE_LABELS.get(str(code))
    return str(found) if found is not None else label(code)


def register_words(blueprint: Blueprint) -> None:
    blueprint.add_app_template_filter(circle_label, "circle_label")
