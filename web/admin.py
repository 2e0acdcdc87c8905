"""The coordinator: accounts, held public requests, mediator assignments, eligibility overrides, and cases as
metadata only."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.models import Role
from mediation.services import assignment, intake, invitations, queries, sentences, two_factor, users
from web import programme_roles
from web.auth import role_blueprint
from web.calls import call_as_user, call_with_vault, read_as_user
from web.forms import form_int, form_text
from web.lists import list_query, step_choices

bp = role_blueprint("admin", Role.ADMIN)
_ACCOUNT = "/accounts/<int(max=2147483647):user_id>/programmes"
bp.add_url_rule(_ACCOUNT, "programme_roles", programme_roles.page)
bp.add_url_rule(_ACCOUNT, "grant_programme_role", programme_roles.grant, methods=["POST"])
bp.add_url_rule(_ACCOUNT + "/revoke", "revoke_programme_role", programme_roles.revoke, methods=["POST"])


@bp.route("/")
def cases() -> ResponseReturnValue:
    query = list_query(key=queries.CASE_KEY, fields=queries.CASE_FILTERS, search="reference")
    page = read_as_user(queries.case_list, query, stale_days=current_app.config["STALE_CASE_DAYS"])
    return render_template("admin/cases.html", page=page, mediators=read_as_user(users.mediators),
                           steps=step_choices())


@bp.route("/requests")
def requests() -> ResponseReturnValue:
    page = read_as_user(intake.pending_requests, list_query(key=intake.REQUEST_KEY))
    return render_template("admin/requests.html", page=page)


@bp.route("/requests/<int(max=2147483647):request_id>/accept", methods=["POST"])
def accept_request(request_id: int) -> ResponseReturnValue:
    case = call_with_vault(intake.accept_held_request, request_id)
    flash(_("The request was accepted as case %(reference)s.", reference=case.reference), "info")
    return redirect(url_for("admin.requests"), code=303)


@bp.route("/requests/<int(max=2147483647):request_id>/dismiss", methods=["POST"])
def dismiss_request(request_id: int) -> ResponseReturnValue:
    call_as_user(intake.dismiss_held_request, request_id)
    flash(_("The request was dismissed; no case was opened."), "info")
    return redirect(url_for("admin.requests"), code=303)


@bp.route("/cases/<reference>/assign", methods=["POST"])
def assign(reference: str) -> ResponseReturnValue:
    mediator_id = form_int("mediator_id")
    if mediator_id is None:
        flash(_("Choose a mediator."), "error")
        return redirect(url_for("admin.cases"), code=303)
    call_as_user(assignment.assign_mediator, reference, mediator_id)
    flash(_("%(reference)s is assigned.", reference=reference), "info")
    return redirect(url_for("admin.cases"), code=303)


@bp.route("/cases/<reference>/co-mediator", methods=["POST"])
def co_mediator(reference: str) -> ResponseReturnValue:
    call_as_user(assignment.assign_co_mediator, reference, form_int("mediator_id"))
    flash(_("%(reference)s has a co-mediator.", reference=reference), "info")
    return redirect(url_for("admin.cases"), code=303)


@bp.route("/cases/<reference>/co-mediator/remove", methods=["POST"])
def remove_co_mediator(reference: str) -> ResponseReturnValue:
    call_as_user(assignment.remove_co_mediator, reference)
    flash(_("The co-mediator of %(reference)s was removed; they were told on their page.", reference=reference),
          "info")
    return redirect(url_for("admin.cases"), code=303)


@bp.route("/cases/<reference>/override", methods=["POST"])
def override(reference: str) -> ResponseReturnValue:
    call_with_vault(sentences.override_eligibility, reference, eligible=form_text("eligible") == "yes",
                    rationale=form_text("rationale") or "")
    flash(_("The eligibility decision of %(reference)s was overridden.", reference=reference), "info")
    return redirect(url_for("admin.cases"), code=303)


@bp.route("/accounts")
def accounts() -> ResponseReturnValue:
    query = list_query(key=users.ACCOUNT_KEY, search="username", statuses=users.ACCOUNT_STATUSES,
                       roles=users.ACCOUNT_ROLES)
    return render_template("admin/accounts.html", page=read_as_user(users.list_accounts, query),
                           roles=users.ACCOUNT_ROLES, two_factor_on=read_as_user(two_factor.enrolled_user_ids))


def _invitation_page(username: str, code: str, *, created: bool) -> ResponseReturnValue:
    return render_template("auth/invitation_code.html", code=code, hours=current_app.config["INVITATION_HOURS"],
                           address=url_for("auth.activate", _external=True), username=username, created=created,
                           back=url_for("admin.accounts"))


@bp.route("/accounts", methods=["POST"])
def create_account() -> ResponseReturnValue:
    """The account is created without a password; its person sets one with the code shown once here."""
    role = form_text("role") or ""
    if role == Role.PARTICIPANT:
        flash(_("Participants join through an invitation from their mediator."), "error")
        return redirect(url_for("admin.accounts"), code=303)
    user, code = call_as_user(invitations.create_account, username=form_text("username") or "",
                              display_name=form_text("display_name") or "", role=role,
                              hours=current_app.config["INVITATION_HOURS"])
    return _invitation_page(user.username, code, created=True)


@bp.route("/accounts/<int(max=2147483647):user_id>/invite", methods=["POST"])
def invite_account(user_id: int) -> ResponseReturnValue:
    """A new invitation: for an account not activated yet, or a password reset (earlier codes stop working)."""
    user, code = call_as_user(invitations.invite_account, user_id, hours=current_app.config["INVITATION_HOURS"])
    return _invitation_page(user.username, code, created=False)


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
