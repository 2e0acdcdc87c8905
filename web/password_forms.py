"""Choosing a password on a page: the fields, and the policy's refusals said in the reader's language.

The rule itself lives in ``mediation.passwords``; this module only words its answers and hashes an accepted
password before the view calls a service (Argon2 never runs inside a transaction).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import Field, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from mediation.passwords import MAX_LENGTH, MIN_LENGTH, NewPassword, PasswordProblem, new_password, password_problem

PROBLEMS: dict[PasswordProblem, LazyString] = {
    PasswordProblem.TOO_SHORT: _l("A password needs at least %(count)s characters.", count=MIN_LENGTH),
    PasswordProblem.TOO_LONG: _l("A password has at most %(count)s characters.", count=MAX_LENGTH),
    PasswordProblem.CONTAINS_NAME: _l("A password may not contain your username or your name."),
    PasswordProblem.GUESSABLE: _l("This password is too easy to guess (a common password, words with simple "
                                  "changes, repeats, sequences or dates). Try several unrelated words."),
}
PASSWORD_HINT = _l("At least %(count)s characters, not easy to guess, without your name. Several unrelated words "
                   "work well.", count=MIN_LENGTH)


def new_password_field(label: LazyString) -> PasswordField:
    return PasswordField(label, validators=[DataRequired(), Length(max=MAX_LENGTH)],
                         render_kw={"autocomplete": "new-password"})


def confirm_field(of: str) -> PasswordField:
    return PasswordField(_l("The same password again"),
                         validators=[DataRequired(), EqualTo(of, message=_l("The two passwords are not the same."))],
                         render_kw={"autocomplete": "new-password"})


def accepted_password(field: Field, *, username: str, display_name: str) -> NewPassword | None:
    """The hashed password if the policy accepts it for this person; otherwise the reason goes on the field."""
    password = field.data or ""
    problem = password_problem(password, username=username, display_name=display_name)
    if problem is not None:
        field.errors = [*field.errors, str(PROBLEMS[problem])]
        return None
    return new_password(password, username=username, display_name=display_name)
