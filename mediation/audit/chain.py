"""Append hash-chained audit entries. Each entry's hash covers its content and the previous entry's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit.tags import AuditTag
from mediation.models import SYSTEM_CHAIN, AuditEntry, Case, User, case_chain

GENESIS_HASH = "0" * 64


def canonical_time(moment: datetime) -> str:
    """One text form per instant, whatever the database hands back (SQLite drops the zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_details(details: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(details or {}), sort_keys=True, separators=(",", ":"))


def entry_hash(entry: AuditEntry) -> str:
    """The SHA-256 of the entry's content and its predecessor's hash, in a fixed canonical form."""
    content = [
        entry.chain, entry.seq, entry.case_id, canonical_time(entry.occurred_at), entry.actor_id, entry.actor_role,
        entry.tag, entry.from_state, entry.to_state, entry.reason, entry.details, entry.prev_hash,
    ]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def _system_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(AuditEntry.chain == SYSTEM_CHAIN).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def record(
    session: Session,
    tag: AuditTag,
    *,
    actor: User | None,
    now: datetime,
    case: Case | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    anonymous_role: str = "public",
) -> AuditEntry:
    """Add the next entry of the case's chain (or the system chain) to the session; the caller commits.

    Details hold ids and codes only, never personal data. A case must already have its id (flush first).
    Without an actor, the entry names ``anonymous_role``: the public (intake) or the server's operator (CLI).
    """
    if case is not None:
        chain, seq, prev = case_chain(case.id), case.audit_head_seq + 1, case.audit_head_hash or GENESIS_HASH
    else:
        head_seq, prev = _system_head(session)
        chain, seq = SYSTEM_CHAIN, head_seq + 1
    entry = AuditEntry(
        chain=chain, seq=seq, case_id=case.id if case is not None else None, occurred_at=now,
        actor_id=actor.id if actor is not None else None,
        actor_role=actor.role if actor is not None else anonymous_role,
        tag=tag.value, from_state=from_state, to_state=to_state, reason=reason,
        details=canonical_details(details), prev_hash=prev,
    )
    entry.entry_hash = entry_hash(entry)
    if case is not None:
        case.audit_head_seq, case.audit_head_hash, case.updated_at = seq, entry.entry_hash, now
    session.add(entry)
    return entry
