"""Walk every audit chain and report the first entry of each that was altered, removed or reordered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit.chain import GENESIS_HASH, entry_hash
from mediation.models import SYSTEM_CHAIN, AuditChainHead, AuditEntry, Case, case_chain


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


@dataclass
class AuditReport:
    chains_checked: int = 0
    entries_checked: int = 0
    problems: list[str] = field(default_factory=list)
    heads: dict[str, ChainHead] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return not self.problems


def _chains(session: Session) -> Iterator[tuple[str, list[AuditEntry]]]:
    """Yield each chain's entries in sequence order, streaming so memory stays bounded per chain."""
    rows = session.execute(
        select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq).execution_options(yield_per=2000)
    ).scalars()
    current: str | None = None
    batch: list[AuditEntry] = []
    for entry in rows:
        if entry.chain != current:
            if current is not None:
                yield current, batch
            current, batch = entry.chain, []
        batch.append(entry)
    if current is not None:
        yield current, batch


def _label(chain: str, references: Mapping[int, str]) -> str:
    """How a chain is named to a person: the case reference where there is one."""
    kind, _, number = chain.partition(":")
    if kind in {"case", "content"} and number.isdigit():
        case = f"case {references.get(int(number), f'#{number} (deleted)')}"
        return case if kind == "case" else f"content log of {case}"
    return "system log" if chain == SYSTEM_CHAIN else chain


def _first_problem(label: str, entries: list[AuditEntry]) -> str | None:
    expected_prev, previous_id = GENESIS_HASH, None
    for position, entry in enumerate(entries, start=1):
        where = f"{label}: entry #{entry.seq} (row {entry.id})"
        if entry.seq != position:
            return f"{label}: entry #{position} is missing: it was deleted or the chain was renumbered"
        if entry_hash(entry) != entry.entry_hash:
            return f"{where} was altered: its content no longer matches its hash"
        if entry.prev_hash != expected_prev:
            return f"{where} does not follow entry #{position - 1}: an entry was replaced or reordered"
        if previous_id is not None and entry.id < previous_id:
            return f"{where} was written before entry #{position - 1}: the entries were reordered"
        expected_prev, previous_id = entry.entry_hash, entry.id
    return None


def _against_checkpoint(label: str, entries: list[AuditEntry], then: ChainHead) -> str | None:
    if len(entries) < then.seq:
        return f"{label}: the chain was cut short: {then.seq} entries at the checkpoint, {len(entries)} now"
    if entries[then.seq - 1].entry_hash != then.hash:
        return f"{label}: entry #{then.seq} differs from the checkpoint: history was rewritten"
    return None


def verify_audit_log(session: Session, checkpoint: Mapping[str, ChainHead] | None = None) -> AuditReport:
    """Check every chain, each case's recorded head, and, given a checkpoint, that no history was rewritten."""
    checkpoint = checkpoint or {}
    references = dict(session.execute(select(Case.id, Case.reference)).all())
    recorded_heads = {case_chain(cid): (seq, h) for cid, seq, h in
                      session.execute(select(Case.id, Case.audit_head_seq, Case.audit_head_hash)).all()}
    recorded_heads |= {chain: (seq, h) for chain, seq, h in
                       session.execute(select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.entry_hash))}
    report = AuditReport()
    for chain, entries in _chains(session):
        label = _label(chain, references)
        report.chains_checked += 1
        report.entries_checked += len(entries)
        last = entries[-1]
        report.heads[chain] = ChainHead(last.seq, last.entry_hash)
        recorded = recorded_heads.get(chain)
        problem = _first_problem(label, entries)
        if problem is None and chain in checkpoint:
            problem = _against_checkpoint(label, entries, checkpoint[chain])
        if problem is None and recorded is not None and recorded != (last.seq, last.entry_hash):
            problem = (f"{label}: the chain ends at entry #{last.seq} but its recorded head is entry #{recorded[0]}: "
                       "entries were removed from the end or rewritten")
        if problem:
            report.problems.append(problem)
    missing: set[str] = set()
    for chain, (seq, _) in recorded_heads.items():
        if seq and chain not in report.heads:
            report.problems.append(f"{_label(chain, references)}: all {seq} audit entries are missing")
            missing.add(chain)
    for chain, then in checkpoint.items():
        if chain not in report.heads and chain not in missing:
            report.problems.append(f"{_label(chain, references)}: held {then.seq} entries at the checkpoint and "
                                   "is now gone")
    return report
