"""Recording the offender's sentence, deciding eligibility from it, and the coordinator's override."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.audit.chain import canonical_time
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import Case, Role, SentenceRecord, User
from mediation.policy import require_mediator_of, require_role
from mediation.services.lookup import case_to_change, find_case, require_state, require_version
from workflows.case_workflow import SENTENCE_RECORDABLE_IN
from workflows.eligibility import FixedSentence, decide, parse_sentence
from workflows.words import Words

MAX_RATIONALE = 2000


def store_sentence(session: Session, case: Case, actor: User, now: datetime, *, kind: str,
                   years: Any = None, months: Any = None, days: Any = None) -> SentenceRecord:
    """Validate, decide and keep the sentence with its explanation; audit the decision (not the data)."""
    sentence = parse_sentence(kind, years, months, days)
    decision = decide(sentence)
    fixed = sentence if isinstance(sentence, FixedSentence) else FixedSentence(0, 0, 0)
    record = case.sentence or SentenceRecord(case=case)
    record.kind, record.years, record.months, record.days = kind, fixed.years, fixed.months, fixed.days
    record.eligible, record.explanation = decision.eligible, decision.explanation
    record.recorded_by_id, record.recorded_at = actor.id, now
    record.override_eligible = record.sealed_override_rationale = record.override_by_id = record.override_at = None
    session.add(record)
    audit.record(session, AuditTag.SENTENCE_RECORDED, actor=actor, now=now, case=case,
                 details={"kind": kind, "eligible": decision.eligible})
    return record


def record_sentence(session: Session, actor: User, reference: str, kind: str, *, years: Any = None,
                    months: Any = None, days: Any = None, expected_version: int | None = None) -> SentenceRecord:
    """The case's mediator records the sentence before eligibility is checked; a new record replaces the old."""
    case = case_to_change(session, actor, reference, allowed=SENTENCE_RECORDABLE_IN,
                          action=Words("record sentence data"),
                          expected_version=expected_version)
    return store_sentence(session, case, actor, utcnow(), kind=kind, years=years, months=months, days=days)


def _rationale_context(record: SentenceRecord) -> RecordContext:
    return RecordContext(record.case_id, "sentence", str(record.case_id), record.override_by_id,
                         f"override-rationale@{canonical_time(record.override_at) if record.override_at else '-'}")


def override_eligibility(session: Session, vault: Vault, actor: User, reference: str, *, eligible: bool,
                         rationale: str, expected_version: int | None = None) -> SentenceRecord:
    """The coordinator overrides the computed decision; the rationale is sealed, the audit says who and when."""
    require_role(actor, Role.ADMIN)
    case = find_case(session, actor, reference)
    require_version(case, expected_version)
    require_state(case, SENTENCE_RECORDABLE_IN, Words("override eligibility"))
    rationale = (rationale or "").strip()
    if not rationale:
        raise InvalidInput("An override needs a rationale: say why the computed decision is set aside.")
    if len(rationale) > MAX_RATIONALE:
        raise InvalidInput("The rationale is too long (%(length)s characters; at most %(limit)s).",
                           length=len(rationale), limit=MAX_RATIONALE)
    record = case.sentence
    if record is None:
        raise WrongState("Record the sentence before overriding the eligibility decision.")
    now = utcnow()
    record.override_eligible, record.override_by_id, record.override_at = eligible, actor.id, now
    record.sealed_override_rationale = vault.seal_text(session, _rationale_context(record), rationale)
    audit.record(session, AuditTag.ELIGIBILITY_OVERRIDDEN, actor=actor, now=now, case=case,
                 details={"computed": record.eligible, "eligible": eligible})
    return record


def override_rationale(session: Session, vault: Vault, actor: User, reference: str) -> str | None:
    """The coordinator's reasons for an override, for the coordinator and the case's mediator; audited."""
    case = find_case(session, actor, reference)
    if actor.role != Role.ADMIN:
        require_mediator_of(actor, case)
    record = case.sentence
    if record is None or record.sealed_override_rationale is None:
        return None
    text = vault.open_text(session, _rationale_context(record), record.sealed_override_rationale)
    audit.record_content(session, AuditTag.RATIONALE_DECRYPTED, case_id=case.id, actor=actor, now=utcnow())
    return text
