"""The mediator's side of each participant's private line, reopening at a participant's request, cover notes
on delivered messages, and the case's read-receipt choice.

Registered on the mediator's blueprint (``web.mediator.bp``), so its gate covers every route here.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.services import private_line, views
from mediation.services.messages import care
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_text
from web.labels import label
from web.mediator import _to_case, bp


@bp.route("/cases/<reference>/private-line")
def private_line_page(reference: str) -> ResponseReturnValue:
    page = read_as_user(views.case_page, reference)
    notes = call_with_vault(private_line.line_for_mediator, reference)
    summary = read_as_user(private_line.line_summary, reference)
    return render_template("mediator/private_line.html", page=page, notes=notes, summary=summary,
                           limit=private_line.MAX_PRIVATE_TEXT)


@bp.route("/cases/<reference>/private-line/<int(max=2147483647):participant_id>", methods=["POST"])
def reply_privately(reference: str, participant_id: int) -> ResponseReturnValue:
    call_with_vault(private_line.reply_to_participant, reference, participant_id=participant_id,
                    text=form_text("text"))
    flash(_("Your answer was sent to this participant only."), "info")
    return redirect(url_for("mediator.private_line_page", reference=reference), code=303)


@bp.route("/cases/<reference>/private-line/requests/<note_id>/reopen", methods=["POST"])
def reopen_on_request(reference: str, note_id: str) -> ResponseReturnValue:
    state = call_as_user(private_line.reopen_on_request, reference, note_id=note_id)
    flash(_("The case was reopened at the participant's request; it is now at the step: %(step)s.",
            step=label(state)), "info")
    return _to_case(reference)


@bp.route("/cases/<reference>/private-line/requests/<note_id>/answered", methods=["POST"])
def answer_request(reference: str, note_id: str) -> ResponseReturnValue:
    call_as_user(private_line.answer_without_reopening, reference, note_id=note_id)
    flash(_("The request to start again is closed without reopening the case."), "info")
    return redirect(url_for("mediator.private_line_page", reference=reference), code=303)


@bp.route("/cases/<reference>/messages/<message_id>/approve", methods=["POST"])
def approve_with_note(reference: str, message_id: str) -> ResponseReturnValue:
    call_with_vault(care.approve_with_cover_note, reference, message_id=message_id,
                    cover_note=form_text("cover_note"))
    flash(_("The message was updated: %(action)s.", action=label("approve")), "info")
    return redirect(url_for("mediator.case_messages", reference=reference), code=303)


@bp.route("/cases/<reference>/read-receipts", methods=["POST"])
def read_receipts(reference: str) -> ResponseReturnValue:
    shown = form_text("shown") == "yes"
    call_as_user(care.set_read_receipts, reference, shown=shown)
    flash(_("Authors on this case now see when their delivered messages are read.") if shown else
          _("Authors on this case no longer see when their delivered messages are read."), "info")
    return _to_case(reference)
