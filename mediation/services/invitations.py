"""One-time, expiring invitations: how every person activates their own account.

A mediator invites a participant of their case to the portal; the coordinator creates a staff account (or asks
for a new password on one) and passes its invitation on. Either way the person receives a **code**, types or
pastes it on the activation page, and chooses their own password there: nobody else ever knows it.

The code never travels in a URL, so it never lands in an access log (the application server's or a proxy's),
in browser history or in a Referer header. Only its hash is stored. A new invitation for the same person revokes
the earlier unused ones; a participant's invitation stops working once their case is closed; a staff account's
once the account is deactivated.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Conflict, InvalidInput, NotFound
from mediation.models import Invitation, Participant, Role, User
from mediation.passwords import NewPassword
from mediation.policy import participant_of, require_role
from mediation.services import participant_names, reminders_arming, users
from mediation.services.accounts import end_all_sessions
from mediation.services.lookup import case_to_change
from workflows.vocabulary import OPEN_STATES
from workflows.words import Words

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread
CODE_LENGTH = 24  # 120 random bits
CODE_GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
USERNAME_STEM = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
_SUFFIX_ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"
_HANDLE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_NAME = 120



class Refusal(StrEnum):
    NOT_VALID = "not_valid"
    REPLACED = "replaced"
    EXPIRED = "expired"
    CASE_CLOSED = "case_closed"


REFUSAL_TEXT = {
    Refusal.NOT_VALID: Words("This invitation code is not valid (it may have been used already). Ask for a new one."),
    Refusal.REPLACED: Words("This invitation was replaced by a newer one: use the newest code you were given."),
    Refusal.EXPIRED: Words("This invitation has expired. Ask for a new one."),
    Refusal.CASE_CLOSED: Words("This invitation no longer works: the case is closed."),
}


class InvitationRefused(NotFound):
    """The code cannot be used; ``refusal`` says why, so a page can say it in the reader's language."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(REFUSAL_TEXT[refusal])
        self.refusal = refusal


def new_code() -> str:
    """A fresh random code, in groups of four so a person can read it out or type it."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def code_key(code: str) -> str:
    """The hash a code is stored and looked up by; spaces, dashes, case and look-alike letters do not matter."""
    cleaned = re.sub(r"[\s-]+", "", code).upper().translate(_READ_AS)
    return hashlib.sha256(cleaned.encode()).hexdigest()


def _issue(session: Session, actor: User, now: datetime, hours: int, *, participant_id: int | None = None,
           user_id: int | None = None) -> str:
    """Revoke the person's earlier unused invitations and create a new one; returns its code (shown once)."""
    if hours < 1:
        raise InvalidInput("An invitation must last at least one hour.")
    mine = (Invitation.participant_id == participant_id if participant_id is not None
            else Invitation.user_id == user_id)
    unused = (mine, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
    replaced = list(session.scalars(select(Invitation.id).where(*unused)))
    session.execute(update(Invitation).where(*unused).values(revoked_at=now))
    code = new_code()
    invitation = Invitation(participant_id=participant_id, user_id=user_id, token_hash=code_key(code),
                            created_by_id=actor.id, created_at=now, expires_at=now + timedelta(hours=hours))
    session.add(invitation)
    session.flush()
    invited = session.get(Participant, participant_id) if participant_id is not None else None
    case_id = invited.case_id if invited is not None else None
    reminders_arming.invitation_issued(session, invitation.id, invitation.expires_at, case_id=case_id,
                                       user_id=user_id, replaced=replaced)
    return code


def invite_participant(session: Session, actor: User, reference: str, *, participant_id: int, hours: int,
                       now: datetime | None = None) -> str:
    """The mediator invites a participant of their open case to the portal; returns the code to pass on."""
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES, action=Words("invite a participant"))
    participant = participant_of(case, participant_id)
    if participant.user_id is not None:
        raise InvalidInput("This participant already has a portal account.")
    now = now or utcnow()
    code = _issue(session, actor, now, hours, participant_id=participant.id)
    audit.record(session, AuditTag.INVITATION_CREATED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "hours": hours})
    return code


def invite_account(session: Session, actor: User, user_id: int, *, hours: int,
                   now: datetime | None = None) -> tuple[User, str]:
    """The coordinator asks for a staff account to be activated, or for a new password on it (a reset: the
    old password works until the person uses the code, then every session of the account ends); returns the
    account and the code to pass on to its person."""
    user = users.account_to_manage(session, actor, user_id,
                                   not_yourself=Words("Change your own password from your account page."))
    if user.role == Role.PARTICIPANT:
        raise InvalidInput("Participants are invited by their mediator, from their case.")
    if not user.is_active:
        raise InvalidInput("This account is deactivated.")
    now = now or utcnow()
    code = _issue(session, actor, now, hours, user_id=user.id)
    audit.record(session, AuditTag.USER_INVITED, actor=actor, now=now, details={"user_id": user.id})
    return user, code


def invite_to_programme_account(session: Session, actor: User, user_id: int, *, hours: int,
                                now: datetime | None = None) -> str:
    """An invitation to an account another programme's service has vouched for (a circle's core member): the
    caller checked that ``actor`` may invite this person. Returns the code to pass on to them."""
    now = now or utcnow()
    code = _issue(session, actor, now, hours, user_id=user_id)
    audit.record(session, AuditTag.USER_INVITED, actor=actor, now=now, details={"user_id": user_id})
    return code


def create_account(session: Session, actor: User, *, username: str, display_name: str, role: str,
                   hours: int) -> tuple[User, str]:
    """The coordinator creates a staff, mediator or coordinator account without a password, and its
    invitation; returns the account and the code to pass on to its person."""
    require_role(actor, Role.ADMIN)
    if role == Role.PARTICIPANT:
        raise InvalidInput("Participants join through an invitation from their mediator.")
    user = users.create_user(session, actor, username=username, display_name=display_name, role=role,
                             password=None)
    return invite_account(session, actor, user.id, hours=hours)


