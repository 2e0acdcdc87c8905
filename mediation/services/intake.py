"""How a case begins: a harmed person's request (no account), or an offender's request forwarded by staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Case, Origin, Participant, Role, User
from mediation.policy import require_role
from mediation.references import next_reference
from mediation.services.sentences import store_sentence
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.vocabulary import CaseState, Relationship, Side

HARMED_RELATIONSHIPS = tuple(r.value for r in Relationship if r.side is Side.HARMED)


def _open_case(session: Session, origin: Origin, now: datetime, referred_by: User | None = None) -> Case:
    case = Case(reference=next_reference(session, now.year), workflow_version=CASE_WORKFLOW_VERSION,
                origin=origin.value, state=CaseState.REQUESTED.value, created_at=now, updated_at=now,
                referred_by_id=referred_by.id if referred_by else None)
    session.add(case)
    session.flush()  # the audit chain is named after the case id
    return case


def submit_harmed_party_request(session: Session, relationship: str) -> Case:
    """A person harmed by the offence asks to take part; no account is needed. Returns the new case."""
    if relationship not in HARMED_RELATIONSHIPS:
        raise InvalidInput(f"Say how you are connected to the offence: one of {', '.join(HARMED_RELATIONSHIPS)}.")
    now = utcnow()
    case = _open_case(session, Origin.HARMED_PARTY_REQUEST, now)
    case.participants.append(Participant(side=Side.HARMED.value, relationship_to_case=relationship, created_at=now))
    session.flush()
    audit.record(session, AuditTag.REQUEST_RECEIVED, actor=None, now=now, case=case, to_state=case.state,
                 details={"relationship": relationship, "participant_id": case.participants[0].id})
    return case


def forward_offender_request(session: Session, actor: User, *, willing_to_take_responsibility: bool,
                             sentence: dict[str, Any] | None = None) -> Case:
    """Referring staff forward an offender's request, with the offender's statement of willingness."""
    require_role(actor, Role.STAFF)
    if willing_to_take_responsibility is not True:
        raise InvalidInput("The offender's statement that they are willing to take responsibility for their "
                           "actions is required to forward a request.")
    now = utcnow()
    case = _open_case(session, Origin.OFFENDER_REQUEST, now, referred_by=actor)
    offender = Participant(side=Side.RESPONSIBLE.value, relationship_to_case=Relationship.OFFENDER.value,
                           willing_to_take_responsibility=True, created_at=now)
    case.participants.append(offender)
    session.flush()
    audit.record(session, AuditTag.REFERRAL_RECEIVED, actor=actor, now=now, case=case, to_state=case.state,
                 details={"participant_id": offender.id})
    if sentence:
        store_sentence(session, case, actor, now, **sentence)
    return case


@dataclass(frozen=True)
class ReferralStatus:
    """All that referring staff may know of a request they forwarded (the firewall of DESIGN.md section 1)."""

    reference: str
    received_at: datetime
    status: str  # "received" or "acknowledged"


def list_referrals(session: Session, actor: User) -> list[ReferralStatus]:
    require_role(actor, Role.STAFF)
    rows = session.execute(
        select(Case.reference, Case.created_at, Case.assigned_mediator_id, Case.state)
        .where(Case.referred_by_id == actor.id).order_by(Case.created_at.desc())
    ).all()
    return [ReferralStatus(reference, created_at,
                           "acknowledged" if mediator is not None or state != CaseState.REQUESTED else "received")
            for reference, created_at, mediator, state in rows]
