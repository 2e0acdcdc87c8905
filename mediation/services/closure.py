"""Closing a completed case: a sealed closing summary, what becomes of every agreement item still open, and the
``close`` transition, in ONE transaction (a refusal anywhere leaves nothing half-written).

An open item is given its final status (completed, partly completed, not completed) or handed over, with a note
saying to whom and how it is followed after the case (the note is required then). The workflow's ``close``
guard (workflows.agreements.agreement_items_settled) refuses while any item is open, so the rule holds whoever
fires it. Declining and withdrawing close a case without a summary, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import AgreementItem, Case, CaseClosure, User
from mediation.models.content import new_record_id
from mediation.notifications import outbox
from mediation.policy import require_mediator_of
from mediation.services import workflow
from mediation.services.agreements import AgreementView, item_on, opened_agreement, settle
from mediation.services.lookup import find_case, require_state, require_version
from mediation.services.needs import checked_choice
from mediation.text import checked_text
from workflows.agreements import CLOSURE_DISPOSITIONS, AgreementItemStatus
from workflows.case_workflow import CLOSE_REASONS
from workflows.vocabulary import CaseState
from workflows.words import Words

MAX_SUMMARY = 10_000
MAX_NOTE = 5_000
DISPOSITIONS = tuple(d.value for d in CLOSURE_DISPOSITIONS)


@dataclass(frozen=True)
class Disposition:
    """What becomes of one open item at closure, as the form sent it (checked by ``close_case``)."""

    status: str | None
    note: str | None = None


@dataclass(frozen=True)
class ClosingForm:
    """What the closing form shows: the open items (their words opened for the mediator) and the reasons."""

    reference: str
    version: int
    agreement: AgreementView | None
    reasons: tuple[str, ...] = CLOSE_REASONS
    dispositions: tuple[str, ...] = DISPOSITIONS


def summary_context(closure: CaseClosure) -> RecordContext:
    return RecordContext(closure.case_id, "closure", closure.id, closure.closed_by_id, "summary")


def closing_form(session: Session, vault: Vault, actor: User, reference: str) -> ClosingForm:
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    require_state(case, (CaseState.CLOSING,), Words("close the case"))
    return ClosingForm(case.reference, case.version, opened_agreement(session, vault, actor, case,
                                                                      with_follow_up=False))


def _settle_open_items(session: Session, vault: Vault, case: Case, dispositions: Mapping[str, Disposition],
                       now: datetime) -> dict[str, int]:
    """Apply a disposition to every open item; refuse a missing one, an unknown one, or a handover without a note."""
    open_items = list(session.scalars(select(AgreementItem).where(
        AgreementItem.case_id == case.id, AgreementItem.status == AgreementItemStatus.OPEN.value)))
    for item_id in dispositions:
        if item_on(session, case, item_id).status != AgreementItemStatus.OPEN:
            raise InvalidInput("An agreement item in the form is no longer open; reload the closing form.")
    counts: dict[str, int] = {}
    for item in open_items:
        chosen = dispositions.get(item.id)
        if chosen is None:
            raise InvalidInput("Say what becomes of every open agreement item (%(count)s open).",
                               count=str(len(open_items)))
        status = checked_choice(chosen.status, DISPOSITIONS, Words("what becomes of the item"))
        note = checked_text(chosen.note, Words("note on the item"), MAX_NOTE)
        if status == AgreementItemStatus.HANDED_OVER and not note:
            raise InvalidInput("Say in the note to whom an item is handed over and how it will be followed.")
        settle(session, vault, item, status, note=note, now=now)
        counts[status] = counts.get(status, 0) + 1
    return counts


def close_case(session: Session, vault: Vault, actor: User, reference: str, *, summary: str | None,
               reason: str | None, dispositions: Mapping[str, Disposition] | None = None,
               expected_version: int | None = None) -> CaseClosure:
    """Seal the closing summary, settle the open items and fire ``close``: all of it or nothing."""
    words = checked_text(summary, Words("closing summary"), MAX_SUMMARY, required=True)
    chosen_reason = checked_choice(reason, CLOSE_REASONS, Words("reason for closing"))
    case = find_case(session, actor, reference, lock=True)
    require_mediator_of(actor, case)
    require_version(case, expected_version)
    require_state(case, (CaseState.CLOSING,), Words("close the case"))
    now = utcnow()
    counts = _settle_open_items(session, vault, case, dispositions or {}, now)
    closure = CaseClosure(case_id=case.id, id=new_record_id(), closed_by_id=actor.id, closed_at=now)
    closure.sealed_summary = vault.seal_text(session, summary_context(closure), words)
    session.add(closure)
    session.flush()  # the guard counts open items in this transaction, through the hot path's own query
    audit.record_content(session, AuditTag.CLOSING_SUMMARY_RECORDED, case_id=case.id, actor=actor, now=now,
                         details={"closure_id": closure.id, "items": counts})
    workflow.fire(session, actor, case.reference, "close", reason=chosen_reason)
    outbox.something_new_for_participants(session, [p.id for p in case.participants], f"case-closed:{closure.id}",
                                          now)
    return closure


def closing_summary(session: Session, vault: Vault, actor: User, reference: str) -> str | None:
    """The sealed closing summary, for the case's mediators only (never in a letter); the reading is audited."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    closure = session.get(CaseClosure, case.id)
    if closure is None:
        return None
    audit.record_content(session, AuditTag.CLOSING_SUMMARY_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"closure_id": closure.id})
    return vault.open_text(session, summary_context(closure), closure.sealed_summary)
