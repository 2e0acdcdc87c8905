"""Append hash-chained audit entries. Each entry's hash covers its content and the previous entry's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from mediation.audit.tags import AuditTag
from mediation.db import table
from mediation.models import SYSTEM_CHAIN, AuditEntry, User, case_chain, content_chain, organisation_chain
from mediation.services import reminders_arming
from workflows.programmes import VICTIM_OFFENDER_MEDIATION

GENESIS_HASH = "0" * 64
HASHED_FIELDS = ("chain", "seq", "case_id", "occurred_at", "actor_id", "actor_role", "tag", "from_state",
                 "to_state", "reason", "details", "prev_hash")
INSERT_ENTRY = insert(table("audit_entries"))


class ChainHolder(Protocol):
    """A case as the audit log sees it: the head of its chain lives on the case row."""

    id: int
    state: str
    audit_head_seq: int
    audit_head_hash: str | None
    updated_at: datetime


def canonical_time(moment: datetime) -> str:
    """One text form per instant, whatever the database hands back (SQLite drops the zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_details(details: Mapping[str, Any] | None) -> str:
    if not details:
        return "{}"
    return json.dumps(dict(details), sort_keys=True, separators=(",", ":"))


def digest(values: Mapping[str, Any]) -> str:
    """The SHA-256 of an entry's content and its predecessor's hash, in a fixed canonical form."""
    content = [canonical_time(values[f]) if f == "occurred_at" else values[f] for f in HASHED_FIELDS]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    """Recompute a stored entry's hash, to compare with the one it was written with."""
    return digest({field: getattr(entry, field) for field in HASHED_FIELDS})


def next_entry(
    tag: AuditTag,
    *,
    chain: str,
    head: tuple[int, str | None],
    actor: User | None,
    now: datetime,
    case_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    anonymous_role: str = "public",
) -> dict[str, Any]:
    """The column values of the entry after ``head`` = (seq, hash), its own hash included.

    Details hold ids and codes only, never personal data. Without an actor, the entry names ``anonymous_role``:
    the public (intake) or the server's operator (CLI).
    """
    values: dict[str, Any] = {
        "chain": chain, "seq": head[0] + 1, "case_id": case_id, "occurred_at": now,
        "actor_id": actor.id if actor is not None else None,
        "actor_role": actor.role if actor is not None else anonymous_role,
        "tag": tag.value, "from_state": from_state, "to_state": to_state, "reason": reason,
        "details": canonical_details(details), "prev_hash": head[1] or GENESIS_HASH,
    }
    values["entry_hash"] = digest(values)
    return values


def advance_case_head(case: ChainHolder, tag: AuditTag, **fields: Any) -> dict[str, Any]:
    """The next entry of ``case``'s chain; moves the head kept on the case row (the caller writes both)."""
    values = next_entry(tag, chain=case_chain(case.id), head=(case.audit_head_seq, case.audit_head_hash),
                        case_id=case.id, **fields)
    case.audit_head_seq, case.audit_head_hash = values["seq"], values["entry_hash"]
    case.updated_at = values["occurred_at"]
    return values


_HEADS = table("audit_chain_heads")
_READ_HEAD = select(_HEADS.c.seq, _HEADS.c.entry_hash).where(_HEADS.c.chain == bindparam("wanted")).with_for_update()
_MOVE_HEAD = update(_HEADS).where(_HEADS.c.chain == bindparam("wanted")).values(
    seq=bindparam("seq"), entry_hash=bindparam("entry_hash"))
_FIRST_HEAD = insert(_HEADS)


def _append_to_headed_chain(session: Session, tag: AuditTag, chain: str, **fields: Any) -> str:
    """Append to a chain whose head lives in audit_chain_heads, locking that row (SQLite: the write lock)."""
    connection = session.connection()
    row = connection.execute(_READ_HEAD, {"wanted": chain}).first()
    values = next_entry(tag, chain=chain, head=(row[0], row[1]) if row else (0, None), **fields)
    connection.execute(INSERT_ENTRY, values)
    head = {"seq": values["seq"], "entry_hash": values["entry_hash"]}
    if row is None:
        connection.execute(_FIRST_HEAD, {"chain": chain, **head})
    else:
        connection.execute(_MOVE_HEAD, {"wanted": chain, **head})
    return str(values["entry_hash"])


def record(session: Session, tag: AuditTag, *, case: ChainHolder | None = None, **fields: Any) -> str:
    """Write the next entry of the case's workflow chain (or the system chain) in the session's transaction.

    The case (ORM or record) must already have its id; its new head is flushed with it. Returns the entry hash.
    An entry on the case's chain is activity on the case: its stale-case timer starts again from now.
    """
    if case is None:
        return _append_to_headed_chain(session, tag, SYSTEM_CHAIN, **fields)
    values = advance_case_head(case, tag, **fields)
    session.connection().execute(INSERT_ENTRY, values)
    # Only mediation has the stale-case reminder; the hot path's record is always a mediation case.
    if getattr(case, "programme", VICTIM_OFFENDER_MEDIATION) == VICTIM_OFFENDER_MEDIATION:
        reminders_arming.case_activity(session, case.id, case.state, case.updated_at)
    return str(values["entry_hash"])


_CASES = table("cases")
# FOR NO KEY UPDATE: it serialises writers of the case, yet the foreign-key checks of rows that point at the case
# (an audit entry, a message) never wait on it, as they would on FOR UPDATE.
_LOCK_CASE = (select(_CASES.c.id).where(_CASES.c.id == bindparam("case_id"))
              .with_for_update(key_share=True))


def lock_case_row(session: Session, case_id: int) -> None:
    """Lock the case's row until the transaction ends (PostgreSQL; SQLite's write lock already covers it).

    The one lock order: a case row, then the chain heads. Every path that appends to a case's content chain
    comes here first (and so does a path that appends to the system chain before changing a case), so two
    transactions never hold one lock each while waiting for the other's.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_CASE, {"case_id": case_id})


def record_content(session: Session, tag: AuditTag, *, case_id: int, **fields: Any) -> str:
    """Write the next entry of the case's content chain: messages, notes, contact details, decryptions."""
    lock_case_row(session, case_id)
    return _append_to_headed_chain(session, tag, content_chain(case_id), case_id=case_id, **fields)


def record_organisation(session: Session, tag: AuditTag, *, organisation_id: int, **fields: Any) -> str:
    """Write the next entry of an organisation's own chain (its side of a referral), in the caller's transaction.

    A step that both sides audit appends to both chains; callers append in increasing organisation id, the one
    order, so two transactions never wait on each other's head.
    """
    return _append_to_headed_chain(session, tag, organisation_chain(organisation_id), **fields)
