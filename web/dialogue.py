"""Pages for the dialogue's work: needs and questions, the agreement and its follow-up, the closing form, and
closing letters (on the mediator's and the portal's blueprints). The rules are in mediation.services.needs,
agreements, closure and letters; these views only read the form, call one service and render."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from mediation.services import agreements, closure, letters, needs, views
from web import mediator, portal
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text

STATUS_PREFIX = "status-"  # the closing form: status-<item id>, note-<item id> for each open item
NOTE_PREFIX = "note-"


def _to(endpoint: str, reference: str) -> ResponseReturnValue:
    return redirect(url_for(endpoint, reference=reference), code=303)


# --- needs and questions -----------------------------------------------------------------------------------

@mediator.bp.route("/cases/<reference>/needs", methods=["GET", "POST"])
def case_needs(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_with_vault(needs.record_need, reference, participant_id=form_int("participant_id"),
                        kind=form_text("kind"), text=form_text("text"))
        flash(_("The need or question was recorded, encrypted."), "info")
        return _to("mediator.case_needs", reference)
    page = read_as_user(views.case_page, reference)
    return render_template("dialogue/needs.html", page=page, needs=call_with_vault(needs.case_needs, reference),
                           limit=needs.MAX_NEED_TEXT)


@mediator.bp.route("/cases/<reference>/needs/<need_id>/status", methods=["POST"])
def need_status(reference: str, need_id: str) -> ResponseReturnValue:
    call_as_user(needs.set_need_status, reference, need_id=need_id, status=form_text("status"))
    flash(_("The status was recorded."), "info")
    return _to("mediator.case_needs", reference)


@portal.bp.route("/cases/<reference>/needs")
def my_needs(reference: str) -> ResponseReturnValue:
    return render_template("dialogue/my_needs.html", reference=reference,
                           needs=call_with_vault(needs.my_needs, reference))


# --- the agreement and its follow-up ------------------------------------------------------------------------

@mediator.bp.route("/cases/<reference>/agreement", methods=["GET", "POST"])
def case_agreement(reference: str) -> ResponseReturnValue:
    if request.method == "POST":
        call_as_user(agreements.record_agreement, reference, agreed_on=form_text("agreed_on"))
        flash(_("The agreement was recorded; add its items below."), "info")
        return _to("mediator.case_agreement", reference)
    page = read_as_user(views.case_page, reference)
    return render_template("dialogue/agreement.html", page=page,
                           agreement=call_with_vault(agreements.case_agreement, reference),
                           limit=agreements.MAX_WHAT)


@mediator.bp.route("/cases/<reference>/agreement/items", methods=["POST"])
def add_item(reference: str) -> ResponseReturnValue:
    call_with_vault(agreements.add_item, reference, kind=form_text("kind"), responsible=form_text("responsible"),
                    what=form_text("what"), due_on=form_text("due_on"))
    flash(_("The item was added to the agreement, encrypted."), "info")
    return _to("mediator.case_agreement", reference)


@mediator.bp.route("/cases/<reference>/agreement/items/<item_id>/follow-up", methods=["POST"])
def follow_up(reference: str, item_id: str) -> ResponseReturnValue:
    call_with_vault(agreements.follow_up, reference, item_id=item_id, status=form_text("status"),
                    note=form_text("note"))
    flash(_("The follow-up was recorded."), "info")
    return _to("mediator.case_agreement", reference)


# --- closing ------------------------------------------------------------------------------------------------

def _dispositions() -> dict[str, closure.Disposition]:
    return {name.removeprefix(STATUS_PREFIX): closure.Disposition(
                form_text(name), form_text(NOTE_PREFIX + name.removeprefix(STATUS_PREFIX)))
            for name in request.form if name.startswith(STATUS_PREFIX)}


@mediator.bp.route("/cases/<reference>/close", methods=["GET", "POST"])
def close_case(reference: str) -> ResponseReturnValue:
    """The one way a mediator closes a completed case: with a summary, saying what becomes of open items."""
    if request.method == "POST":
        call_with_vault(closure.close_case, reference, summary=form_text("summary"), reason=form_text("reason"),
                        dispositions=_dispositions(), expected_version=form_int("version"))
        flash(_("The case is closed; the closing letters are ready."), "info")
        return _to("mediator.case", reference)
    return render_template("dialogue/close.html", form=call_with_vault(closure.closing_form, reference),
                           limit=closure.MAX_SUMMARY)


# --- closing letters ----------------------------------------------------------------------------------------

def _render_letter(letter: letters.Letter, back: str) -> str:
    """The letter in the language of the person it is for, inside a page in the reader's own language."""
    with force_locale(letter.language):
        letter_html = Markup(render_template("letters/letter.html", letter=letter))  # noqa: S704 - rendered escaped
    return render_template("letters/page.html", letter=letter, letter_html=letter_html, back=back)


@mediator.bp.route("/cases/<reference>/letters/<int(max=2147483647):participant_id>")
def letter(reference: str, participant_id: int) -> ResponseReturnValue:
    opened = call_with_vault(letters.letter_for, reference, participant_id)
    return _render_letter(opened, url_for("mediator.case", reference=reference))


@portal.bp.route("/cases/<reference>/letter")
def my_letter(reference: str) -> ResponseReturnValue:
    return _render_letter(call_with_vault(letters.my_letter, reference), url_for("portal.home"))
