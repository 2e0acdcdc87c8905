"""Signing in, and participants' portal accounts created through one-time, expiring invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, Invitation, Participant, Role, User
from mediation.passwords import hash_password, verify_password
from mediation.policy import participant_of
from mediation.services import users
from mediation.services.lookup import case_to_change
from workflows.vocabulary import OPEN_STATES


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown or locked, so timing reveals nothing.

    Made on first use, not at import: Argon2 is slow on purpose."""
    return hash_password(secrets.token_urlsafe(16))


MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=like.tzinfo)


def authenticate(session: Session, username: str, password: str, *, now: datetime | None = None) -> User | None:
    """The active account with these credentials, or None (whatever was wrong: never say which).

    After MAX_FAILED_LOGINS wrong passwords in a row, the account refuses every sign-in for LOCKOUT, with
    the same answer and the same work as any other failure, so guessing is slowed and nothing is revealed.
    """
    now = now or utcnow()
    name = username.strip().lower() if isinstance(username, str) else ""
    # A name that cannot be a username is never looked up (PostgreSQL would refuse a NUL), but costs the same.
    user = (session.scalars(select(User).where(User.username == name)).first()
            if users.USERNAME.fullmatch(name) else None)
    locked = user is not None and user.locked_until is not None and _aware(user.locked_until, now) > now
    valid = verify_password(user.password_hash if user is not None and not locked else _dummy_hash(), password)
    if user is None or locked:
        return None
    if not valid:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
        return None
    user.failed_logins, user.locked_until = 0, None
    return user if user.is_active else None


def active_user(session: Session, user_id: int) -> User | None:
    """The account behind a signed-in session, if it still exists and is active."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_participant(session: Session, actor: User, reference: str, *, participant_id: int, hours: int,
                       now: datetime | None = None) -> str:
    """The mediator invites a participant to the portal; returns the one-time token to send them (shown once)."""
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES, action="invite a participant")
    participant = participant_of(case, participant_id)
    if participant.user_id is not None:
        raise InvalidInput("This participant already has a portal account.")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(Invitation(participant_id=participant.id, token_hash=_token_hash(token), created_by_id=actor.id,
                           created_at=now, expires_at=now + timedelta(hours=hours)))
    audit.record(session, AuditTag.INVITATION_CREATED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "hours": hours})
    return token


def _open_invitation(session: Session, token: str, now: datetime) -> Invitation:
    invitation = session.scalars(select(Invitation).where(Invitation.token_hash == _token_hash(token))).first()
    if invitation is None or invitation.used_at is not None:
        raise NotFound("This invitation link is not valid (it may have been used already). Ask your mediator "
                       "for a new one.")
    expires = invitation.expires_at if invitation.expires_at.tzinfo else invitation.expires_at.replace(
        tzinfo=now.tzinfo)
    if expires < now:
        raise NotFound("This invitation link has expired. Ask your mediator for a new one.")
    return invitation


def check_invitation(session: Session, token: str) -> None:
    """Raise NotFound unless the token opens a valid, unused, unexpired invitation."""
    _open_invitation(session, token, utcnow())


def activate_account(session: Session, token: str, *, username: str, display_name: str, password: str) -> User:
    """Create the participant's account from a valid invitation; the link then stops working."""
    now = utcnow()
    invitation = _open_invitation(session, token, now)
    participant = session.get(Participant, invitation.participant_id)
    assert participant is not None
    if participant.user_id is not None:
        raise InvalidInput("This participant already has a portal account.")
    audit.lock_case_row(session, participant.case_id)  # the one lock order: the case row before any chain head
    user = users.create_user(session, None, username=username, display_name=display_name,
                             role=Role.PARTICIPANT.value, password=password, anonymous_role="invitee")
    participant.user_id = user.id
    invitation.used_at = now
    case = session.get(Case, participant.case_id)
    assert case is not None
    audit.record(session, AuditTag.ACCOUNT_ACTIVATED, actor=user, now=now, case=case,
                 details={"participant_id": participant.id, "user_id": user.id})
    return user
