"""Who takes part in a case, their consent, and the mediator's safety assessment of each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Participant, User
from mediation.policy import participant_of
from mediation.services.lookup import case_to_change
from mediation.services.people import add_person
from workflows.case_workflow import CONSENT_RECORDABLE_IN, SAFETY_ASSESSABLE_IN
from workflows.vocabulary import Consent, Safety

RECORDABLE_CONSENT = (Consent.GIVEN.value, Consent.DECLINED.value, Consent.PENDING.value)
RECORDABLE_SAFETY = (Safety.CLEARED.value, Safety.CONCERNS.value)


# Adding a person with their role lives in mediation.services.people; callers know it by this name too.
add_participant = add_person


def record_consent(session: Session, actor: User, reference: str, participant_id: int, consent: str,
                   *, expected_version: int | None = None) -> Participant:
    """Record what a participant said about taking part. Withdrawing goes through the workflow instead."""
    if consent not in RECORDABLE_CONSENT:
        hint = " To withdraw, use the withdraw action." if consent == Consent.WITHDRAWN else ""
        raise InvalidInput(f"Consent must be one of {', '.join(RECORDABLE_CONSENT)}.{hint}")
    case = case_to_change(session, actor, reference, allowed=CONSENT_RECORDABLE_IN, action="record consent",
                          expected_version=expected_version)
    participant = participant_of(case, participant_id)
    now = utcnow()
    participant.consent, participant.consent_recorded_at = consent, now
    audit.record(session, AuditTag.CONSENT_RECORDED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "consent": consent})
    return participant


def record_safety_assessment(session: Session, actor: User, reference: str, participant_id: int, safety: str,
                             *, expected_version: int | None = None) -> Participant:
    """The mediator's ongoing safety assessment of one participant; any open state."""
    if safety not in RECORDABLE_SAFETY:
        raise InvalidInput(f"A safety assessment is one of {', '.join(RECORDABLE_SAFETY)}.")
    case = case_to_change(session, actor, reference, allowed=SAFETY_ASSESSABLE_IN,
                          action="record a safety assessment", expected_version=expected_version)
    participant = participant_of(case, participant_id)
    now = utcnow()
    participant.safety, participant.safety_assessed_at = safety, now
    audit.record(session, AuditTag.SAFETY_ASSESSED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "safety": safety})
    return participant
