"""Safety throughout the case and informed consent (DESIGN.md section 6, workflows.safety).

- A safety assessment records its outcome in clear (``Participant.safety`` is the newest one, which the guards
  read) and its reasons sealed: risk factors, whom the mediator consulted, a note. A concern must say what it
  rests on (at least one risk factor or a note): it holds every delivery and meeting of the dialogue, and whoever
  takes the case over, or reviews it later, must be able to see why.
- Each person acknowledges the limits of confidentiality in the current wording, in the portal or, for someone
  without an account, through their mediator.
- A disclosure the mediator must report is sealed, and pauses the case in the same transaction.

Only the case's mediator reads what is sealed here, and every reading is audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound, WrongState
from mediation.models import (
    ConfidentialityAcknowledgement,
    Disclosure,
    Participant,
    Role,
    SafetyAssessment,
    User,
)
from mediation.models.content import new_record_id
from mediation.policy import own_participation, participant_of, require_active, require_mediator_of
from mediation.services import reminders_arming, workflow
from mediation.services.lookup import case_to_change, find_case, require_version
from workflows.case_guards import gates_dialogue
from workflows.case_workflow import SAFETY_ASSESSABLE_IN
from workflows.errors import GuardNotMet
from workflows.safety import (
    CONFIDENTIALITY_VERSION,
    CONSULTATIONS,
    REPORTABLE_LIMITS,
    RISK_FACTORS,
    meeting_refusals,
    no_safety_concern,
)
from workflows.vocabulary import OPEN_STATES, CaseState, Safety
from workflows.words import Code, Words, codes

MAX_NOTE = 5_000
ASSESSMENT_OUTCOMES = (Safety.CLEARED.value, Safety.CONCERNS.value)


# --- safety assessments -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssessmentView:
    id: str
    participant_id: int
    outcome: str
    risk_factors: tuple[str, ...]
    consultations: tuple[str, ...]
    note: str
    assessed_by_id: int
    assessed_at: datetime


def _assessment_context(assessment: SafetyAssessment) -> RecordContext:
    # Bound to whom it is about: re-pointing an assessment at another participant makes it unreadable.
    return RecordContext(assessment.case_id, "safety", assessment.id, assessment.assessed_by_id,
                         f"details.about-{assessment.participant_id}")


def _chosen(values: Iterable[str], allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """The codes chosen, in the vocabulary's order; an unknown one is refused by name."""
    chosen = set()
    for value in values:
        if value not in allowed:
            raise InvalidInput("Unknown %(what)s %(value)s; choose among: %(allowed)s.", what=what,
                               value=value[:60], allowed=codes(tuple(allowed)))
        chosen.add(value)
    return tuple(code for code in allowed if code in chosen)


def _checked_note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput("The %(field)s is too long (at most %(limit)s characters).", field="note",
                           limit=MAX_NOTE)
    return text


def record_assessment(session: Session, vault: Vault, actor: User, reference: str, *, participant_id: int,
                      outcome: str | None, risk_factors: Iterable[str] = (), consultations: Iterable[str] = (),
                      note: str | None = None, expected_version: int | None = None) -> SafetyAssessment:
    """The mediator assesses one person's safety, in any open step; the newest assessment is their safety."""
    if outcome not in ASSESSMENT_OUTCOMES:
        raise InvalidInput("Choose the outcome of the safety assessment: %(choices)s.",
                           choices=codes(ASSESSMENT_OUTCOMES))
    factors = _chosen(risk_factors, RISK_FACTORS, "risk factor")
    consulted = _chosen(consultations, CONSULTATIONS, "consultation")
    text = _checked_note(note)
    if outcome == Safety.CONCERNS and not (factors or text):
        raise InvalidInput("A concern needs at least one risk factor or a note saying what it rests on.")
    case = case_to_change(session, actor, reference, allowed=SAFETY_ASSESSABLE_IN,
                          action="record a safety assessment", expected_version=expected_version)
    participant = participant_of(case, participant_id)
    now = utcnow()
    assessment = SafetyAssessment(id=new_record_id(), case_id=case.id, participant_id=participant.id,
                                  outcome=outcome, assessed_by_id=actor.id, assessed_at=now)
    details = {"risk_factors": list(factors), "consultations": list(consulted), "note": text}
    assessment.sealed_details = vault.seal_text(session, _assessment_context(assessment), json.dumps(details))
    session.add(assessment)
    participant.safety, participant.safety_assessed_at = outcome, now
    reminders_arming.safety_assessed(session, case.id, participant.id, now)
    audit.record(session, AuditTag.SAFETY_ASSESSED, actor=actor, now=now, case=case,
                 details={"participant_id": participant.id, "safety": outcome})
    return assessment


# --- the limits of confidentiality --------------------------------------------------------------------------

