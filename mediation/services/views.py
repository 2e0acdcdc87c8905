"""Read models for the screens: everything one page shows, gathered in one transaction, metadata and
decisions only (content is read through the services that audit its decryption)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.errors import Forbidden
from mediation.models import AuditEntry, Case, Participant, Role, User
from mediation.policy import own_participation, require_active, require_mediator_of, require_role
from mediation.services.lookup import find_case
from mediation.services.messages import AwaitingReview, awaiting_review
from mediation.services.queries import CaseSummary, cases_for
from mediation.services.workflow import ActionOption, actions_for
from workflows.case_workflow import CASE_WORKFLOW
from workflows.diagram import mermaid, step_map
from workflows.vocabulary import OPEN_STATES, CaseState, Consent, Modality, carries_messages


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    side: str
    relationship: str
    consent: str
    safety: str
    has_account: bool
    has_contact_card: bool


@dataclass(frozen=True)
class SentenceView:
    kind: str
    explanation: str
    eligible: bool
    overridden: bool


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    occurred_at: datetime
    actor_role: str
    tag: str
    from_state: str | None
    to_state: str | None
    reason: str | None


@dataclass(frozen=True)
class CasePage:
    reference: str
    state: str
    modality: str | None
    outcome: str | None
    paused_from: str | None
    version: int
    sentence: SentenceView | None
    participants: list[ParticipantRow]
    actions: list[ActionOption]
    timeline: list[TimelineEntry]
    diagram: str
    steps: list[tuple[str, list[tuple[str, str]]]]
    can_choose_modality: bool
    carries_messages: bool


def _participant_rows(case: Case) -> list[ParticipantRow]:
    return [ParticipantRow(p.id, p.side, p.relationship_to_case, p.consent, p.safety, p.user_id is not None,
                           p.sealed_contact is not None) for p in case.participants]


def case_page(session: Session, actor: User, reference: str) -> CasePage:
    """The mediator's page for one of their cases."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    record = case.sentence
    sentence = None if record is None else SentenceView(record.kind, record.explanation,
                                                        record.effective_eligible, record.is_overridden)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.chain == f"case:{case.id}")
                              .order_by(AuditEntry.seq))
    timeline = [TimelineEntry(e.seq, e.occurred_at, e.actor_role, e.tag, e.from_state, e.to_state, e.reason)
                for e in entries]
    return CasePage(case.reference, case.state, case.modality, case.outcome, case.paused_from, case.version,
                    sentence, _participant_rows(case), actions_for(actor, case), timeline,
                    mermaid(CASE_WORKFLOW, case.state), step_map(CASE_WORKFLOW),
                    case.state in (CaseState.ASSESSMENT, CaseState.PREPARATION), carries_messages(case.state))


@dataclass(frozen=True)
class Dashboard:
    by_state: dict[str, list[CaseSummary]]
    awaiting_review: list[AwaitingReview]
    paused: list[CaseSummary]
    quiet: list[CaseSummary]  # no activity for stale_days
    stale_days: int


def mediator_dashboard(session: Session, actor: User, *, stale_days: int, now: datetime | None = None) -> Dashboard:
    """The mediator's cases by state, and what needs attention first."""
    require_role(actor, Role.MEDIATOR)
    cases = cases_for(session, actor)
    cutoff = (now or utcnow()) - timedelta(days=stale_days)
    by_state: dict[str, list[CaseSummary]] = {}
    for summary in cases:
        by_state.setdefault(summary.state, []).append(summary)

    def quiet(summary: CaseSummary) -> bool:
        moment = summary.updated_at if summary.updated_at.tzinfo else summary.updated_at.replace(tzinfo=cutoff.tzinfo)
        return summary.state in OPEN_STATES and moment < cutoff

    return Dashboard(by_state, awaiting_review(session, actor), by_state.get(CaseState.PAUSED, []),
                     [c for c in cases if quiet(c)], stale_days)


@dataclass(frozen=True)
class PortalCase:
    """What a participant sees of their case: its step in plain words, and what they may do now."""

    reference: str
    state: str
    modality: str | None
    outcome: str | None
    my_participant_id: int
    my_side: str
    my_consent: str
    can_write: bool
    can_send_video: bool
    can_withdraw: bool
    withdrawn_by_me: bool


def portal_cases(session: Session, actor: User) -> list[PortalCase]:
    """The participant's cases (usually one), newest first."""
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("The portal is for participants.")
    cases = session.scalars(select(Case).join(Participant, Participant.case_id == Case.id)
                            .where(Participant.user_id == actor.id).order_by(Case.created_at.desc()))
    result = []
    for case in cases:
        mine = own_participation(actor, case)
        assert mine is not None
        active = mine.consent == Consent.GIVEN
        result.append(PortalCase(
            case.reference, case.state, case.modality, case.outcome, mine.id, mine.side, mine.consent,
            can_write=active and carries_messages(case.state),
            can_send_video=active and case.state == Modality.VIDEO.dialogue_state,
            can_withdraw=case.state in OPEN_STATES,
            withdrawn_by_me=case.withdrawn_by_participant_id == mine.id))
    return result
