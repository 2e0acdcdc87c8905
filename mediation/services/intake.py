"""How a case begins: a harmed person's request (no account), held until the coordinator accepts it, or an
offender's request forwarded by staff (signed in and accountable, so it opens a case at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import Conflict, InvalidInput, NotFound
from mediation.models import Case, HeldRequest, Origin, Participant, RequestStatus, Role, User
from mediation.policy import require_role
from mediation.references import next_reference
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page, starts_with
from mediation.services.lookup import REFERENCE_PATTERN
from mediation.services.sentences import store_sentence
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.vocabulary import CaseState, ParticipantRole, Relationship, Side
from workflows.words import Code, codes

HARMED_RELATIONSHIPS = tuple(r.value for r in Relationship if r.side is Side.HARMED)
REQUEST_KEY: tuple[KeyPart, ...] = ("time", "int")  # received at, request id
REFERRAL_KEY: tuple[KeyPart, ...] = ("time", "int")  # forwarded at, case id
REFERRAL_STATUSES = ("received", "acknowledged")
REFERRAL_FILTERS = ("created_from", "created_to")


def _open_case(session: Session, origin: Origin, now: datetime, referred_by: User | None = None) -> Case:
    case = Case(reference=next_reference(session, now.year), workflow_version=CASE_WORKFLOW_VERSION,
                origin=origin.value, state=CaseState.REQUESTED.value, created_at=now, updated_at=now,
                referred_by_id=referred_by.id if referred_by else None)
    session.add(case)
    session.flush()  # the audit chain is named after the case id
    return case


# --- a harmed person's request, held apart --------------------------------------------------------------------


def submit_harmed_party_request(session: Session, relationship: str) -> HeldRequest:
    """A person harmed by the offence asks to take part; no account is needed.

    The request is held apart: no case, no case reference, nothing in any case list, until the coordinator
    accepts it. The requester keeps the receipt code it returns.
    """
    if relationship not in HARMED_RELATIONSHIPS:
        raise InvalidInput("Say how you are connected to the offence: one of %(choices)s.",
                           choices=codes(HARMED_RELATIONSHIPS))
    held = HeldRequest(relationship_to_case=relationship, received_at=utcnow(), status=RequestStatus.PENDING.value)
    session.add(held)
    session.flush()
    return held


def _pending(session: Session, request_id: int) -> HeldRequest:
    """The held request, locked until the transaction ends, if it still waits for a decision."""
    held = session.scalars(select(HeldRequest).where(HeldRequest.id == request_id)
                           .with_for_update()).one_or_none()
    if held is None:
        raise NotFound("There is no such request.")
    if held.status != RequestStatus.PENDING:
        raise Conflict("This request was already %(status)s; nothing was changed.", status=Code(held.status))
    return held


def accept_held_request(session: Session, actor: User, request_id: int) -> Case:
    """The coordinator accepts a held request: it becomes a case with the next reference, audited, at once."""
    require_role(actor, Role.ADMIN)
    held, now = _pending(session, request_id), utcnow()
    case = _open_case(session, Origin.HARMED_PARTY_REQUEST, now)
    relationship = Relationship(held.relationship_to_case)
    case.participants.append(Participant(side=Side.HARMED.value, relationship_to_case=relationship.value,
                                         role=relationship.usual_role, created_at=now))
    session.flush()
    audit.record(session, AuditTag.REQUEST_RECEIVED, actor=None, now=held.received_at, case=case,
                 to_state=case.state, details={"relationship": held.relationship_to_case,
                                               "participant_id": case.participants[0].id})
    audit.record(session, AuditTag.REQUEST_ACCEPTED, actor=actor, now=now, case=case,
                 details={"request_id": held.id})
    held.status, held.decided_at, held.decided_by_id = RequestStatus.ACCEPTED.value, now, actor.id
    held.case_id = case.id
    return case


def dismiss_held_request(session: Session, actor: User, request_id: int) -> HeldRequest:
    """The coordinator dismisses a held request as spam: no case, no reference; the dismissal is audited."""
    require_role(actor, Role.ADMIN)
    held, now = _pending(session, request_id), utcnow()
    held.status, held.decided_at, held.decided_by_id = RequestStatus.DISMISSED.value, now, actor.id
    audit.record(session, AuditTag.REQUEST_DISMISSED, actor=actor, now=now, details={"request_id": held.id})
    return held


@dataclass(frozen=True)
class PendingRequest:
    """What the coordinator sees of a held request: when, how the person is connected, its receipt code."""

    id: int
    receipt_code: str
    relationship: str
    received_at: datetime


def pending_requests(session: Session, actor: User, query: ListQuery) -> Page[PendingRequest]:
    """A page of the requests waiting for the coordinator, oldest first."""
    require_role(actor, Role.ADMIN)
    statement = (select(HeldRequest.id, HeldRequest.receipt_code, HeldRequest.relationship_to_case,
                        HeldRequest.received_at).where(HeldRequest.status == RequestStatus.PENDING.value))
    page = fetch_page(session, statement, query, keys=(HeldRequest.received_at, HeldRequest.id),
                      key_of=lambda row: (row.received_at, row.id), parts=REQUEST_KEY)
    return page.map(lambda row: PendingRequest(*row))


# --- an offender's request, forwarded by staff ------------------------------------------------------------------


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
                           role=ParticipantRole.PRIMARY.value,
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


def _acknowledged() -> ColumnElement[bool]:
    return or_(Case.assigned_mediator_id.is_not(None), Case.state != CaseState.REQUESTED.value)


def list_referrals(session: Session, actor: User, query: ListQuery) -> Page[ReferralStatus]:
    """A page of the referrals ``actor`` forwarded, newest first, filtered by what staff may know only: the
    reference, the day it was forwarded, and whether it was received or acknowledged."""
    require_role(actor, Role.STAFF)
    acknowledged = _acknowledged()
    conditions: list[ColumnElement[bool]] = [Case.referred_by_id == actor.id]
    if query.search:
        conditions.append(starts_with(Case.reference, query.search, whole=REFERENCE_PATTERN))
    if query.status:
        conditions.append(acknowledged if query.status == "acknowledged" else ~acknowledged)
    start, end = query.between("created")
    if start is not None:
        conditions.append(Case.created_at >= start)
    if end is not None:
        conditions.append(Case.created_at < end)
    statement = select(Case.id, Case.reference, Case.created_at, acknowledged.label("acknowledged")).where(*conditions)
    page = fetch_page(session, statement, query, keys=(Case.created_at, Case.id),
                      key_of=lambda row: (row.created_at, row.id), parts=REFERRAL_KEY, descending=True)
    return page.map(lambda row: ReferralStatus(row.reference, row.created_at,
                                               "acknowledged" if row.acknowledged else "received"))
