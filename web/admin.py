"""The coordinator: accounts, mediator assignments, eligibility overrides, and cases as metadata only."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.models import Role
from mediation.services import assignment, queries, sentences, two_factor, users
from web.auth import role_blueprint
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text

bp = role_blueprint("admin", Role.ADMIN)


@bp.route("/")
def cases() -> ResponseReturnValue:
    return render_template("admin/cases.html", cases=read_as_user(queries.cases_for),
                           mediators=read_as_user(users.mediators))


@bp.route("/cases/<reference>/assign", methods=["POST"])
def assign(reference: str) -> ResponseReturnValue:
    mediator_id = form_int("mediator_id")
    if mediator_id is None:
        flash(_("Choose a mediator."), "error")
        return redirect(url_for("admin.cases"), code=303)
    call_as_user(assignment.assign_mediator, reference, mediator_id)
    flash(_("%(reference)s is assigned.", reference=reference), "info")
    return redirect(url_for("admin.cases"), code=303)


@bp.route("/cases/<reference>/override", methods=["POST"])
def override(reference: str) -> ResponseReturnValue:
    call_with_vault(sentences.override_eligibility, reference, eligible=form_text("eligible") == "yes",
                    rationale=form_text("rationale") or "")
    flash(_("The eligibility decision of %(reference)s was overridden.", reference=reference), "info")
    return redirect(url_for("admin.cases"), code=303)


@bp.route("/accounts")
def accounts() -> ResponseReturnValue:
    return render_template("admin/accounts.html", accounts=read_as_user(users.list_accounts),
                           two_factor_on=read_as_user(two_factor.enrolled_user_ids))


@bp.route("/accounts", methods=["POST"])
def create_account() -> ResponseReturnValue:
    role = form_text("role") or ""
    if role == Role.PARTICIPANT:
        flash(_("Participants join through an invitation from their mediator."), "error")
        return redirect(url_for("admin.accounts"), code=303)
    user = call_as_user(users.create_user, username=form_text("username") or "",
                        display_name=form_text("display_name") or "", role=role, password=form_text("password") or "")
    flash(_("The account %(username)s was created.", username=user.username), "info")
    return redirect(url_for("admin.accounts"), code=303)


@bp.route("/accounts/<int(max=2147483647):user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int) -> ResponseReturnValue:
    call_as_user(users.deactivate_user, user_id)
    flash(_("The account was deactivated."), "info")
    return redirect(url_for("admin.accounts"), code=303)


@bp.route("/accounts/<int(max=2147483647):user_id>/two-factor/reset", methods=["POST"])
def reset_two_factor(user_id: int) -> ResponseReturnValue:
    """A lost phone: the person sets two-factor sign-in up again at their next sign-in."""
    user = call_as_user(two_factor.reset, user_id)
    flash(_("Two-factor sign-in of %(username)s was reset; they set it up again when they next sign in.",
            username=user.username), "info")
    return redirect(url_for("admin.accounts"), code=303)
