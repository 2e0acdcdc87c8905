"""Read models for the screens: everything one page shows, gathered in one transaction, metadata and
decisions only (content is read through the services that audit its decryption)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.errors import Forbidden
from mediation.models import AuditEntry, Case, Participant, Role, User
from mediation.models.sentence import SentenceRecord
from mediation.policy import own_participation, require_active, require_mediator_of, require_role
from mediation.progress import ProgressStep, progress_line
from mediation.services.listing import ListQuery, Page
from mediation.services.lookup import find_case
from mediation.services.messages import awaiting_review_count
from mediation.services.messages.common import may_write
from mediation.services.organisations import of_organisation
from mediation.services.queries import CaseSummary, StepCounts, case_list, step_counts
from mediation.services.workflow import ActionOption, actions_for
from workflows.case_workflow import CASE_WORKFLOW_VERSION, MODALITY_CHOOSABLE_IN, case_workflow
from workflows.diagram import mermaid, step_map
from workflows.eligibility import decide, parse_sentence
from workflows.errors import InvalidSentence
from workflows.programmes import programme_of_version
from workflows.vocabulary import CaseState, ParticipantRole, carries_messages
from workflows.words import Words


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    side: str
    relationship: str
    consent: str
    safety: str
    has_account: bool
    has_contact_card: bool
    role: str = "primary"
    supports: int | None = None  # the participant a support person accompanies
    takes_part_in_meetings: bool = False


@dataclass(frozen=True)
class SentenceView:
    kind: str
    explanation: Words  # rebuilt from the recorded data, so a page says it in the reader's language
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
    workflow_version: str = CASE_WORKFLOW_VERSION  # the case's own version: its picture and step map are of it


def _participant_rows(case: Case) -> list[ParticipantRow]:
    return [ParticipantRow(p.id, p.side, p.relationship_to_case, p.consent, p.safety, p.user_id is not None,
                           p.sealed_contact is not None, p.role, p.supports_participant_id,
                           p.takes_part_in_meetings) for p in case.participants]


def _explanation(record: SentenceRecord) -> Words:
    """The eligibility decision's explanation, decided again from the recorded sentence (the same rule gives the
    same words); the stored English text only if the data no longer parses."""
    try:
        return decide(parse_sentence(record.kind, record.years, record.months, record.days)).words
    except InvalidSentence:
        return Words(record.explanation)


def case_page(session: Session, actor: User, reference: str) -> CasePage:
    """The mediator's page for one of their cases."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    record = case.sentence
    sentence = None if record is None else SentenceView(record.kind, _explanation(record),
                                                        record.effective_eligible, record.is_overridden)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.chain == f"case:{case.id}")
                              .order_by(AuditEntry.seq))
    timeline = [TimelineEntry(e.seq, e.occurred_at, e.actor_role, e.tag, e.from_state, e.to_state, e.reason)
                for e in entries]
    definition = programme_of_version(case.workflow_version).definition(case.workflow_version)
    return CasePage(case.reference, case.state, case.modality, case.outcome, case.paused_from, case.version,
                    sentence, _participant_rows(case), actions_for(actor, case), timeline,
                    mermaid(definition, case.state), step_map(definition),
                    case.state in MODALITY_CHOOSABLE_IN, carries_messages(case.state), case.workflow_version)


@dataclass(frozen=True)
class Dashboard:
    """What needs the mediator's attention first, as counts that link into the filtered lists, and a page of
    their cases by step."""

    awaiting_review: int
    paused: int
    stale: int  # open, and no activity for stale_days
    stale_days: int
    steps: StepCounts
    cases: Page[CaseSummary]

    @property
    def needs_attention(self) -> bool:
        return bool(self.awaiting_review or self.paused or self.stale)


def mediator_dashboard(session: Session, actor: User, query: ListQuery, *, stale_days: int,
                       now: datetime | None = None) -> Dashboard:
    """The mediator's counts (one grouped query, one count of the review queue) and one page of their cases."""
    require_role(actor, Role.MEDIATOR)
    steps = step_counts(session, actor, stale_days=stale_days, now=now)
    return Dashboard(awaiting_review_count(session, actor), steps.count(CaseState.PAUSED), steps.stale, stale_days,
                     steps, case_list(session, actor, query, stale_days=stale_days, now=now))


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
    my_role: str = "primary"
    progress: tuple[ProgressStep, ...] = ()  # the plain-words phases, the current one marked


def portal_cases(session: Session, actor: User) -> list[PortalCase]:
    """The participant's cases (usually one), newest first."""
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("The portal is for participants.")
    cases = session.scalars(select(Case).join(Participant, Participant.case_id == Case.id)
                            .where(Participant.user_id == actor.id, of_organisation(actor))
                            .order_by(Case.created_at.desc()))
    result = []
    for case in cases:
        mine = own_participation(actor, case)
        assert mine is not None
        result.append(PortalCase(
            case.reference, case.state, case.modality, case.outcome, mine.id, mine.side, mine.consent,
            can_write=may_write(mine, case.state, "text"),
            can_send_video=may_write(mine, case.state, "video"),
            can_withdraw=("withdraw" in case_workflow(case.workflow_version).triggers_from(case.state)
                          and mine.role != ParticipantRole.SUPPORT),
            withdrawn_by_me=case.withdrawn_by_participant_id == mine.id, my_role=mine.role,
            progress=tuple(progress_line(case.workflow_version, case.state, case.paused_from))))
    return result
