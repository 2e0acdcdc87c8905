"""The password policy: long enough, not the person's own name, not easy to guess; and Argon2 hashes."""

from __future__ import annotations

import pytest

from mediation.passwords import (
    PasswordProblem,
    WeakPassword,
    new_password,
    password_problem,
    verify_password,
)


@pytest.mark.parametrize(("password", "problem"), [
    ("short pass", PasswordProblem.TOO_SHORT),
    ("x" * 501, PasswordProblem.TOO_LONG),
    ("aaaaaaaaaaaa", PasswordProblem.GUESSABLE),
    ("password1234", PasswordProblem.GUESSABLE),
    ("qwertyuiop123", PasswordProblem.GUESSABLE),
    ("123456789012", PasswordProblem.GUESSABLE),
    ("Password2026!", PasswordProblem.GUESSABLE),
    ("morgan.mediatorsson", PasswordProblem.CONTAINS_NAME),  # the username itself
    ("MORGAN.MEDIATORSSON", PasswordProblem.CONTAINS_NAME),
    ("I am Mediatorsson, trust me", PasswordProblem.CONTAINS_NAME),  # a word of the name
    ("morgan mediatorsson 2026", PasswordProblem.CONTAINS_NAME),  # the display name
], ids=lambda value: value[:20] if isinstance(value, str) else str(value))
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: PasswordProblem) -> None:
    assert password_problem(password, username="morgan.mediatorsson", display_name="Morgan Mediatorsson") is problem
    with pytest.raises(WeakPassword) as refused:
        new_password(password, username="morgan.mediatorsson", display_name="Morgan Mediatorsson")
    assert refused.value.problem is problem


@pytest.mark.parametrize("password", ["correct horse battery staple", "seven quiet lanterns over the harbour",
                                      "Tr0ub4dor&3-vanilla-kite", "x" * 8 + "Zq7!mP2#vL9@"])
def test_strong_passwords_are_accepted_and_hashed_with_argon2(password: str) -> None:
    assert password_problem(password, username="morgan.mediatorsson", display_name="Morgan Mediatorsson") is None
    chosen = new_password(password, username="morgan.mediatorsson", display_name="Morgan Mediatorsson")
    assert chosen.hash.startswith("$argon2id$")
    assert verify_password(chosen.hash, password)
    assert not verify_password(chosen.hash, password + "x")


def test_a_password_longer_than_what_zxcvbn_measures_is_still_checked() -> None:
    assert password_problem("a" * 100) is PasswordProblem.GUESSABLE
    assert password_problem("seven quiet lanterns over the harbour " * 3) is None


def test_short_parts_of_a_name_do_not_forbid_ordinary_words() -> None:
    """'Al Li' should not forbid every password containing 'al' or 'li'; the username itself always counts."""
    assert password_problem("a totally lovely pale kite", username="al.li", display_name="Al Li") is None
    assert password_problem("zz al.li zebra crossing", username="al.li", display_name="Al Li") is \
        PasswordProblem.CONTAINS_NAME
