"""Append-only audit entries, hash-chained per case. The database refuses UPDATE and DELETE on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base

SYSTEM_CHAIN = "system"


def case_chain(case_id: int) -> str:
    """Workflow events of a case: transitions, assignments, assessments. Its head lives on the case row."""
    return f"case:{case_id}"


def content_chain(case_id: int) -> str:
    """Content events of a case: messages, notes, contact details and every decryption for display.

    A separate chain, so reading a message never changes the case's version under a mediator's open form.
    """
    return f"content:{case_id}"


def organisation_chain(organisation_id: int) -> str:
    """Events an organisation keeps about its side of what crosses the wall (referrals): each side of a
    referral audits every step in its own chain, so neither depends on the other's log."""
    return f"organisation:{organisation_id}"


class AuditChainHead(Base):
    """The head of every chain not kept on a case row (the system chain, each case's content chain)."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column()
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column()
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON of ids and codes only
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
