"""Signing in, the sessions it starts, and changing one's own password.

Argon2 is slow on purpose, so it never runs inside a transaction: a sign-in reads what it needs in one short
transaction, verifies the password outside any, and writes (a rehash, a new session) in another short one.
That is why ``authenticate`` and ``change_password`` take a way to open transactions rather than a session.

A signed-in browser holds a random key in its session cookie; the server keeps the key's hash in
``login_sessions``. Ending the row signs out every copy of that cookie at once, wherever it was replayed from.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import Conflict, InvalidInput, NotFound
from mediation.models import LoginSession, TwoFactorCredential, User
from mediation.passwords import NewPassword, hash_password, needs_rehash, verify_password
from workflows.words import Words

Transactions = Callable[[], AbstractContextManager[Session]]
LIVE_SESSIONS_KEPT = 10  # signing in an eleventh time ends the oldest session still open


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown or has no password, so timing reveals nothing.

    Made on first use, not at import: Argon2 is slow on purpose."""
    return hash_password(secrets.token_urlsafe(16))


MAX_USERNAME = 80  # the length of users.username


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def account_named(session: Session, username: str) -> User | None:
    """The account with this username, whatever its state (a read: the first step of signing in). A name that
    cannot be a username is never looked up (PostgreSQL would refuse a NUL, or a name longer than its column)."""
    name = username.strip().lower() if isinstance(username, str) else ""
    if not name or len(name) > MAX_USERNAME or "\x00" in name:
        return None
    return session.scalars(select(User).where(User.username == name)).first()


def authenticate(transaction: Transactions, username: str, password: str) -> User | None:
    """The active account with these credentials, or None (whatever was wrong: never say which).

    The same work is done for an unknown username, an account not yet activated and a wrong password. Nothing
    is written on a failure: guessing is slowed by the rate limits around the sign-in page, not by locking the
    account, so nobody can lock someone else out.
    """
    with transaction() as session:
        user = account_named(session, username)
    stored = user.password_hash if user is not None else None
    valid = verify_password(stored or _dummy_hash(), password)
    if user is None or stored is None or not valid or not user.is_active:
        return None
    if needs_rehash(stored):
        fresh = hash_password(password)
        with transaction() as session:
            _replace_hash(session, user.id, expected=stored, new=fresh)
        user.password_hash = fresh
    return user


def _replace_hash(session: Session, user_id: int, *, expected: str, new: str) -> bool:
    """Store ``new`` only if the hash is still the one that was verified (no change slipped in between)."""
    result = session.execute(update(User).where(User.id == user_id, User.password_hash == expected)
                             .values(password_hash=new))
    return bool(result.rowcount)


def start_session(session: Session, user_id: int) -> str:
    """Record a new signed-in session for an active account; returns the key its cookie must carry."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("This account cannot sign in.")
    now = utcnow()
    live = list(session.scalars(select(LoginSession.id).where(LoginSession.user_id == user_id,
                                                                LoginSession.ended_at.is_(None))
                                .order_by(LoginSession.id.desc())))
    _delete_ended(session, user_id)
    if len(live) >= LIVE_SESSIONS_KEPT:
        session.execute(update(LoginSession).where(LoginSession.id.in_(live[LIVE_SESSIONS_KEPT - 1:]))
                        .values(ended_at=now))
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user_id, key_hash=_key_hash(key), started_at=now))
    return key


def _delete_ended(session: Session, user_id: int) -> None:
    """Forget sessions that ended: an ended row and a missing row refuse a cookie alike."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_not(None)))


def signed_in_user(session: Session, user_id: int, key: str | None) -> User | None:
    """The account behind a session cookie, if that session is still open and the account active."""
    if not key:
        return None
    return session.scalars(
        select(User).join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == user_id, User.is_active.is_(True), LoginSession.key_hash == _key_hash(key),
               LoginSession.ended_at.is_(None))).first()


def end_session(session: Session, key: str | None) -> None:
    """Sign out one session (every copy of its cookie)."""
    if key:
        session.execute(update(LoginSession).where(LoginSession.key_hash == _key_hash(key),
                                                   LoginSession.ended_at.is_(None)).values(ended_at=utcnow()))


def end_all_sessions(session: Session, user_id: int) -> int:
    """End every open session of an account, and every sign-in still halfway (a password accepted, its second
    factor not yet given): a new password must also void what the old one opened. A second factor still being
    set up is dropped too, since whoever held the old password may have read its secret. Returns how many
    sessions ended."""
    session.execute(update(TwoFactorCredential).where(TwoFactorCredential.user_id == user_id)
                    .values(sign_in_attempt=None))
    session.execute(delete(TwoFactorCredential).where(TwoFactorCredential.user_id == user_id,
                                                      TwoFactorCredential.confirmed_at.is_(None)))
    statement = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    return int(session.execute(statement.values(ended_at=utcnow())).rowcount or 0)


def sign_out_everywhere(session: Session, actor: User) -> int:
    """The person ends every session of their account, this one included, e.g. after using a shared computer."""
    ended = end_all_sessions(session, actor.id)
    audit.record(session, AuditTag.SESSIONS_ENDED, actor=actor, now=utcnow(), details={"user_id": actor.id})
    return ended


WRONG_PASSWORD = Words("The current password is not right.")


class WrongPassword(InvalidInput):
    """The current password given to confirm a change is not right."""

    def __init__(self) -> None:
        super().__init__(WRONG_PASSWORD)


def change_password(transaction: Transactions, actor_id: int, *, current: str, new: NewPassword) -> str:
    """The person changes their own password (the current one is required; ``new`` passed the policy, see
    ``mediation.passwords.new_password``). Every session of the account ends, the one asking included, so a copy
    of its cookie dies too; returns the key of a fresh session for the browser that made the change.

    Raises WrongPassword.
    """
    with transaction() as session:
        user = session.get(User, actor_id)
        if user is None or not user.is_active:
            raise NotFound("This account cannot sign in.")
        stored = user.password_hash
    if not verify_password(stored or _dummy_hash(), current) or stored is None:
        raise WrongPassword
    with transaction() as session:
        if not _replace_hash(session, actor_id, expected=stored, new=new.hash):
            raise Conflict("The password was changed at the same moment from somewhere else; sign in again.")
        end_all_sessions(session, actor_id)
        audit.record(session, AuditTag.PASSWORD_CHANGED, actor=session.get(User, actor_id), now=utcnow(),
                     details={"user_id": actor_id})
        return start_session(session, actor_id)
