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
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page, starts_with

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
MIN_PASSWORD = 12


def create_user(session: Session, actor: User | None, *, username: str, display_name: str, role: str,
                password: str | None, anonymous_role: str = "operator") -> User:
    """Create an account. ``actor`` is None for the operator at the command line or an invited participant."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput("A username has 3 to 80 characters: lowercase letters, digits, dots, dashes, underscores.")
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {role!r}; choose one of: {', '.join(r.value for r in Role)}.")
    if not display_name.strip():
        raise InvalidInput("A display name is required.")
    if actor is not None and not password:
        raise InvalidInput("An account created by the coordinator needs an initial password.")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput(f"The username {username!r} is taken.")
    user = User(username=username, display_name=display_name.strip(), role=role,
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


ACCOUNT_KEY: tuple[KeyPart, ...] = ("text", "text")  # role, username
ACCOUNT_STATUSES = ("active", "deactivated")
ACCOUNT_ROLES = tuple(r.value for r in Role)


def list_accounts(session: Session, actor: User, query: ListQuery) -> Page[User]:
    """A page of the accounts, by role then username, for the coordinator (names, roles and status only)."""
    require_role(actor, Role.ADMIN)
    conditions = []
    if query.search:
        conditions.append(starts_with(User.username, query.search))
    if query.role:
        conditions.append(User.role == query.role)
    if query.status:
        conditions.append(User.is_active.is_(query.status == "active"))
    page = fetch_page(session, select(User).where(*conditions), query, keys=(User.role, User.username),
                      key_of=lambda row: (row.User.role, row.User.username), parts=ACCOUNT_KEY)
    return page.map(lambda row: row.User)


def mediators(session: Session, actor: User) -> list[User]:
    """Active mediators, for the coordinator's assignment form."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(User).where(User.role == Role.MEDIATOR, User.is_active.is_(True))
                                .order_by(User.display_name)))
