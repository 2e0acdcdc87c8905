"""Accounts: created and deactivated by the coordinator (or by the operator from the command line).

The coordinator never sets or sees a password: an account they create has none until its person activates it
through a one-time invitation (mediation.services.invitations). Only the operator at the server's command line
may set one directly, e.g. for the first coordinator of a new installation.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import FIRST_ORGANISATION, Role, User
from mediation.passwords import NewPassword
from mediation.policy import require_role
from mediation.services.accounts import end_all_sessions
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page, starts_with
from mediation.services.organisations import account_in, accounts_of_organisation
from mediation.text import checked_string, clean_name, shown
from workflows.words import Words, codes

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
USERNAME_RULE = Words("A username has 3 to 80 characters: lowercase letters, digits, dots, dashes, underscores.")
MAX_DISPLAY_NAME = 120  # the length of users.display_name


def normalise_username(username: str) -> str:
    return username.strip().lower()


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def create_user(session: Session, actor: User | None, *, username: str, display_name: str, role: str,
                password: NewPassword | None, anonymous_role: str = "operator",
                organisation_id: int | None = None) -> User:
    """Create an account. ``actor`` is None for the operator at the command line or an invited participant;
    the coordinator (``actor``) creates accounts without a password.

    The account belongs to the coordinator's organisation; without an actor, to ``organisation_id`` (the operator
    chose it, or the case the account is made for has it), else the first organisation."""
    if actor is not None:
        if organisation_id is not None and organisation_id != actor.organisation_id:
            raise NotFound("There is no such organisation.")
        organisation_id = actor.organisation_id
        require_role(actor, Role.ADMIN)
        if password is not None:
            raise InvalidInput("The coordinator does not set passwords: the person sets theirs through the "
                               "account's activation link.")
    username = normalise_username(checked_string(username, Words("username"), max_length=1000))
    if not USERNAME.fullmatch(username):
        raise InvalidInput(USERNAME_RULE)
    if role not in {r.value for r in Role}:
        raise InvalidInput("Unknown role %(value)s; choose one of: %(choices)s.", value=shown(role),
                           choices=codes([r.value for r in Role]))
    display_name = clean_name(display_name, Words("display name"), max_length=MAX_DISPLAY_NAME)
    if username_taken(session, username):
        raise InvalidInput("The username %(username)s is taken.", username=repr(username))
    user = User(username=username, display_name=display_name, role=role,
                organisation_id=organisation_id if organisation_id is not None else FIRST_ORGANISATION,
                password_hash=password.hash if password is not None else None, is_active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, AuditTag.USER_CREATED, actor=actor, now=utcnow(), anonymous_role=anonymous_role,
                 details={"user_id": user.id, "role": role})
    return user


def account_to_manage(session: Session, actor: User, user_id: int, *, not_yourself: Words) -> User:
    """The account the coordinator is about to change: it exists, and it is not their own (``not_yourself``
    says what to do instead)."""
    require_role(actor, Role.ADMIN)
    user = account_in(session, actor.organisation_id, user_id)
    if user is None:
        raise NotFound("No such account.")
    if user.id == actor.id:
        raise InvalidInput(not_yourself)
    return user


def deactivate_user(session: Session, actor: User, user_id: int) -> User:
    """The coordinator closes an account: its sessions end at once and its invitations stop working."""
    user = account_to_manage(session, actor, user_id, not_yourself=Words("You cannot deactivate your own account."))
    user.is_active = False
    end_all_sessions(session, user.id)
    audit.record(session, AuditTag.USER_DEACTIVATED, actor=actor, now=utcnow(), details={"user_id": user.id})
    return user


ACCOUNT_KEY: tuple[KeyPart, ...] = ("text", "text")  # role, username
ACCOUNT_STATUSES = ("active", "deactivated")
ACCOUNT_ROLES = tuple(r.value for r in Role)


def list_accounts(session: Session, actor: User, query: ListQuery) -> Page[User]:
    """A page of the accounts of the coordinator's organisation, by role then username (names, roles and status
    only)."""
    require_role(actor, Role.ADMIN)
    conditions = [accounts_of_organisation(actor)]
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
    """Active mediators of the coordinator's organisation, for the assignment form."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(User).where(User.role == Role.MEDIATOR, User.is_active.is_(True),
                                                   accounts_of_organisation(actor))
                                .order_by(User.display_name)))
