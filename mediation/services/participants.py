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
from workflows.case_workflow import CONSENT_RECORDABLE_IN, PARTICIPANTS_JOIN_IN
from workflows.vocabulary import Consent, Relationship
from workflows.words import Words, codes

RECORDABLE_CONSENT = (Consent.GIVEN.value, Consent.DECLINED.value, Consent.PENDING.value)


def add_participant(session: Session, actor: User, reference: str, relationship: str,
                    *, expected_version: int | None = None) -> Participant:
    """The mediator adds a person to the case, e.g. the offender once contacted, or a family member."""
    case = case_to_change(session, actor, reference, allowed=PARTICIPANTS_JOIN_IN, action=Words("add a participant"),
                          expected_version=expected_version)
    try:
        kind = Relationship(relationship)
    except ValueError:
        raise InvalidInput("Unknown relationship %(value)s; choose one of: %(choices)s.",
                           value=repr(relationship)[:80], choices=codes([r.value for r in Relationship])) from None
    if kind is Relationship.OFFENDER and any(p.relationship_to_case == kind for p in case.participants):
        raise InvalidInput("This case already has its offender; a case concerns one offender.")
    now = utcnow()
    participant = Participant(side=kind.side.value, relationship_to_case=kind.value, role=kind.usual_role,
                              created_at=now)
    case.participants.append(participant)
    session.flush()
    audit.record(session, AuditTag.PARTICIPANT_ADDED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "relationship": kind.value})
    return participant


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
