"""Organisations and the wall between them: an account sees only its own organisation's cases and accounts.

The operator adds organisations (``mediation organisations add``); each gets its own key-encryption key in the
keyring file before any of its content is sealed. A referral (``mediation.services.referrals``) is the only way
anything of one organisation reaches another.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, Organisation, User
from mediation.text import shown

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
NAME_LENGTH = 120


def of_organisation(actor: User) -> ColumnElement[bool]:
    """Cases of the actor's own organisation: the clause every case list and lookup adds."""
    return Case.organisation_id == actor.organisation_id


def accounts_of_organisation(actor: User) -> ColumnElement[bool]:
    """Accounts of the actor's own organisation: the clause every account list and chooser adds."""
    return User.organisation_id == actor.organisation_id


def organisation_id_of(actor_id: Any) -> Any:
    """The organisation of the account ``actor_id`` (a value or a bound parameter), as a scalar subquery."""
    return select(User.organisation_id).where(User.id == actor_id).scalar_subquery()


def account_in(session: Session, organisation_id: int, user_id: object) -> User | None:
    """The account with this id if it belongs to ``organisation_id``, else None: an id from a client never reaches
    another organisation's account, which answers exactly like a missing one."""
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id < 2**31:
        return None
    user = session.get(User, user_id)
    return user if user is not None and user.organisation_id == organisation_id else None


def same_organisation(actor: User, other: User | None) -> bool:
    """Whether ``other`` is an account of the actor's own organisation (None never is)."""
    return other is not None and other.organisation_id == actor.organisation_id


def checked_slug(slug: object) -> str:
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise InvalidInput("%(value)s is not a valid organisation handle: 1 to 40 lower-case letters, digits and "
                           "dashes, starting and ending with a letter or digit.", value=shown(slug))
    return slug


def checked_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LENGTH or "\x00" in name:
        raise InvalidInput("An organisation's name is 1 to %(n)s characters.", n=NAME_LENGTH)
    return name.strip()


def add_organisation(session: Session, slug: object, name: object) -> Organisation:
    """The operator adds an organisation (the caller gives it a KEK in the same step: ``mediation.cli``)."""
    slug, name = checked_slug(slug), checked_name(name)
    if session.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        raise InvalidInput("There is already an organisation %(slug)s.", slug=shown(slug))
    organisation = Organisation(slug=slug, name=name, created_at=utcnow())
    session.add(organisation)
    session.flush()
    audit.record(session, AuditTag.ORGANISATION_ADDED, actor=None, now=utcnow(), anonymous_role="operator",
                 details={"organisation_id": organisation.id})
    return organisation


def by_slug(session: Session, slug: object) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.slug == checked_slug(slug)))
    if found is None:
        raise NotFound("There is no organisation %(slug)s.", slug=shown(slug))
    return found


def all_organisations(session: Session) -> list[tuple[Organisation, int]]:
    """Every organisation with how many accounts it has, for the operator's list."""
    counts = dict(session.execute(select(User.organisation_id, func.count()).group_by(User.organisation_id)).all())
    return [(o, counts.get(o.id, 0)) for o in session.scalars(select(Organisation).order_by(Organisation.id))]


def organisation_name(session: Session, organisation_id: int) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation is not None else ""
