"""The coordinator gives accounts their roles in the other programmes (circles, resocialisation training)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.services import programme_roles
from web.calls import call_as_user, read_as_user
from web.forms import form_text
from workflows.programmes import programmes


def _chosen() -> tuple[str, str]:
    """The (programme, role) pair the form sent as ``programme:role``; the service refuses anything unknown."""
    programme, _sep, role = (form_text("grant") or "").partition(":")
    return programme, role


def page(user_id: int) -> ResponseReturnValue:
    overview = read_as_user(programme_roles.account_programmes, user_id)
    titles = {p.name: p.title for p in programmes()}
    return render_template("admin/programme_roles.html", overview=overview, titles=titles)


def grant(user_id: int) -> ResponseReturnValue:
    programme, role = _chosen()
    call_as_user(programme_roles.grant, user_id, programme, role)
    flash(_("The programme role was given."), "info")
    return redirect(url_for("admin.programme_roles", user_id=user_id), code=303)


def revoke(user_id: int) -> ResponseReturnValue:
    programme, role = _chosen()
    call_as_user(programme_roles.revoke, user_id, programme, role)
    flash(_("The programme role was taken back."), "info")
    return redirect(url_for("admin.programme_roles", user_id=user_id), code=303)
