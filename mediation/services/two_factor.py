"""Two-factor sign-in: a TOTP code (pyotp) after the password, and single-use recovery codes for a lost phone.

- The TOTP secret is sealed at rest under the keyring's active KEK (``mediation/crypto/account_secrets.py``);
  recovery codes are kept only as Argon2id hashes and each works once.
- A code cannot be replayed: the time step of the last accepted code is stored, and a code for that step or an
  earlier one is refused. One step either side of now is accepted, for phones whose clock drifts.
- Wrong codes are counted per account, like wrong passwords: after MAX_FAILED_CODES in a row every code is
  refused for CODE_LOCKOUT, with the same answer. Functions that check a code therefore return a result instead
  of raising, so the count commits with the refusal.
- After the password, ``start_sign_in`` hands out a single-use attempt token for the password-accepted marker
  and keeps only its hash: only the latest marker of an account works, and only until it is spent by signing
  in (a session cookie can be copied; this row cannot).
- Every function acts on the account whose id the caller took from its own signed session (the
  password-accepted marker, or the signed-in user), never on an id from a form; only the coordinator's ``reset``
  names another account, and it checks the role.

Enrolling, turning off, using a recovery code, making new ones and the coordinator's reset are audited on the
system chain, with ids and counts only, never a secret or a code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
from pyotp import OTPVerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.account_secrets import open_account_secret, seal_account_secret
from mediation.crypto.keyring import FIRST_ORGANISATION, Keyrings
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import RecoveryCode, Role, TwoFactorCredential, User
from mediation.passwords import hash_random_code, verify_password
from mediation.policy import require_role
from mediation.services import accounts
from mediation.services.organisations import account_in
from workflows.errors import DomainError

PURPOSE = "totp-secret"  # bound into the sealed secret's associated data
ISSUER = "Restorative Opportunities"  # what authenticator apps show above the code
DRIFT_STEPS = 1  # accept the previous and the next 30-second step too
MAX_FAILED_CODES = 5
CODE_LOCKOUT = timedelta(minutes=15)
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/i/l: easy to read and type
RECOVERY_CODE_LENGTH = 10  # about 50 bits each
_TOTP_CODE = re.compile(r"\d{6}")
_RECOVERY_CODE = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_CODE_LENGTH}}}")


class SecondStep(StrEnum):
    """What follows an accepted password."""

    NONE = "none"  # no second factor: sign in now
    CODE = "code"  # two-factor is on: ask for a code
    ENROL = "enrol"  # the role requires it and it is not on yet: enrol before reaching anything


class SignInExpired(DomainError):
    """The password-accepted marker was spent, replaced by a newer sign-in, or its account changed."""


@dataclass(frozen=True)
class SignInStep:
    step: SecondStep
    attempt: str | None = None  # for the marker: the single-use token of this sign-in (only its hash is kept)


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, shown as text for people who type it into their app
    uri: str  # the otpauth:// URI the QR code carries


@dataclass(frozen=True)
class Enrolled:
    user: User
    recovery_codes: list[str]  # shown once, never stored in clear


@dataclass(frozen=True)
class CodeCheck:
    """The answer to a code: the account when it was right, None whatever was wrong (never say which)."""

    user: User | None
    recovery_codes_left: int | None = None  # set when a recovery code was used


@dataclass(frozen=True)
class Status:
    on: bool
    required: bool  # the role requires it: it cannot be turned off
    recovery_codes_left: int


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=like.tzinfo)


def _account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("No such account.")
    return user


def _credential(session: Session, user_id: int, *, lock: bool = False) -> TwoFactorCredential | None:
    """The account's credential; ``lock`` serialises checks of the same account (replays, single use)."""
    query = select(TwoFactorCredential).where(TwoFactorCredential.user_id == user_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def _secret(keyring: Keyrings, credential: TwoFactorCredential) -> str:
    return open_account_secret(keyring.holding(credential.kek_id), PURPOSE, credential.user_id, credential.kek_id,
                               credential.sealed_secret).decode("ascii")


def _normalise(code: str) -> str:
    """What people type: spaces and dashes anywhere, any case."""
    return "".join(code.split()).replace("-", "").lower()[:64]


def _totp_step(keyring: Keyrings, credential: TwoFactorCredential, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to, within the drift window, or None."""
    if not _TOTP_CODE.fullmatch(code):
        return None
    try:
        return pyotp.TOTP(_secret(keyring, credential)).verify_and_get_timecode(code, for_time=now,
                                                                                valid_window=DRIFT_STEPS)
    except OTPVerificationError:
        return None


def required_for(user: User, required_roles: Collection[str]) -> bool:
    return user.role in required_roles


def _digest(attempt: str) -> str:
    return hashlib.sha256(attempt.encode()).hexdigest()


def start_sign_in(session: Session, keyring: Keyrings, user_id: int, *, required_roles: Collection[str],
                  now: datetime | None = None) -> SignInStep:
    """What the person whose password was just accepted must do before they are signed in.

    For a second step, a new attempt token replaces any earlier one; enrolment gets a new secret too.
    """
    credential = _credential(session, user_id, lock=True)
    if credential is not None and credential.is_on:
        step = SecondStep.CODE
    elif required_for(_account(session, user_id), required_roles):
        step, credential = SecondStep.ENROL, _new_pending_secret(session, keyring, user_id, credential, now)
    else:
        return SignInStep(SecondStep.NONE)
    attempt = secrets.token_urlsafe(32)
    credential.sign_in_attempt = _digest(attempt)
    return SignInStep(step, attempt)


def _attempt(session: Session, user_id: int, attempt: str) -> TwoFactorCredential:
    """The credential whose current sign-in attempt this is; anything else has expired."""
    credential = _credential(session, user_id, lock=True)
    user = session.get(User, user_id)
    if (credential is None or credential.sign_in_attempt is None or user is None or not user.is_active
            or not hmac.compare_digest(credential.sign_in_attempt, _digest(attempt))):
        raise SignInExpired("This sign-in has expired. Please enter your username and password again.")
    return credential


def _new_pending_secret(session: Session, keyring: Keyrings, user_id: int, credential: TwoFactorCredential | None,
                        now: datetime | None) -> TwoFactorCredential:
    """A new secret, pending until a code from it is confirmed; replaces an earlier pending one."""
    now = now or utcnow()
    organisation_id = session.scalar(select(User.organisation_id).where(User.id == user_id))
    kek_id, sealed = seal_account_secret(keyring.of(organisation_id or FIRST_ORGANISATION), PURPOSE, user_id,
                                         pyotp.random_base32().encode("ascii"))
    if credential is None:
        credential = TwoFactorCredential(user_id=user_id, kek_id=kek_id, sealed_secret=sealed, created_at=now,
                                         failed_codes=0)
        session.add(credential)
    else:
        credential.kek_id, credential.sealed_secret, credential.created_at = kek_id, sealed, now
        credential.last_step, credential.failed_codes, credential.locked_until = None, 0, None
    return credential


def begin_enrolment(session: Session, keyring: Keyrings, user_id: int, *, now: datetime | None = None) -> None:
    """Start turning two-factor on from the account page: a new secret, pending until confirmed.

    A new one each time: a secret shown to an earlier sign-in (perhaps someone else's, with a stolen password)
    is never the one that ends up enrolled.
    """
    _account(session, user_id)
    credential = _credential(session, user_id, lock=True)
    if credential is not None and credential.is_on:
        raise InvalidInput("Two-factor sign-in is already on for this account.")
    _new_pending_secret(session, keyring, user_id, credential, now)


def _pending(session: Session, user_id: int, *, lock: bool = False) -> TwoFactorCredential:
    credential = _credential(session, user_id, lock=lock)
    if credential is None or credential.is_on:
        raise InvalidInput("There is no two-factor set-up in progress for this account; start it again.")
    return credential


def _enrolment(session: Session, keyring: Keyrings, credential: TwoFactorCredential) -> Enrolment:
    user = _account(session, credential.user_id)
    secret = _secret(keyring, credential)
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER))


def pending_enrolment(session: Session, keyring: Keyrings, user_id: int) -> Enrolment:
    """The pending secret, to show as a QR code and as text to the signed-in person enrolling."""
    return _enrolment(session, keyring, _pending(session, user_id))


def sign_in_enrolment(session: Session, keyring: Keyrings, user_id: int, attempt: str) -> Enrolment:
    """The same, for someone whose role requires enrolling before they are signed in."""
    credential = _attempt(session, user_id, attempt)
    if credential.is_on:
        raise SignInExpired("Two-factor sign-in is already on for this account. Please sign in again.")
    return _enrolment(session, keyring, credential)


def _confirm(session: Session, keyring: Keyrings, credential: TwoFactorCredential, code: str,
             now: datetime) -> Enrolled | None:
    step = _totp_step(keyring, credential, _normalise(code), now)
    if step is None:
        return None
    user = _account(session, credential.user_id)
    credential.confirmed_at, credential.last_step, credential.sign_in_attempt = now, step, None
    codes = _new_recovery_codes(session, user.id, now)
    audit.record(session, AuditTag.TWO_FACTOR_ENABLED, actor=user, now=now, details={"user_id": user.id})
    return Enrolled(user, codes)


def confirm_enrolment(session: Session, keyring: Keyrings, user_id: int, code: str, *,
                      now: datetime | None = None) -> Enrolled | None:
    """Turn two-factor on once a code from the pending secret shows the person's app holds it.

    Returns the account and its recovery codes (to show once and never again), or None when the code is wrong.
    """
    _account(session, user_id)
    return _confirm(session, keyring, _pending(session, user_id, lock=True), code, now or utcnow())


def confirm_sign_in_enrolment(session: Session, keyring: Keyrings, user_id: int, attempt: str, code: str, *,
                              now: datetime | None = None) -> Enrolled | None:
    """The same, as the second step of signing in; spends the attempt when it succeeds."""
    credential = _attempt(session, user_id, attempt)
    if credential.is_on:
        raise SignInExpired("Two-factor sign-in is already on for this account. Please sign in again.")
    return _confirm(session, keyring, credential, code, now or utcnow())


def _new_recovery_codes(session: Session, user_id: int, now: datetime) -> list[str]:
    """Replace the account's recovery codes; returns them grouped for reading (``abcde-fghjk``)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=hash_random_code(code), created_at=now) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _unused_recovery_codes(session: Session, user_id: int) -> list[RecoveryCode]:
    return list(session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                           RecoveryCode.used_at.is_(None))))


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> int | None:
    """Spend the matching unused recovery code; returns how many remain, or None if none matched."""
    if not _RECOVERY_CODE.fullmatch(code):
        return None  # not even the shape of one: no Argon2 work for junk
    unused = _unused_recovery_codes(session, user.id)
    match = next((row for row in unused if verify_password(row.code_hash, code)), None)
    if match is None:
        return None
    match.used_at = now
    left = len(unused) - 1
    audit.record(session, AuditTag.RECOVERY_CODE_USED, actor=user, now=now,
                 details={"user_id": user.id, "recovery_codes_left": left})
    return left


def _check(session: Session, keyring: Keyrings, user: User, credential: TwoFactorCredential, code: str, *,
           now: datetime) -> CodeCheck:
    """Accept a fresh TOTP code or an unused recovery code; count everything else as a failure."""
    if credential.locked_until is not None and _aware(credential.locked_until, now) > now:
        return CodeCheck(None)
    typed = _normalise(code)
    step = _totp_step(keyring, credential, typed, now)
    if step is not None and (credential.last_step is None or step > credential.last_step):
        credential.last_step, credential.failed_codes = step, 0
        return CodeCheck(user)
    left = None if step is not None else _use_recovery_code(session, user, typed, now)
    if left is not None:
        credential.failed_codes = 0
        return CodeCheck(user, recovery_codes_left=left)
    credential.failed_codes += 1
    if credential.failed_codes >= MAX_FAILED_CODES:
        credential.failed_codes, credential.locked_until = 0, now + CODE_LOCKOUT
    return CodeCheck(None)


def verify_sign_in(session: Session, keyring: Keyrings, user_id: int, attempt: str, code: str, *,
                   now: datetime | None = None) -> CodeCheck:
    """The second step of signing in; a right code spends the attempt (raises SignInExpired if it is not current)."""
    credential = _attempt(session, user_id, attempt)
    user = _account(session, user_id)
    if not credential.is_on:
        raise SignInExpired("Two-factor sign-in was reset for this account. Please sign in again.")
    check = _check(session, keyring, user, credential, code, now=now or utcnow())
    if check.user is not None:
        credential.sign_in_attempt = None
    return check


def _enabled(session: Session, user_id: int) -> TwoFactorCredential:
    credential = _credential(session, user_id, lock=True)
    if credential is None or not credential.is_on:
        raise InvalidInput("Two-factor sign-in is not on for this account.")
    return credential


def _remove(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(TwoFactorCredential).where(TwoFactorCredential.user_id == user_id))


def disable(session: Session, keyring: Keyrings, user_id: int, code: str, *, required_roles: Collection[str],
            now: datetime | None = None) -> bool:
    """Turn two-factor off with a current code, for a role that does not require it. False: the code was wrong."""
    now = now or utcnow()
    user = _account(session, user_id)
    if required_for(user, required_roles):
        raise InvalidInput("Two-factor sign-in is required for your role; it cannot be turned off.")
    if _check(session, keyring, user, _enabled(session, user_id), code, now=now).user is None:
        return False
    _remove(session, user.id)
    audit.record(session, AuditTag.TWO_FACTOR_DISABLED, actor=user, now=now, details={"user_id": user.id})
    return True


def regenerate_recovery_codes(session: Session, keyring: Keyrings, user_id: int, code: str, *,
                              now: datetime | None = None) -> list[str] | None:
    """New recovery codes (the old ones stop working), with a current code. None: the code was wrong."""
    now = now or utcnow()
    user = _account(session, user_id)
    if _check(session, keyring, user, _enabled(session, user_id), code, now=now).user is None:
        return None
    codes = _new_recovery_codes(session, user.id, now)
    audit.record(session, AuditTag.RECOVERY_CODES_REGENERATED, actor=user, now=now, details={"user_id": user.id})
    return codes


def reset(session: Session, actor: User | None, user_id: int, *, now: datetime | None = None) -> User:
    """The coordinator (or the operator at the command line, ``actor`` None) removes an account's two-factor
    sign-in, e.g. after a lost phone; the person enrols again at their next sign-in if their role requires it."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    # The coordinator reaches only their organisation's accounts; another's answers like a missing one.
    user = session.get(User, user_id) if actor is None else account_in(session, actor.organisation_id, user_id)
    if user is None:
        raise NotFound("No such account.")
    if actor is not None and user.id == actor.id:
        raise InvalidInput("You cannot reset your own two-factor sign-in: use a recovery code, or ask another "
                           "coordinator.")
    if _credential(session, user_id, lock=True) is None:
        raise InvalidInput("This account has no two-factor sign-in to reset.")
    _remove(session, user.id)
    accounts.end_all_sessions(session, user.id)  # a lost phone may still hold a signed-in session
    now = now or utcnow()
    audit.record(session, AuditTag.TWO_FACTOR_RESET, actor=actor, now=now, anonymous_role="operator",
                 details={"user_id": user.id})
    return user


def reset_by_username(session: Session, username: str) -> User:
    """The operator's reset at the command line (e.g. the only coordinator lost their phone)."""
    user_id = session.scalar(select(User.id).where(User.username == username.strip().lower()))
    if user_id is None:
        raise NotFound("There is no account %(username)s.", username=repr(username))
    return reset(session, None, user_id)


def status(session: Session, user_id: int, *, required_roles: Collection[str]) -> Status:
    """What the account page shows: on or off, required or not, how many recovery codes remain."""
    user = _account(session, user_id)
    credential = _credential(session, user_id)
    on = credential is not None and credential.is_on
    return Status(on=on, required=required_for(user, required_roles),
                  recovery_codes_left=len(_unused_recovery_codes(session, user_id)) if on else 0)


def enrolled_user_ids(session: Session, actor: User) -> frozenset[int]:
    """The accounts of the coordinator's organisation with two-factor on, for their list of accounts."""
    require_role(actor, Role.ADMIN)
    return frozenset(session.scalars(select(TwoFactorCredential.user_id)
                                     .join(User, User.id == TwoFactorCredential.user_id)
                                     .where(TwoFactorCredential.confirmed_at.is_not(None),
                                            User.organisation_id == actor.organisation_id)))


# Key management: sealed secrets follow the keyring like the cases' data keys do.

def reseal_batch(session: Session, keyring: Keyrings, *, limit: int = 500) -> int:
    """Reseal up to ``limit`` TOTP secrets not yet under their organisation's active KEK."""
    rows = list(session.scalars(select(TwoFactorCredential)
                                .where(TwoFactorCredential.kek_id.not_in(sorted(keyring.actives)))
                                .order_by(TwoFactorCredential.user_id).limit(limit).with_for_update()))
    for credential in rows:
        credential.kek_id, credential.sealed_secret = seal_account_secret(
            keyring.holding(credential.kek_id), PURPOSE, credential.user_id,
            _secret(keyring, credential).encode("ascii"))
    return len(rows)


def check_all_open(session: Session, keyring: Keyrings) -> int:
    """Open every sealed secret with the current keyring, so a rotation never starts on a broken one."""
    rows = list(session.scalars(select(TwoFactorCredential)))
    for credential in rows:
        _secret(keyring, credential)
    return len(rows)


def secrets_by_kek(session: Session) -> dict[str, int]:
    """How many TOTP secrets each KEK seals."""
    rows = session.execute(select(TwoFactorCredential.kek_id, func.count()).group_by(TwoFactorCredential.kek_id))
    return {kek_id: count for kek_id, count in rows}
