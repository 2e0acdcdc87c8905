"""Where a harmed person's request stands, for the person who sent it, without an account.

The answer page shows a receipt code and, once, a status secret. With both, the public "check my request" page
says one thing in plain words: received, being looked at by a mediator, or closed. Nothing else: no name, no
case reference, no content. A wrong code or secret gets the same answer as a receipt that does not exist.

The secret is 100 random bits, so it is kept as a plain SHA-256 (with a purpose prefix): nobody can search
2^100 candidates, so a slow password hash (Argon2) would buy nothing but cost on every check. The comparison
is constant-time, and done even when no receipt matches, so the time taken does not tell the two apart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.models import Case, HeldRequest, RequestStatus
from mediation.models.held_request import RECEIPT_ALPHABET
from workflows.vocabulary import CaseState

SECRET_GROUPS = 5
SECRET_GROUP_LENGTH = 4  # 20 characters of 32: 100 bits
_RECEIPT = re.compile(r"HR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
_SECRET = re.compile(f"[{RECEIPT_ALPHABET}]{{{SECRET_GROUPS * SECRET_GROUP_LENGTH}}}")
_SEPARATORS = re.compile(r"[\s-]")
_NOBODY = hashlib.sha256(b"rj-request-status|no such receipt").hexdigest()


class Standing(StrEnum):
    """What the requester is told, and nothing more."""

    RECEIVED = "received"
    WITH_MEDIATOR = "with_mediator"
    CLOSED = "closed"


def new_secret() -> str:
    """A status secret like 7KQ2-M9XD-4TPA-Z3W8-HN6C (Crockford base 32: nothing to misread on the phone)."""
    groups = ("".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(SECRET_GROUP_LENGTH))
              for _ in range(SECRET_GROUPS))
    return "-".join(groups)


def _normal(secret: str) -> str:
    return _SEPARATORS.sub("", secret).upper()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(b"rj-request-status|" + _normal(secret).encode("ascii", "replace")).hexdigest()


def _standing(held: HeldRequest, case: Case | None) -> Standing:
    if held.status == RequestStatus.DISMISSED or (case is not None and case.state == CaseState.CLOSED):
        return Standing.CLOSED
    if case is not None and (case.assigned_mediator_id is not None or case.state != CaseState.REQUESTED):
        return Standing.WITH_MEDIATOR
    return Standing.RECEIVED


def request_standing(session: Session, receipt_code: object, secret: object) -> Standing | None:
    """Where the request stands, or None when the receipt code and secret do not match one (whatever the reason)."""
    receipt = _SEPARATORS.sub("", str(receipt_code or "")).upper()[:40]
    receipt = f"HR-{receipt[2:6]}-{receipt[6:10]}-{receipt[10:]}" if receipt.startswith("HR") else receipt
    given = _normal(str(secret or ""))[:60]
    held = None
    if _RECEIPT.fullmatch(receipt) and _SECRET.fullmatch(given):
        held = session.scalars(select(HeldRequest).where(HeldRequest.receipt_code == receipt)).one_or_none()
    stored = held.status_secret_hash if held is not None and held.status_secret_hash else _NOBODY
    matches = hmac.compare_digest(stored, secret_hash(given))
    if held is None or not matches:
        return None
    case = session.get(Case, held.case_id) if held.case_id is not None else None
    return _standing(held, case)