@dataclass(frozen=True)
class PendingInvitation:
    """What the activation page needs to know about a valid invitation."""

    key: str  # the code's hash: what the browser's session keeps between the two steps of activation
    for_participant: bool
    username: str | None  # an existing account's (staff, or a reset); a participant chooses theirs
    display_name: str | None
    resets_password: bool


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=like.tzinfo)


def _open(session: Session, key: str, now: datetime, *, lock: bool = False,
          ) -> tuple[Invitation, Participant | None, User | None]:
    """The invitation behind ``key`` and the person it is for, if it can still be used; InvitationRefused
    otherwise. With ``lock`` (to use it), two activations with the same code run one after the other (PostgreSQL;
    SQLite's writers already do), so the second sees the code used."""
    query = select(Invitation).where(Invitation.token_hash == key)
    invitation = session.scalars(query.with_for_update() if lock else query).first()
    if invitation is None or invitation.used_at is not None:
        raise InvitationRefused(Refusal.NOT_VALID)
    if invitation.revoked_at is not None:
        raise InvitationRefused(Refusal.REPLACED)
    if _aware(invitation.expires_at, now) < now:
        raise InvitationRefused(Refusal.EXPIRED)
    if invitation.participant_id is not None:
        participant = session.get(Participant, invitation.participant_id)
        if participant is None or participant.user_id is not None:
            raise InvitationRefused(Refusal.NOT_VALID)
        if participant.case.state not in OPEN_STATES:
            raise InvitationRefused(Refusal.CASE_CLOSED)
        return invitation, participant, None
    user = session.get(User, invitation.user_id)
    if user is None or not user.is_active:
        raise InvitationRefused(Refusal.NOT_VALID)
    return invitation, None, user


def _describe(invitation: Invitation, user: User | None) -> PendingInvitation:
    return PendingInvitation(invitation.token_hash, user is None, user.username if user else None,
                             user.display_name if user else None, bool(user and user.is_activated))


def redeem(session: Session, code: str) -> PendingInvitation:
    """Check a code typed on the activation page (nothing is used up yet)."""
    if not code.strip():
        raise InvalidInput("Enter the invitation code you were given.")
    invitation, _, user = _open(session, code_key(code), utcnow())
    return _describe(invitation, user)


def pending(session: Session, key: str) -> PendingInvitation:
    """Check again, by its key, an invitation whose code this browser already gave."""
    invitation, _, user = _open(session, key, utcnow())
    return _describe(invitation, user)


def normalise_stem(stem: str) -> str:
    return stem.strip().lower()


def check_stem(stem: str) -> str:
    """The start of a participant's username, as they chose it; raises InvalidInput when malformed."""
    stem = normalise_stem(stem)
    if not USERNAME_STEM.match(stem):
        raise InvalidInput("Choose a username of 3 to 60 characters: lowercase letters, digits, dots, dashes, "
                           "underscores.")
    return stem


def _unique_username(session: Session, stem: str) -> str:
    """``stem`` and a random ending, so the answer never depends on whether someone else chose ``stem``."""
    for _ in range(50):
        candidate = f"{stem}-{''.join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(4))}"
        if not users.username_taken(session, candidate):
            return candidate
    raise Conflict("No free username could be made from this one; try another.")


def pseudonym() -> str:
    """The name a participant's account shows: no real name on the account itself."""
    return f"Participant {''.join(secrets.choice(_HANDLE_ALPHABET) for _ in range(4))}"


def activate_participant(session: Session, vault: Vault, key: str, *, username_stem: str, name: str,
                         password: NewPassword) -> User:
    """Create a participant's portal account from their invitation; the code then stops working.

    The username is the chosen ``username_stem`` with a random ending (so nobody learns which names are taken);
    the account shows a pseudonym, and the name they gave is sealed for their mediator only.
    """
    now = utcnow()
    invitation, participant, _ = _open(session, key, now, lock=True)
    if participant is None:  # a staff account's invitation: activate_account is its way
        raise InvitationRefused(Refusal.NOT_VALID)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("Give a name of 1 to %(limit)s characters.", limit=MAX_NAME)
    audit.lock_case_row(session, participant.case_id)  # the one lock order: the case row before any chain head
    user = users.create_user(session, None, username=_unique_username(session, check_stem(username_stem)),
                             display_name=pseudonym(), role=Role.PARTICIPANT.value, password=password,
                             anonymous_role="invitee", organisation_id=participant.case.organisation_id)
    participant.user_id = user.id
    participant_names.seal_name(session, vault, participant, name)
    invitation.used_at = now
    reminders_arming.invitation_used(session, invitation.id)
    audit.record(session, AuditTag.ACCOUNT_ACTIVATED, actor=user, now=now, case=participant.case,
                 details={"participant_id": participant.id, "user_id": user.id})
    return user


def activate_account(session: Session, key: str, *, password: NewPassword) -> User:
    """A staff account's person sets its password from their invitation; every session of the account ends
    (after a reset, whoever still used the old password is signed out)."""
    now = utcnow()
    invitation, _, user = _open(session, key, now, lock=True)
    if user is None:
        raise InvitationRefused(Refusal.NOT_VALID)
    reset = user.is_activated
    user.password_hash = password.hash
    invitation.used_at = now
    reminders_arming.invitation_used(session, invitation.id)
    end_all_sessions(session, user.id)
    audit.record(session, AuditTag.USER_ACTIVATED, actor=user, now=now,
                 details={"user_id": user.id, "reset": reset})
    return user
