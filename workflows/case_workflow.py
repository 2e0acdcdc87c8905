"""The victim-offender mediation case workflow (DESIGN.md section 2), as data for one shared machine."""

from __future__ import annotations

from typing import Any

from workflows.agreements import agreement_items_settled
from workflows.case_guards import (
    all_consented,
    both_sides_present,
    modality_changes,
    modality_chosen,
    modality_is,
    participant_on_case,
    paused_from_is,
    requested_modality_is,
    safety_cleared,
    sentence_qualifies,
    sentence_recorded,
    was_withdrawn,
    withdrawn_after_screening,
)
from workflows.engine import (
    Guard,
    SharedWorkflow,
    TransitionContext,
    TransitionSpec,
    TriggerSpec,
    Versions,
    WorkflowDefinition,
)
from workflows.errors import UnknownWorkflowVersion
from workflows.safety import confidentiality_acknowledged, no_safety_concern
from workflows.vocabulary import (
    DIALOGUE_STATES,
    OPEN_STATES,
    PAUSABLE_STATES,
    CaseState,
    Consent,
    Modality,
    Outcome,
    Safety,
)

CASE_WORKFLOW_VERSION = "vom-1"

PAUSE_REASONS = ("safety_concern", "wellbeing", "participant_request", "institutional_constraint",
                 "mediator_unavailable", "mandatory_report", "other")
DECLINE_REASONS = ("participant_not_ready", "responsibility_not_accepted", "safety_risk",
                   "needs_cannot_be_met", "other")
WITHDRAW_REASONS = ("participant_choice", "safety_concern", "wellbeing", "other")
CLOSE_REASONS = ("dialogue_completed", "needs_addressed", "no_further_contact_wanted", "other")

TRIGGERS: dict[str, TriggerSpec] = {
    spec.name: spec
    for spec in (
        TriggerSpec("screen", "Check eligibility"),
        TriggerSpec("prepare", "Move to preparation"),
        TriggerSpec("decline", "Decline the case", reasons=DECLINE_REASONS, required=("outcome",),
                    choices={"outcome": (Outcome.DECLINED.value, Outcome.UNSUITABLE.value)}),
        TriggerSpec("begin", "Begin the dialogue"),
        TriggerSpec("change_modality", "Change the modality", required=("modality",),
                    choices={"modality": tuple(m.value for m in Modality)}),
        TriggerSpec("conclude", "Conclude the dialogue"),
        TriggerSpec("close", "Close the case", reasons=CLOSE_REASONS),
        TriggerSpec("pause", "Pause the case", reasons=PAUSE_REASONS),
        TriggerSpec("resume", "Resume the case"),
        TriggerSpec("withdraw", "Withdraw", reasons=WITHDRAW_REASONS, required=("participant_id",)),
        TriggerSpec("reopen", "Reopen at a participant's request", required=("participant_id",)),
    )
}


def _remember_pause_origin(case: Any, context: TransitionContext) -> None:
    case.paused_from = context.source


def _forget_pause_origin(case: Any, _: TransitionContext) -> None:
    case.paused_from = None


def _mark_ineligible(case: Any, _: TransitionContext) -> None:
    case.outcome = Outcome.INELIGIBLE.value


def _record_decline(case: Any, context: TransitionContext) -> None:
    case.outcome = context.arguments["outcome"]


def _record_completion(case: Any, _: TransitionContext) -> None:
    case.outcome = Outcome.COMPLETED.value


def _record_withdrawal(case: Any, context: TransitionContext) -> None:
    """Close on the participant's word; their consent is withdrawn; remember where, so a reopening resumes there."""
    who = context.arguments["participant_id"]
    case.outcome = Outcome.WITHDRAWN.value
    case.withdrawn_by_participant_id = who
    case.withdrawn_from = case.paused_from if context.source == CaseState.PAUSED else context.source
    case.paused_from = None
    for participant in case.participant_facts:
        if participant.id == who:
            participant.consent = Consent.WITHDRAWN.value


def _record_reopening(case: Any, _: TransitionContext) -> None:
    """Reopen where the case can go on; whoever withdrew must consent again before any dialogue, and everyone
    is assessed again (their earlier assessments stay in the history)."""
    case.outcome = None
    case.withdrawn_by_participant_id = None
    case.withdrawn_from = None
    for participant in case.participant_facts:
        if participant.consent == Consent.WITHDRAWN:
            participant.consent = Consent.PENDING.value
        participant.safety = Safety.NOT_ASSESSED.value


def _switch_modality(case: Any, context: TransitionContext) -> None:
    case.modality = context.arguments["modality"]


