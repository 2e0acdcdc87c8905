"""Referrals to a partner organisation's service (blueprint "referrals", /referrals): the worker drafts one with
the person's consent and sends it; the partner's coordinator, or the worker it gives it to, answers and works on
it; the person sees their own and may withdraw their consent.

Who sees what is decided by the services (mediation.services.referrals): these views read the form, call one
service and render. A refusal comes back to the page the form was on (web.errors).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

from mediation.models import Role
from mediation.services import notices
from mediation.services.referrals import consent, drafting, moves, notes, views
from mediation.services.referrals.access import WORKER_ROLES
from mediation.services.referrals.wording import CONSENT_WORDINGS, CURRENT_WORDING
from web.back import back_to
from web.calls import call_as_user, call_with_vault, read_as_user
from web.extensions import login_manager
from web.forms import form_text
from web.lists import list_query
from web.words import say
from workflows.referral_workflow import SHAREABLE_FIELDS

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
REFERRAL = "/<reference>"

# The buttons of each step (the case's own "decline" and "withdraw" say something else).
ACTIONS: dict[str, LazyString] = {
    "send": _l("Send the referral"), "accept": _l("Accept the referral"), "decline": _l("Decline the referral"),
    "start": _l("Start the work"), "complete": _l("Record it completed"), "end": _l("End the referral"),
    "withdraw": _l("Withdraw the referral"),
}
# The status in plain words, for the person referred.
PERSON_STATUS: dict[str, LazyString] = {
    "draft": _l("Your worker is preparing this referral; it has not been sent yet."),
    "sent": _l("It was sent to the partner, who has not answered yet."),
    "accepted": _l("The partner accepted it and will start working with you."),
    "declined": _l("The partner could not take it."),
    "in_progress": _l("The partner is working with you."),
    "completed": _l("The partner's work with you is finished."),
    "ended": _l("It ended before the work was finished."),
    "withdrawn": _l("It was withdrawn: nothing more happens with it."),
}


@bp.before_request
def signed_in() -> ResponseReturnValue | None:
    """Every referral page is for a signed-in account; the services decide the rest."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.app_context_processor
def _referral_links() -> dict[str, Any]:
    """For the navigation: whether the signed-in account refers (a worker) or is referred (a participant)."""

    def referral_nav() -> str | None:
        if not current_user.is_authenticated or not current_user.user.is_active:
            return None
        role = current_user.user.role
        return "worker" if role in WORKER_ROLES else "person" if role == Role.PARTICIPANT else None

    return {"referral_nav": referral_nav}


def _to(reference: str) -> ResponseReturnValue:
    return redirect(url_for("referrals.referral", reference=reference), code=303)


def _choices() -> dict[str, tuple[object, object]]:
    """The form's rows: each field the worker ticked, with its value and whether the person consented."""
    chosen: dict[str, tuple[object, object]] = {}
    for field in SHAREABLE_FIELDS:
        if form_text(f"share_{field}") == "yes":
            chosen[field] = (form_text(f"value_{field}") or "", form_text(f"consent_{field}") == "yes")
    return chosen


# --- the lists ---------------------------------------------------------------------------------------------------

@bp.route("")
def outgoing() -> ResponseReturnValue:
    board = read_as_user(views.outgoing_board, list_query(key=views.LIST_KEY))
    return render_template("referrals/list.html", page=board.page, notices=board.notices,
                           endpoint="referrals.outgoing", title=_("My referrals to partners"),
                           partner_heading=_("Partner organisation"))


@bp.route("/organisation")
def organisation() -> ResponseReturnValue:
    page = read_as_user(views.organisation_outgoing, list_query(key=views.LIST_KEY))
    return render_template("referrals/list.html", page=page, endpoint="referrals.organisation",
                           title=_("Our organisation's referrals"), partner_heading=_("Partner organisation"))


@bp.route("/inbox")
def inbox() -> ResponseReturnValue:
    board = read_as_user(views.inbox_board, list_query(key=views.LIST_KEY))
    return render_template("referrals/list.html", page=board.page, notices=board.notices,
                           endpoint="referrals.inbox", title=_("Referrals received from partners"),
                           partner_heading=_("Referring organisation"))