def _checked_version(version: str | None) -> str:
    if version != CONFIDENTIALITY_VERSION:
        raise InvalidInput("The wording of the limits of confidentiality has changed since the page was opened; "
                           "read the current wording and acknowledge it again.")
    return version


def _acknowledge(session: Session, actor: User, case_id: int, participant: Participant, *,
                 by_mediator: bool) -> ConfidentialityAcknowledgement:
    now = utcnow()
    acknowledgement = ConfidentialityAcknowledgement(
        case_id=case_id, participant_id=participant.id, wording_version=CONFIDENTIALITY_VERSION,
        recorded_by_id=actor.id, recorded_by_mediator=by_mediator, acknowledged_at=now)
    session.add(acknowledgement)
    participant.confidentiality_acknowledged = CONFIDENTIALITY_VERSION
    return acknowledgement


def acknowledge_confidentiality(session: Session, actor: User, reference: str, *,
                                version: str | None) -> ConfidentialityAcknowledgement:
    """A participant says, in the portal, that they understood the limits of confidentiality they were shown."""
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("Only a participant acknowledges the limits of confidentiality for themselves.")
    _checked_version(version)
    case = find_case(session, actor, reference, lock=True)
    mine = own_participation(actor, case)
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    if case.state not in OPEN_STATES:
        raise WrongState("This process has ended; there is nothing to acknowledge.")
    acknowledgement = _acknowledge(session, actor, case.id, mine, by_mediator=False)
    audit.record(session, AuditTag.CONFIDENTIALITY_ACKNOWLEDGED, actor=actor, now=acknowledgement.acknowledged_at,
                 case=case, details={"participant_id": mine.id, "wording_version": CONFIDENTIALITY_VERSION,
                                     "for_them": False})
    return acknowledgement


def record_acknowledgement_for(session: Session, actor: User, reference: str, *, participant_id: int,
                               version: str | None,
                               expected_version: int | None = None) -> ConfidentialityAcknowledgement:
    """The mediator records that a person without a portal account acknowledged the limits of confidentiality
    they read to them (or gave them on paper); it shows as recorded by the mediator for them."""
    _checked_version(version)
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES,
                          action="record an acknowledgement", expected_version=expected_version)
    participant = participant_of(case, participant_id)
    if participant.user_id is not None:
        raise InvalidInput("This person has a portal account: they acknowledge the limits of confidentiality "
                           "themselves, on their own page.")
    acknowledgement = _acknowledge(session, actor, case.id, participant, by_mediator=True)
    audit.record(session, AuditTag.CONFIDENTIALITY_ACKNOWLEDGED, actor=actor, now=acknowledgement.acknowledged_at,
                 case=case, details={"participant_id": participant.id, "wording_version": CONFIDENTIALITY_VERSION,
                                     "for_them": True})
    return acknowledgement


@dataclass(frozen=True)
class MyConfidentiality:
    """What a participant's page on the limits of confidentiality shows them."""

    reference: str
    version: str
    acknowledged: bool
    is_open: bool


def my_confidentiality(session: Session, actor: User, reference: str) -> MyConfidentiality:
    require_active(actor)
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    return MyConfidentiality(case.reference, CONFIDENTIALITY_VERSION,
                             mine.confidentiality_acknowledged == CONFIDENTIALITY_VERSION, case.state in OPEN_STATES)


# --- disclosures that must be reported ----------------------------------------------------------------------

@dataclass(frozen=True)
class DisclosureView:
    id: str
    participant_id: int | None
    category: str
    note: str
    recorded_by_id: int
    recorded_at: datetime


def _disclosure_context(disclosure: Disclosure) -> RecordContext:
    return RecordContext(disclosure.case_id, "disclosure", disclosure.id, disclosure.recorded_by_id,
                         f"details.about-{disclosure.participant_id}")


def record_disclosure(session: Session, vault: Vault, actor: User, reference: str, *, participant_id: int | None,
                      category: str | None, note: str | None,
                      expected_version: int | None = None) -> Disclosure:
    """The mediator records something said that they must report; the case pauses at once (unless it is already
    paused), in the same transaction, so nothing moves until the mediator resumes it."""
    if category not in REPORTABLE_LIMITS:
        raise InvalidInput("Choose which limit of confidentiality the disclosure falls under: %(choices)s.",
                           choices=codes(REPORTABLE_LIMITS))
    text = _checked_note(note)
    if not text:
        raise InvalidInput("Say in a note what was disclosed and what you will report.")
    case = find_case(session, actor, reference, lock=True)
    require_mediator_of(actor, case)
    require_version(case, expected_version)
    if case.state not in OPEN_STATES:
        raise WrongState("A disclosure is recorded on an open case; this one is %(state)s.",
                         state=Code(case.state))
    if participant_id is not None:
        participant_of(case, participant_id)
    disclosure = Disclosure(id=new_record_id(), case_id=case.id, participant_id=participant_id,
                            recorded_by_id=actor.id, recorded_at=utcnow())
    disclosure.sealed_details = vault.seal_text(session, _disclosure_context(disclosure),
                                                json.dumps({"category": category, "note": text}))
    session.add(disclosure)
    audit.record_content(session, AuditTag.DISCLOSURE_RECORDED, case_id=case.id, actor=actor,
                         now=disclosure.recorded_at, details={"participant_id": participant_id})
    if case.state != CaseState.PAUSED:
        # The hot path reads the row afresh; this transaction holds its lock, so nothing slips in between.
        workflow.fire(session, actor, case.reference, "pause", reason="mandatory_report")
    return disclosure


