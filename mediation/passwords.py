"""Password hashing with Argon2id (argon2-cffi); never our own scheme."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# For random codes we make (recovery codes, about 50 bits each), not secrets people choose: there is no
# dictionary to slow down, so a light profile is enough, and ten of them hash in milliseconds, not seconds.
_random_code_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


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
