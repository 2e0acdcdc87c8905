"""Every step of a referral audited on both sides: an entry in each organisation's own chain.

A referral crosses the wall between two organisations, so each keeps its own record of it, and neither's audit
depends on the other's. Details are ids and codes, never a shared value or a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.models import Referral, User


def both_sides(session: Session, referral: Referral, tag: AuditTag, actor: User | None, now: datetime, *,
               details: Mapping[str, Any] | None = None, **fields: Any) -> None:
    """The same entry in the referring and the receiving organisation's chains (in increasing id: one order)."""
    for organisation_id in sorted({referral.referring_organisation_id, referral.receiving_organisation_id}):
        one_side(session, organisation_id, referral, tag, actor=actor, now=now, details=details, **fields)


def one_side(session: Session, organisation_id: int, referral: Referral, tag: AuditTag, *, actor: User | None,
             now: datetime, details: Mapping[str, Any] | None = None, **fields: Any) -> None:
    """An entry in one organisation's chain only (e.g. the referring side reading what it wrote)."""
    audit.record_organisation(session, tag, organisation_id=organisation_id, actor=actor, now=now,
                              details={"referral_id": referral.id, **(details or {})}, **fields)
