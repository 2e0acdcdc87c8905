"""The closing questionnaire on the portal: the person answers once; they see that they answered, never what.

Registered on the portal's blueprint (``web.portal.bp``), so the portal's gate covers every route here.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.errors import Conflict, InvalidInput, WrongState
from mediation.models.evaluation import QUESTIONS
from mediation.services import evaluation
from web.calls import call_with_vault, read_as_user
from web.forms import form_text
from web.portal import bp
from web.words import say


def _page(reference: str, *, error: str | None = None, given: dict[str, str] | None = None) -> ResponseReturnValue:
    status = read_as_user(evaluation.evaluation_status, reference)
    page = render_template("portal/evaluation.html", status=status, error=error, given=given or {},
                           questions=QUESTIONS, limit=evaluation.MAX_COMMENT)
    return page, 400 if error else 200


@bp.route("/cases/<reference>/evaluation")
def evaluation_page(reference: str) -> ResponseReturnValue:
    return _page(reference)


@bp.route("/cases/<reference>/evaluation", methods=["POST"])
def answer_evaluation(reference: str) -> ResponseReturnValue:
    """A refused form comes back with what was chosen and written kept."""
    given = {name: form_text(name) or "" for name in (*QUESTIONS, "comment")}
    try:
        call_with_vault(evaluation.answer, reference, comment=given["comment"] or None,
                        **{name: given[name] or None for name in QUESTIONS})
    except (InvalidInput, WrongState, Conflict) as refusal:
        return _page(reference, error=say(refusal), given=given)
    flash(_("Thank you. Your answers are counted only together with everyone else's."), "info")
    return redirect(url_for("portal.home"), code=303)
