"""Passwords: hashed with Argon2id (argon2-cffi), and refused when easy to guess (zxcvbn). Never our own scheme.

Hashing and verifying are slow on purpose; callers do both outside any database transaction, so a sign-in or
an activation never holds the database while Argon2 works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from mediation.errors import InvalidInput
from workflows.words import Words

_hasher = PasswordHasher()
# For random codes we make (recovery codes, about 50 bits each), not secrets people choose: there is no
# dictionary to slow down, so a light profile is enough, and ten of them hash in milliseconds, not seconds.
_random_code_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 500
MIN_STRENGTH = 3  # zxcvbn's score from 0 to 4: 3 is "safely unguessable" against an offline attack
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; a prefix of 72 characters already measures enough
_NAME_PART_MIN = 4  # a word of one's name at least this long may not appear in one's password


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    CONTAINS_NAME = "contains_name"
    GUESSABLE = "guessable"


PROBLEM_TEXT = {
    PasswordProblem.TOO_SHORT: Words("A password needs at least %(count)s characters.", count=MIN_LENGTH),
    PasswordProblem.TOO_LONG: Words("A password has at most %(count)s characters.", count=MAX_LENGTH),
    PasswordProblem.CONTAINS_NAME: Words("A password may not contain your username or your name."),
    PasswordProblem.GUESSABLE: Words("This password is too easy to guess (a common password, words with simple "
                                     "changes, repeats, sequences or dates). Try several unrelated words."),
}


class WeakPassword(InvalidInput):
    """The password breaks the policy; ``problem`` says how, so a page can say it in the reader's language."""

    def __init__(self, problem: PasswordProblem) -> None:
        super().__init__(PROBLEM_TEXT[problem])
        self.problem = problem


def _name_parts(username: str, display_name: str) -> list[str]:
    parts = {username.strip().lower(), display_name.strip().lower()}
    parts.update(re.split(r"[\s._-]+", f"{username} {display_name}".lower()))
    return [part for part in parts if len(part) >= _NAME_PART_MIN or part == username.strip().lower()]


def password_problem(password: str, *, username: str = "", display_name: str = "") -> PasswordProblem | None:
    """What is wrong with ``password`` for this person, or None if it may be used."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return PasswordProblem.TOO_LONG
    lowered = password.lower()
    names = [part for part in _name_parts(username, display_name) if part]
    if any(part in lowered for part in names):
        return PasswordProblem.CONTAINS_NAME
    if zxcvbn(password[:_ZXCVBN_MAX], user_inputs=names)["score"] < MIN_STRENGTH:
        return PasswordProblem.GUESSABLE
    return None


@dataclass(frozen=True)
class NewPassword:
    """A password that passed the policy, already hashed: services store it without waiting for Argon2."""

    hash: str


def new_password(password: str, *, username: str, display_name: str) -> NewPassword:
    """Check ``password`` against the policy for this person and hash it; raises WeakPassword."""
    problem = password_problem(password, username=username, display_name=display_name)
    if problem is not None:
        raise WeakPassword(problem)
    return NewPassword(hash_password(password))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_random_code(code: str) -> str:
    """Argon2id for a high-entropy code the system generated; ``verify_password`` checks it like any hash."""
    return _random_code_hasher.hash(code)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's (then it is replaced at sign-in)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False
