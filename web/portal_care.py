"""The participant's private line to their mediator, and the drafts that keep what they are writing.

Registered on the portal's blueprint (``web.portal.bp``), so the portal's gate covers every route here.
"""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from mediation.errors import InvalidInput, WrongState
from mediation.services import drafts, private_line
from web.calls import call_with_vault
from web.forms import form_text
from web.portal import _my_case, bp, plain_words
from web.words import say

NOTE_SENT = {
    "message": _l("Your message was sent to your mediator only. Nobody else on the case sees it."),
    "need_a_break": _l("Your mediator now knows you need a break, and will not ask anything of you before you "
                       "are ready."),
    "start_again": _l("Your request to start again was sent to your mediator, who will contact you."),
}


def idle_minutes() -> int:
    return int(current_app.config["IDLE_SECONDS"]) // 60


def _line_page(reference: str, *, error: str | None = None, kind: str = "message",
               text: str | None = None) -> ResponseReturnValue:
    case = _my_case(reference)
    line = call_with_vault(private_line.my_line, reference)
    if text is None:
        saved = call_with_vault(drafts.my_draft, reference, "private")
        text = saved[0] if saved else ""
    page = render_template("portal/private_line.html", case=case, line=line, plain_words=plain_words,
                           contact=current_app.config["CARE"].programme, error=error, kind=kind, text=text,
                           limit=private_line.MAX_PRIVATE_TEXT, idle_minutes=idle_minutes())
    return page, 400 if error else 200


@bp.route("/cases/<reference>/mediator")
def private_line_page(reference: str) -> ResponseReturnValue:
    return _line_page(reference)


@bp.route("/cases/<reference>/mediator", methods=["POST"])
def write_to_mediator(reference: str) -> ResponseReturnValue:
    """Refused input comes back on the form with what was written kept, never lost."""
    kind, text = form_text("kind") or "", form_text("text")
    try:
        call_with_vault(private_line.write_to_mediator, reference, kind=kind, text=text)
    except (InvalidInput, WrongState) as refusal:
        return _line_page(reference, error=say(refusal), kind=kind, text=text or "")
    flash(str(NOTE_SENT[kind]), "info")
    return redirect(url_for("portal.private_line_page", reference=reference), code=303)


@bp.route("/cases/<reference>/drafts/<purpose>", methods=["POST"])
def save_draft(reference: str, purpose: str) -> ResponseReturnValue:
    """Called by static/draft.js as the person types (and when they leave the page): the text, sealed."""
    try:
        saved_at = call_with_vault(drafts.save_draft, reference, purpose=purpose, text=form_text("text"))
    except InvalidInput as refusal:
        return jsonify(saved=False, message=say(refusal)), 400
    return jsonify(saved=saved_at is not None, saved_at=saved_at.strftime("%H:%M") if saved_at else None)
