"""Who takes part in a case and their consent (their safety: mediation.services.safety)."""

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
from workflows.case_workflow import CONSENT_RECORDABLE_IN
from workflows.vocabulary import Consent
from workflows.words import Words, codes

RECORDABLE_CONSENT = (Consent.GIVEN.value, Consent.DECLINED.value, Consent.PENDING.value)


# Adding a person with their role lives in mediation.services.people; callers know it by this name too.
add_participant = add_person


def record_consent(session: Session, actor: User, reference: str, participant_id: int, consent: str,
                   *, expected_version: int | None = None) -> Participant:
    """Record what a participant said about taking part. Withdrawing goes through the workflow instead."""
    if consent not in RECORDABLE_CONSENT:
        if consent == Consent.WITHDRAWN:
            raise InvalidInput("Consent must be one of %(choices)s. To withdraw, use the withdraw action.",
                               choices=codes(RECORDABLE_CONSENT))
        raise InvalidInput("Consent must be one of %(choices)s.", choices=codes(RECORDABLE_CONSENT))
    case = case_to_change(session, actor, reference, allowed=CONSENT_RECORDABLE_IN, action=Words("record consent"),
                          expected_version=expected_version)
    participant = participant_of(case, participant_id)
    now = utcnow()
    participant.consent, participant.consent_recorded_at = consent, now
    audit.record(session, AuditTag.CONSENT_RECORDED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "consent": consent})
    return participant
