"""People in a case on the web: the mediator's withdrawal on a participant's behalf, a support person's part in
meetings, and a participant sharing a delivered message with their support person.

The routes belong to the mediator's and the portal's blueprints (their endpoints are ``mediator.*`` and
``portal.*``, behind the same role checks); they live here so each of those files stays short.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.services import participant_names, people, views, withdrawal
from mediation.services.messages import sharing
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text
from web.mediator import bp as mediator
from web.portal import bp as portal
from workflows.case_workflow import WITHDRAW_REASONS


@mediator.route("/cases/<reference>/withdraw", methods=["GET", "POST"])
def withdraw(reference: str) -> ResponseReturnValue:
    """Two deliberate choices and a confirmation: nothing is preselected, nothing fires in one click."""
    if request.method == "POST":
        call_as_user(withdrawal.withdraw_on_behalf, reference, participant_id=form_int("participant_id"),
                     reason=form_text("reason"), confirmed=form_text("confirm") == "yes",
                     expected_version=form_int("version"))
        flash(_("The withdrawal was recorded on the participant's behalf."), "info")
        return redirect(url_for("mediator.case", reference=reference), code=303)
    page = read_as_user(views.case_page, reference)
    names = call_with_vault(participant_names.names_for_mediator, reference)
    return render_template("mediator/withdraw.html", page=page, names=names, reasons=WITHDRAW_REASONS)


@mediator.route("/cases/<reference>/participants/<int(max=2147483647):participant_id>/meetings", methods=["POST"])
def meetings(reference: str, participant_id: int) -> ResponseReturnValue:
    call_as_user(people.set_takes_part_in_meetings, reference, participant_id, form_text("meetings") == "yes",
                 expected_version=form_int("version"))
    return redirect(url_for("mediator.case", reference=reference) + "#participants", code=303)


def _back_to_messages(reference: str) -> ResponseReturnValue:
    return redirect(url_for("portal.case_messages", reference=reference), code=303)


@portal.route("/cases/<reference>/messages/<message_id>/share", methods=["POST"])
def share(reference: str, message_id: str) -> ResponseReturnValue:
    call_as_user(sharing.share_with_support, reference, message_id=message_id,
                 support_participant_id=form_int("support_participant_id") or 0)
    flash(_("Your support person can now read this message."), "info")
    return _back_to_messages(reference)


@portal.route("/cases/<reference>/messages/<message_id>/unshare", methods=["POST"])
def stop_sharing(reference: str, message_id: str) -> ResponseReturnValue:
    call_as_user(sharing.stop_sharing, reference, message_id=message_id,
                 support_participant_id=form_int("support_participant_id") or 0)
    flash(_("Your support person no longer sees this message."), "info")
    return _back_to_messages(reference)
