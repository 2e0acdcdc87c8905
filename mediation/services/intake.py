"""How a case begins: a harmed person's request (no account), held until the coordinator accepts it, or an
offender's request forwarded by staff (signed in and accountable, so it opens a case at once).

Either way the case starts able to reach people: the requester's contact card (or the offender's: name and
institution) is sealed on the new participant, and what was said at intake (the harmed person's own account,
or the referral's details) is a sealed intake record only the case's mediator reads
(``mediation.services.intake_records``). A held request's details wait sealed under the request's own data key
(``mediation.services.request_keys``), destroyed once they moved onto the case or the request was dismissed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.audit import chain as content_audit
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Conflict, InvalidInput, NotFound
from mediation.models import FIRST_ORGANISATION, Case, HeldRequest, Origin, Participant, RequestStatus, Role, User
from mediation.policy import require_role
from mediation.references import next_reference
from mediation.services import contacts, intake_records, request_keys, request_status
from mediation.services.intake_details import ReferralDetails, RequestDetails
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page, starts_with
from mediation.services.lookup import REFERENCE_PATTERN
from mediation.services.organisations import of_organisation
from mediation.services.sentences import store_sentence
from mediation.statistics import tallies
from workflows.case_workflow import CASE_WORKFLOW_VERSION
from workflows.vocabulary import CaseState, ParticipantRole, Relationship, Side
from workflows.words import Code, codes

HARMED_RELATIONSHIPS = tuple(r.value for r in Relationship if r.side is Side.HARMED)
REQUEST_KEY: tuple[KeyPart, ...] = ("time", "int")  # received at, request id
REFERRAL_KEY: tuple[KeyPart, ...] = ("time", "int")  # forwarded at, case id
REFERRAL_STATUSES = ("received", "acknowledged")
REFERRAL_FILTERS = ("created_from", "created_to")


def _open_case(session: Session, origin: Origin, now: datetime, organisation_id: int,
               referred_by: User | None = None) -> Case:
    """A new case of ``organisation_id`` (the organisation of whoever brought it in), counted as received."""
    case = Case(reference=next_reference(session, now.year), workflow_version=CASE_WORKFLOW_VERSION,
                origin=origin.value, state=CaseState.REQUESTED.value, created_at=now, updated_at=now,
                organisation_id=organisation_id, referred_by_id=referred_by.id if referred_by else None)
    session.add(case)
    session.flush()  # the audit chain is named after the case id
    tallies.case_received(session.connection(), now, organisation_id)
    return case


# --- a harmed person's request, held apart --------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What the requester takes away: the receipt code, and the status secret shown to them once only."""

    id: int
    receipt_code: str
    status_secret: str


def submit_harmed_party_request(session: Session, vault: Vault, relationship: str,
                                details: RequestDetails) -> Receipt:
    """A person harmed by the offence asks to take part; no account is needed.

    The request is held apart: no case, no case reference, nothing in any case list, until the coordinator
    accepts it. Who they are and how to reach them is sealed under the request's own data key. The requester
    keeps the receipt code and the status secret it returns (only the secret's hash is stored).

    The public form is the first organisation's: its requests wait for that organisation's coordinator only.
    """
    if relationship not in HARMED_RELATIONSHIPS:
        raise InvalidInput("Say how you are connected to the offence: one of %(allowed)s.",
                           allowed=codes(HARMED_RELATIONSHIPS))
    clean = details.validated()
    secret = request_status.new_secret()
    held = HeldRequest(relationship_to_case=relationship, received_at=utcnow(), organisation_id=FIRST_ORGANISATION,
                       status=RequestStatus.PENDING.value,
                       status_secret_hash=request_status.secret_hash(secret))
    session.add(held)
    session.flush()  # the request's id goes into its key's and its details' associated data
    request_keys.seal_details(vault, held, clean.to_json())
    return Receipt(held.id, held.receipt_code, secret)


def _pending(session: Session, actor: User, request_id: int) -> HeldRequest:
    """The held request of the coordinator's organisation, locked until the transaction ends, if it still waits
    for a decision; another organisation's answers like a missing one."""
    held = session.scalars(select(HeldRequest).where(HeldRequest.id == request_id,
                                                     HeldRequest.organisation_id == actor.organisation_id)
                           .with_for_update()).one_or_none()
    if held is None:
        raise NotFound("There is no such request.")
    if held.status != RequestStatus.PENDING:
        raise Conflict("This request was already %(status)s; nothing was changed.", status=Code(held.status))
    return held