# --- reading what is sealed ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SafetyRecord:
    """Everything sealed about a case's safety, for its mediator: assessments newest first, and disclosures."""

    assessments: list[AssessmentView]
    disclosures: list[DisclosureView]

    def history_of(self, participant_id: int) -> list[AssessmentView]:
        return [a for a in self.assessments if a.participant_id == participant_id]


def safety_record(session: Session, vault: Vault, actor: User, reference: str) -> SafetyRecord:
    """The case's assessments and disclosures, opened for its mediator only; the reading is audited."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    assessments = []
    for a in session.scalars(select(SafetyAssessment).where(SafetyAssessment.case_id == case.id)
                             .order_by(SafetyAssessment.assessed_at.desc(), SafetyAssessment.id)):
        details = json.loads(vault.open_text(session, _assessment_context(a), a.sealed_details))
        assessments.append(AssessmentView(a.id, a.participant_id, a.outcome, tuple(details["risk_factors"]),
                                          tuple(details["consultations"]), details["note"], a.assessed_by_id,
                                          a.assessed_at))
    disclosures = []
    for d in session.scalars(select(Disclosure).where(Disclosure.case_id == case.id)
                             .order_by(Disclosure.recorded_at.desc(), Disclosure.id)):
        details = json.loads(vault.open_text(session, _disclosure_context(d), d.sealed_details))
        disclosures.append(DisclosureView(d.id, d.participant_id, details["category"], details["note"],
                                          d.recorded_by_id, d.recorded_at))
    if assessments or disclosures:
        audit.record_content(session, AuditTag.SAFETY_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"assessments": len(assessments), "disclosures": len(disclosures)})
    return SafetyRecord(assessments, disclosures)


# --- what the mediator's case page shows ---------------------------------------------------------------------

@dataclass(frozen=True)
class PersonSafety:
    participant_id: int
    side: str
    relationship: str
    safety: str
    assessed_at: datetime | None
    acknowledged: bool  # the current wording of the limits of confidentiality
    has_account: bool
    in_dialogue: bool  # their consent and safety gate the dialogue (workflows.case_guards.gates_dialogue)


@dataclass(frozen=True)
class SafetyPanel:
    """Outcomes and acknowledgements only: nothing sealed is opened to draw the case page."""

    reference: str
    version: int
    is_open: bool
    wording_version: str
    people: list[PersonSafety]
    risk_factors: tuple[str, ...] = RISK_FACTORS
    consultations: tuple[str, ...] = CONSULTATIONS
    limits: tuple[str, ...] = REPORTABLE_LIMITS


def safety_panel(session: Session, actor: User, reference: str) -> SafetyPanel:
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    people = [PersonSafety(p.id, p.side, p.relationship_to_case, p.safety, p.safety_assessed_at,
                           p.confidentiality_acknowledged == CONFIDENTIALITY_VERSION, p.user_id is not None,
                           gates_dialogue(p)) for p in case.participants]
    return SafetyPanel(case.reference, case.version, case.state in OPEN_STATES, CONFIDENTIALITY_VERSION, people)


def delivery_hold(session: Session, actor: User, reference: str) -> Words | None:
    """Why nothing can be delivered on this case now (a safety concern, naming who), for its mediator's review
    page; None when nothing is held for safety."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    return None if no_safety_concern.holds(case) else no_safety_concern.explanation_for(case)


HOLD_MEETING = "hold_meeting"  # the action a future meeting service names (web/labels.py labels it)


# --- meetings -----------------------------------------------------------------------------------------------

def require_safe_to_meet(session: Session, actor: User, reference: str) -> None:
    """Refuse, naming who and why, a meeting while anyone in the dialogue has a safety concern.

    Not yet called by a page: the service that holds a meeting (activities and meetings, issue 9) calls it in its
    own transaction, after locking the case, before recording the meeting as held.
    """
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    refusals = meeting_refusals(case)
    if refusals:
        raise GuardNotMet(HOLD_MEETING, [g.name for g in refusals], [g.explanation_for(case) for g in refusals])
