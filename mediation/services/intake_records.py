"""The intake record: what a case began with, in the words of whoever asked (a harmed person's account of the
offence and who harmed them; or the referral staff forwarded: the offender's name, FPS number, institution and
the referring staff member's role). Sealed with the case's data key; read by the case's mediator only, never by
the coordinator, referring staff or a participant (the firewall of DESIGN.md section 1); every reading audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.models import IntakeRecord, Participant
from mediation.models.content import new_record_id
from mediation.models.user import User
from mediation.policy import require_mediator_of
from mediation.services.lookup import find_case

KINDS = ("request", "referral")


def _context(record: IntakeRecord) -> RecordContext:
    # Bound to the participant it is about: re-pointing it at another participant makes it unreadable.
    return RecordContext(record.case_id, "intake", record.id, record.author_id,
                         f"{record.kind}.about-{record.participant_id}")


def seal_record(session: Session, vault: Vault, participant: Participant, *, kind: str, author_id: int | None,
                text: str, now: datetime) -> IntakeRecord:
    """Seal the intake record of a new case (the caller checked who may, and audits it)."""
    record = IntakeRecord(id=new_record_id(), case_id=participant.case_id, participant_id=participant.id, kind=kind,
                          author_id=author_id, created_at=now)
    record.sealed_text = vault.seal_text(session, _context(record), text)
    session.add(record)
    return record


@dataclass(frozen=True)
class IntakeView:
    kind: str  # "request" or "referral"
    participant_id: int
    created_at: datetime
    fields: dict[str, str]  # request: who_harmed_them, account; referral: offender_name, fps_number, ...


def _fields(text: str) -> dict[str, str]:
    return {str(name): str(value) for name, value in json.loads(text).items()}


def intake_records(session: Session, vault: Vault, actor: User, reference: str) -> list[IntakeView]:
    """The case's intake records, for its mediator only; the reading is audited."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    records = list(session.scalars(select(IntakeRecord).where(IntakeRecord.case_id == case.id)
                                   .order_by(IntakeRecord.created_at, IntakeRecord.id)))
    views = [IntakeView(r.kind, r.participant_id, r.created_at, _fields(vault.open_text(session, _context(r),
                                                                                         r.sealed_text)))
             for r in records]
    if views:
        audit.record_content(session, AuditTag.INTAKE_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"intake_ids": [r.id for r in records]})
    return views