def _safe_to_meet(modality: Modality) -> tuple[Guard, ...]:
    """The dialogue is never switched to face to face while anyone in it has a safety concern (nor does any
    dialogue begin then: ``begin`` names the concern beside ``safety_cleared``)."""
    return (no_safety_concern,) if modality is Modality.FACE_TO_FACE else ()


def _resuming_safely(state: CaseState) -> tuple[Guard, ...]:
    return _safe_to_meet(Modality.FACE_TO_FACE) if state == CaseState.DIALOGUE_FACE_TO_FACE else ()


def _transitions() -> tuple[TransitionSpec, ...]:
    s = CaseState
    specs: list[TransitionSpec] = [
        TransitionSpec("screen", s.REQUESTED, s.ASSESSMENT, guards=(sentence_recorded, sentence_qualifies)),
        TransitionSpec("screen", s.REQUESTED, s.CLOSED, guards=(sentence_recorded,), unless=(sentence_qualifies,),
                       effects=(_mark_ineligible,)),
        TransitionSpec("prepare", s.ASSESSMENT, s.PREPARATION,
                       guards=(both_sides_present, all_consented, safety_cleared)),
        TransitionSpec("decline", s.ASSESSMENT, s.CLOSED, effects=(_record_decline,)),
    ]
    specs += [
        TransitionSpec("begin", s.PREPARATION, m.dialogue_state,
                       guards=(modality_chosen, modality_is(m), all_consented, safety_cleared,
                               no_safety_concern, confidentiality_acknowledged))
        for m in Modality
    ]
    specs += [
        TransitionSpec("change_modality", source.dialogue_state, target.dialogue_state,
                       guards=(modality_changes, requested_modality_is(target), *_safe_to_meet(target)),
                       effects=(_switch_modality,))
        for source in Modality for target in Modality if source is not target
    ]
    specs += [TransitionSpec("conclude", d, s.CLOSING) for d in DIALOGUE_STATES]
    # Closing says what becomes of every agreement item still open (mediation.services.closure settles them first).
    specs.append(TransitionSpec("close", s.CLOSING, s.CLOSED, guards=(agreement_items_settled,),
                                effects=(_record_completion,)))
    specs += [TransitionSpec("pause", p, s.PAUSED, effects=(_remember_pause_origin,)) for p in PAUSABLE_STATES]
    # Resuming a face-to-face dialogue brings people together again: not while anyone in it has a concern.
    specs += [TransitionSpec("resume", s.PAUSED, p, effects=(_forget_pause_origin,),
                             guards=(paused_from_is(p), *_resuming_safely(p)))
              for p in PAUSABLE_STATES]
    specs += [TransitionSpec("withdraw", o, s.CLOSED, guards=(participant_on_case,), effects=(_record_withdrawal,))
              for o in OPEN_STATES]
    # A case withdrawn before screening goes back to be screened; any other resumes at assessment.
    specs.append(TransitionSpec("reopen", s.CLOSED, s.ASSESSMENT,
                                guards=(was_withdrawn, withdrawn_after_screening, participant_on_case),
                                effects=(_record_reopening,)))
    specs.append(TransitionSpec("reopen", s.CLOSED, s.REQUESTED, guards=(was_withdrawn, participant_on_case),
                                unless=(withdrawn_after_screening,), effects=(_record_reopening,)))
    return tuple(specs)


CASE_WORKFLOW = WorkflowDefinition(
    name="victim-offender mediation",
    subject="case",
    version=CASE_WORKFLOW_VERSION,
    states=tuple(CaseState),
    initial=CaseState.REQUESTED,
    final_states=(CaseState.CLOSED,),
    triggers=TRIGGERS,
    transitions=_transitions(),
)

_VERSIONS = Versions(CASE_WORKFLOW)
_DEFINITIONS = _VERSIONS.definitions


def case_workflow(version: str = CASE_WORKFLOW_VERSION) -> SharedWorkflow:
    """The process-wide machine for ``version``; a case keeps the version it started under."""
    return _VERSIONS.machine(version, lambda: UnknownWorkflowVersion(
        "this case runs under workflow version %(version)s, which this installation does not know; "
        "known versions: %(known)s", version=repr(version), known=_VERSIONS.known))


# Where the non-trigger actions of a case are possible.
BEFORE_DIALOGUE = (CaseState.REQUESTED, CaseState.ASSESSMENT, CaseState.PREPARATION)
SENTENCE_RECORDABLE_IN = (CaseState.REQUESTED,)
MODALITY_CHOOSABLE_IN = (CaseState.ASSESSMENT, CaseState.PREPARATION)
PARTICIPANTS_JOIN_IN = BEFORE_DIALOGUE
CONSENT_RECORDABLE_IN = BEFORE_DIALOGUE
SAFETY_ASSESSABLE_IN = OPEN_STATES