def accept_held_request(session: Session, vault: Vault, actor: User, request_id: int) -> Case:
    """The coordinator accepts a held request: it becomes a case with the next reference, audited, at once.

    The requester's details move onto the case, sealed with its data key: their contact card on the new
    participant, their own words in the intake record. The coordinator never reads them; the request's own
    key is then destroyed.
    """
    require_role(actor, Role.ADMIN)
    held, now = _pending(session, actor, request_id), utcnow()
    case = _open_case(session, Origin.HARMED_PARTY_REQUEST, now, held.organisation_id)
    relationship = Relationship(held.relationship_to_case)
    requester = Participant(side=Side.HARMED.value, relationship_to_case=relationship.value,
                            role=relationship.usual_role, created_at=now)
    case.participants.append(requester)
    session.flush()
    audit.record(session, AuditTag.REQUEST_RECEIVED, actor=None, now=held.received_at, case=case,
                 to_state=case.state, details={"relationship": held.relationship_to_case,
                                               "participant_id": requester.id})
    audit.record(session, AuditTag.REQUEST_ACCEPTED, actor=actor, now=now, case=case,
                 details={"request_id": held.id})
    sealed = request_keys.open_details(vault, held)
    if sealed is not None:  # a request made before details were asked has none
        details = RequestDetails.from_json(sealed)
        contacts.seal_card(session, vault, case.id, requester, details.contact, recorded_by_id=None)
        record = intake_records.seal_record(session, vault, requester, kind="request", author_id=None,
                                            text=details.intake_text(), now=now)
        content_audit.record_content(session, AuditTag.INTAKE_RECORDED, case_id=case.id, actor=actor, now=now,
                             details={"participant_id": requester.id, "intake_id": record.id,
                                      "contact_revision": requester.contact_revision, "request_id": held.id})
    request_keys.destroy(held, now)
    held.status, held.decided_at, held.decided_by_id = RequestStatus.ACCEPTED.value, now, actor.id
    held.case_id = case.id
    return case


def dismiss_held_request(session: Session, actor: User, request_id: int) -> HeldRequest:
    """The coordinator dismisses a held request as spam: no case, no reference; its sealed details are destroyed
    with their key; the dismissal is audited."""
    require_role(actor, Role.ADMIN)
    held, now = _pending(session, actor, request_id), utcnow()
    request_keys.destroy(held, now)
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
    """A page of the requests waiting for the coordinator (their own organisation's), oldest first."""
    require_role(actor, Role.ADMIN)
    statement = (select(HeldRequest.id, HeldRequest.receipt_code, HeldRequest.relationship_to_case,
                        HeldRequest.received_at).where(HeldRequest.status == RequestStatus.PENDING.value,
                                                       HeldRequest.organisation_id == actor.organisation_id))
    page = fetch_page(session, statement, query, keys=(HeldRequest.received_at, HeldRequest.id),
                      key_of=lambda row: (row.received_at, row.id), parts=REQUEST_KEY)
    return page.map(lambda row: PendingRequest(*row))


# --- an offender's request, forwarded by staff ------------------------------------------------------------------


def forward_offender_request(session: Session, vault: Vault, actor: User, *, willing_to_take_responsibility: bool,
                             referral: ReferralDetails, sentence: dict[str, Any] | None = None) -> Case:
    """Referring staff forward an offender's request, with the offender's statement of willingness, who the
    offender is (name, FPS number, institution) and the staff member's role. Those are sealed on the case for
    its mediator: staff never see them back (they see received or acknowledged only)."""
    require_role(actor, Role.STAFF)
    if willing_to_take_responsibility is not True:
        raise InvalidInput("The offender's statement that they are willing to take responsibility for their "
                           "actions is required to forward a request.")
    clean = referral.validated()
    now = utcnow()
    case = _open_case(session, Origin.OFFENDER_REQUEST, now, actor.organisation_id, referred_by=actor)
    offender = Participant(side=Side.RESPONSIBLE.value, relationship_to_case=Relationship.OFFENDER.value,
                           role=ParticipantRole.PRIMARY.value,
                           willing_to_take_responsibility=True, created_at=now)
    case.participants.append(offender)
    session.flush()
    audit.record(session, AuditTag.REFERRAL_RECEIVED, actor=actor, now=now, case=case, to_state=case.state,
                 details={"participant_id": offender.id})
    if sentence:
        store_sentence(session, case, actor, now, **sentence)
    contacts.seal_card(session, vault, case.id, offender, clean.contact_card(), recorded_by_id=actor.id)
    record = intake_records.seal_record(session, vault, offender, kind="referral", author_id=actor.id,
                                        text=clean.intake_text(), now=now)
    content_audit.record_content(session, AuditTag.INTAKE_RECORDED, case_id=case.id, actor=actor, now=now,
                         details={"participant_id": offender.id, "intake_id": record.id,
                                  "contact_revision": offender.contact_revision})
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
    conditions: list[ColumnElement[bool]] = [Case.referred_by_id == actor.id, of_organisation(actor)]
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
