"""Accounts: created and deactivated by the coordinator (or by the operator from the command line)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Role, User
from mediation.passwords import hash_password
from mediation.policy import require_role
from mediation.text import checked_string, clean_name, shown

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 500
MAX_DISPLAY_NAME = 120  # the length of users.display_name


def create_user(session: Session, actor: User | None, *, username: str, display_name: str, role: str,
                password: str | None, anonymous_role: str = "operator") -> User:
    """Create an account. ``actor`` is None for the operator at the command line or an invited participant."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    username = checked_string(username, "username", max_length=1000).strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidInput("A username has 3 to 80 characters: lowercase letters, digits, dots, dashes, underscores.")
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {shown(role)}; choose one of: {', '.join(r.value for r in Role)}.")
    display_name = clean_name(display_name, "display name", max_length=MAX_DISPLAY_NAME)
    if password is not None:
        checked_string(password, "password", max_length=MAX_PASSWORD)
    if actor is not None and not password:
        raise InvalidInput("An account created by the coordinator needs an initial password.")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput(f"The username {username!r} is taken.")
    user = User(username=username, display_name=display_name, role=role,
                password_hash=hash_password(password) if password else None, is_active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, AuditTag.USER_CREATED, actor=actor, now=utcnow(), anonymous_role=anonymous_role,
                 details={"user_id": user.id, "role": role})
    return user


def deactivate_user(session: Session, actor: User, user_id: int) -> User:
    require_role(actor, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    if user.id == actor.id:
        raise InvalidInput("You cannot deactivate your own account.")
    user.is_active = False
    audit.record(session, AuditTag.USER_DEACTIVATED, actor=actor, now=utcnow(), details={"user_id": user.id})
    return user


def list_accounts(session: Session, actor: User) -> list[User]:
    """Every account, for the coordinator (names, roles and status only)."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def mediators(session: Session, actor: User) -> list[User]:
    """Active mediators, for the coordinator's assignment form."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(User).where(User.role == Role.MEDIATOR, User.is_active.is_(True))
                                .order_by(User.display_name)))