@bp.route("/mine")
def mine() -> ResponseReturnValue:
    page = read_as_user(views.mine, list_query(key=views.LIST_KEY))
    return render_template("referrals/mine.html", page=page, status=PERSON_STATUS)


@bp.route("/notices/<int:notice_id>/dismiss", methods=["POST"])
def dismiss_notice(notice_id: int) -> ResponseReturnValue:
    call_as_user(notices.dismiss, notice_id)
    return redirect(back_to(url_for("referrals.outgoing")), code=303)


# --- a new referral ----------------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    if request.method == "POST":
        referral = call_with_vault(drafting.create_draft, service_id=form_text("service"), stage=form_text("stage"),
                                   case_reference=form_text("case"), person_id=form_text("person"),
                                   choices=_choices(), wording=form_text("wording"))
        flash(_("The referral %(reference)s was saved as a draft: check it, then send it.",
                reference=referral.reference), "info")
        return _to(referral.reference)
    form = read_as_user(drafting.draft_form, request.args.get("service"), request.args.get("case") or None)
    return render_template("referrals/new.html", form=form, fields=SHAREABLE_FIELDS, wording=CURRENT_WORDING,
                           wording_text=say(CONSENT_WORDINGS[CURRENT_WORDING]))


# --- one referral ------------------------------------------------------------------------------------------------

@bp.route(REFERRAL)
def referral(reference: str) -> ResponseReturnValue:
    page = call_with_vault(views.referral_page, reference)  # opening shared fields and notes is audited
    if page.side == "person":  # the wording they agreed to, as it was
        agreed = say(CONSENT_WORDINGS[page.consent_version]) if page.consent_version in CONSENT_WORDINGS else None
        return render_template("referrals/person.html", referral=page, status=PERSON_STATUS, wording_text=agreed)
    return render_template("referrals/referral.html", referral=page, actions=ACTIONS, fields=SHAREABLE_FIELDS,
                           wording=CURRENT_WORDING, wording_text=say(CONSENT_WORDINGS[CURRENT_WORDING]))


@bp.route(f"{REFERRAL}/consent", methods=["POST"])
def record_consent(reference: str) -> ResponseReturnValue:
    call_with_vault(drafting.record_consent, reference, choices=_choices(), wording=form_text("wording"))
    flash(_("The person's consent was recorded."), "info")
    return _to(reference)


@bp.route(f"{REFERRAL}/send", methods=["POST"])
def send(reference: str) -> ResponseReturnValue:
    call_as_user(moves.send, reference)
    flash(_("The referral was sent to the partner."), "info")
    return _to(reference)


@bp.route(f"{REFERRAL}/move", methods=["POST"])
def move(reference: str) -> ResponseReturnValue:
    call_as_user(moves.move, reference, form_text("trigger"), reason=form_text("reason"))
    flash(_("Done: the referral moved on."), "info")
    return _to(reference)


@bp.route(f"{REFERRAL}/withdraw", methods=["POST"])
def withdraw(reference: str) -> ResponseReturnValue:
    call_as_user(moves.withdraw, reference)
    flash(_("The referral was withdrawn."), "info")
    return _to(reference)


@bp.route(f"{REFERRAL}/worker", methods=["POST"])
def assign_worker(reference: str) -> ResponseReturnValue:
    call_as_user(moves.assign_worker, reference, form_text("worker"))
    flash(_("The referral was given to the worker."), "info")
    return _to(reference)


@bp.route(f"{REFERRAL}/notes", methods=["POST"])
def add_note(reference: str) -> ResponseReturnValue:
    call_with_vault(notes.add_note, reference, text=request.form.get("text"))
    flash(_("The note was saved."), "info")
    return _to(reference)


@bp.route(f"{REFERRAL}/withdraw-consent", methods=["POST"])
def withdraw_consent(reference: str) -> ResponseReturnValue:
    call_as_user(consent.withdraw_consent, reference)
    flash(_("The consent was withdrawn: the partner no longer sees anything that was shared, and it was erased."),
          "info")
    return _to(reference)
