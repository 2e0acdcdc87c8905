"""The referral's steps (workflows.referral_workflow), each one transaction with its entries in both chains.

The referring side sends and may withdraw; the partner's coordinator, or the worker it gave the referral to,
accepts or declines, starts, completes or ends it, and may withdraw too. Which side withdraws comes from where
the actor stands, never from a form. The guards are the workflow's: a send is refused until the person consented
to every field chosen, while their consent stands and the partner still offers the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import NoticeKind, PartnerService, Referral, Role, User
from mediation.services import notices
from mediation.services.referrals import trail
from mediation.services.referrals.access import (
    WORKER_ROLES,
    Standing,
    find_referral,
    require_receiving_coordinator,
    require_side,
)
from workflows.referral_workflow import (
    REFERRAL_WORKFLOW,
    ReferralState,
    fields_without_consent,
    referral_workflow,
)
from workflows.words import codes

RECEIVING_TRIGGERS = ("accept", "decline", "start", "complete", "end")
TAGS = {"send": AuditTag.REFERRAL_SEND, "accept": AuditTag.REFERRAL_ACCEPT, "decline": AuditTag.REFERRAL_DECLINE,
        "start": AuditTag.REFERRAL_START, "complete": AuditTag.REFERRAL_COMPLETE, "end": AuditTag.REFERRAL_END,
        "withdraw": AuditTag.REFERRAL_WITHDRAW}
# Who hears of a step: the receiving coordinators when it arrives, the referring worker of the partner's answers.
TOLD = {"accept": NoticeKind.REFERRAL_ACCEPTED, "decline": NoticeKind.REFERRAL_DECLINED,
        "complete": NoticeKind.REFERRAL_COMPLETED, "end": NoticeKind.REFERRAL_ENDED}
_FINAL = frozenset(str(state) for state in REFERRAL_WORKFLOW.final_states)


@dataclass
class Facts:
    """A referral as the workflow's guards read it (``ReferralFacts``); its state and outcome are the row's."""

    referral: Referral
    service_offered: bool

    @property
    def state(self) -> str:
        return self.referral.state

    @state.setter
    def state(self, value: str) -> None:
        self.referral.state = value

    @property
    def outcome(self) -> str | None:
        return self.referral.outcome

    @outcome.setter
    def outcome(self, value: str | None) -> None:
        self.referral.outcome = value

    @property
    def withdrawn_by(self) -> str | None:
        return self.referral.withdrawn_by

    @withdrawn_by.setter
    def withdrawn_by(self, value: str | None) -> None:
        self.referral.withdrawn_by = value

    @property
    def shared_fields(self) -> frozenset[str]:
        return frozenset(f.field for f in self.referral.fields)

    @property
    def consented_fields(self) -> frozenset[str]:
        return frozenset(f.field for f in self.referral.fields if f.consented)

    @property
    def consent_active(self) -> bool:
        return self.referral.consent_withdrawn_at is None


def facts_of(session: Session, referral: Referral) -> Facts:
    service = session.get(PartnerService, referral.service_id)
    offered = (service is not None and service.is_active and service.kind == referral.kind
               and service.organisation_id == referral.receiving_organisation_id)
    return Facts(referral, offered)


def _fire(session: Session, actor: User, referral: Referral, trigger: str, **arguments: str) -> str:
    facts = facts_of(session, referral)
    source = referral.state
    referral_workflow(referral.workflow_version).fire(facts, trigger, **arguments)
    now = utcnow()
    referral.updated_at = now
    if trigger == "send":
        referral.sent_at = now
    elif trigger == "accept":
        referral.accepted_at = now
    if referral.state in _FINAL:
        referral.closed_at = now
    details: dict[str, object] = {}
    if trigger == "send":
        details = {"fields": sorted(facts.shared_fields), "consent_version": referral.consent_version}
    elif trigger == "withdraw":
        details = {"side": arguments["side"]}
    trail.both_sides(session, referral, TAGS[trigger], actor, now, from_state=source, to_state=referral.state,
                     reason=arguments.get("reason"), details=details)
    if trigger == "send":
        coordinators = session.scalars(select(User.id).where(
            User.organisation_id == referral.receiving_organisation_id, User.role == Role.ADMIN,
            User.is_active.is_(True)))
        for coordinator in coordinators:
            notices.tell(session, coordinator, NoticeKind.REFERRAL_RECEIVED, None, now)
    elif trigger in TOLD:
        notices.tell(session, referral.referring_worker_id, TOLD[trigger], None, now)
    return referral.state


def _reason(reason: object) -> dict[str, str]:
    if reason in (None, ""):
        return {}
    if not isinstance(reason, str) or len(reason) > 64:
        raise InvalidInput("Choose the reason from the list.")
    return {"reason": reason}


def send(session: Session, actor: User, reference: object) -> str:
    """The referring side sends the draft to the partner (the guards say what is missing)."""
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_side(standing, "referring")
    return _fire(session, actor, referral, "send")


def move(session: Session, actor: User, reference: object, trigger: object, *, reason: object = None) -> str:
    """The partner accepts, declines (with a reason), starts, completes or ends (with an outcome) the referral."""
    if not isinstance(trigger, str) or trigger not in RECEIVING_TRIGGERS:
        raise InvalidInput("Choose an action the partner can take: %(choices)s.", choices=codes(RECEIVING_TRIGGERS))
    arguments = _reason(reason)
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_side(standing, "receiving")
    if trigger == "accept" and referral.state == ReferralState.ACCEPTED:
        raise WrongState("This referral was already accepted.")
    return _fire(session, actor, referral, trigger, **arguments)


def withdraw(session: Session, actor: User, reference: object) -> str:
    """Either side withdraws the referral; the side is where the actor stands."""
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_side(standing, "referring", "receiving")
    return _fire(session, actor, referral, "withdraw", side=standing.side)


def assign_worker(session: Session, actor: User, reference: object, worker_id: object) -> Referral:
    """The partner's coordinator gives the referral to one of its own organisation's workers."""
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_receiving_coordinator(standing)
    if referral.state in _FINAL:
        raise WrongState("This referral is over; it has no worker to assign.")
    worker = _worker(session, referral.receiving_organisation_id, worker_id)
    referral.receiving_worker_id = worker.id
    now = utcnow()
    referral.updated_at = now
    trail.one_side(session, referral.receiving_organisation_id, referral, AuditTag.REFERRAL_WORKER_ASSIGNED,
                   actor=actor, now=now, details={"worker_id": worker.id})
    return referral


def _worker(session: Session, organisation_id: int, worker_id: object) -> User:
    if isinstance(worker_id, str) and worker_id.isdigit() and len(worker_id) <= 10:
        worker_id = int(worker_id)
    account = (session.get(User, worker_id) if isinstance(worker_id, int) and not isinstance(worker_id, bool)
               and 0 < worker_id < 2**31 else None)
    if (account is None or not account.is_active or account.role not in WORKER_ROLES
            or account.organisation_id != organisation_id):
        raise InvalidInput("Choose the worker from your organisation's list.")
    return account


def missing_consent(referral: Referral) -> frozenset[str]:
    """The fields chosen that the person has not consented to share (the draft's page says so before sending)."""
    return fields_without_consent(Facts(referral, True))


def standing_may(standing: Standing, trigger: str) -> bool:
    """Whether a side may fire ``trigger`` at all (the page offers only these)."""
    if trigger == "send":
        return standing.side == "referring"
    if trigger == "withdraw":
        return standing.acts_for_side
    return standing.side == "receiving"

