"""Moving a case through its workflow: firing triggers, choosing the modality, listing what may happen next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.case_record import CaseRecord, load_record, save_record
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, Role, User
from mediation.policy import mediates, own_participation, require_may_fire, triggers_for
from mediation.services import messages, reminders_arming
from mediation.services.lookup import case_to_change, normalise_reference, require_version
from mediation.services.people import require_withdrawable
from mediation.statistics import tallies
from workflows.case_workflow import MODALITY_CHOOSABLE_IN, case_workflow
from workflows.vocabulary import CaseState, Modality
from workflows.words import Words, codes

_DETAIL_ARGUMENTS = ("participant_id", "modality", "outcome")


def _record_for(session: Session, actor: User, reference: str) -> CaseRecord:
    record = load_record(session, actor, normalise_reference(reference))
    if record is None:
        raise NotFound("No case %(reference)s was found.", reference=normalise_reference(reference))
    return record


def fire(
    session: Session,
    actor: User,
    reference: str,
    trigger: str,
    *,
    reason: str | None = None,
    participant_id: int | None = None,
    modality: str | None = None,
    outcome: str | None = None,
    expected_version: int | None = None,
    confirmed: bool = False,
) -> CaseRecord:
    """Fire ``trigger`` on the case as ``actor``; the new state and its audit entry commit together.

    A mediator withdraws a participant only on their behalf, once ``confirmed``: the audit then says who acted
    (the mediator) and for whom (``participant_id``, ``on_behalf``). A participant's own withdrawal is theirs.

    This is the hot path (see ``mediation.case_record``): one SELECT, one version-checked UPDATE, one INSERT;
    only a screening decision and a case entering or leaving closed also change the statistics tallies.
    """
    case = _record_for(session, actor, reference)
    workflow = case_workflow(case.workflow_version)
    if trigger not in workflow.definition.triggers:
        raise InvalidInput("Unknown action %(action)s.", action=repr(trigger)[:80])
    if actor.role == Role.PARTICIPANT and participant_id is None:
        mine = own_participation(actor, case)
        participant_id = mine.id if mine is not None else None
    require_may_fire(actor, case, trigger, participant_id)
    on_behalf = trigger == "withdraw" and actor.role == Role.MEDIATOR
    if on_behalf and not confirmed:
        raise InvalidInput("Confirm that you are recording this withdrawal on the participant's behalf.")
    if trigger == "withdraw":
        require_withdrawable(case, participant_id)
    require_version(case, expected_version)
    arguments = {name: value for name, value in
                 (("reason", reason), ("participant_id", participant_id), ("modality", modality),
                  ("outcome", outcome)) if value is not None}
    source = case.state
    workflow.fire(case, trigger, **arguments)
    now = utcnow()
    if case.state == CaseState.CLOSED:
        case.closed_at = now
    elif source == CaseState.CLOSED:
        case.closed_at = None
    details: dict[str, object] = {k: arguments[k] for k in _DETAIL_ARGUMENTS if k in arguments}
    if on_behalf:
        details["on_behalf"] = True
    tag = AuditTag.for_trigger(trigger)
    entry = audit.advance_case_head(case, tag, actor=actor, now=now, from_state=source, to_state=case.state,
                                    reason=reason, details=details)
    save_record(case)
    case.connection.execute(audit.INSERT_ENTRY, entry)
    reminders_arming.case_activity(session, case.id, case.state, case.updated_at, source=source,
                                   closed_at=case.closed_at)
    # The statistics: no query for most triggers (only screening, entering or leaving closed).
    tallies.after_transition(case.connection, case.id, tag, source=source, target=case.state, now=now)
    if case.state == CaseState.CLOSED:
        reason = "case_withdrawn" if trigger == "withdraw" else "case_closed"
        messages.withhold_pending(session, actor, case.id, reason)
    return case


def choose_modality(session: Session, actor: User, reference: str, modality: str,
                    *, expected_version: int | None = None) -> Case:
    """The mediator records the form the dialogue will take, after assessment and before it begins."""
    if modality not in {m.value for m in Modality}:
        raise InvalidInput("Unknown modality %(value)s; choose one of: %(choices)s.", value=repr(modality)[:80],
                           choices=codes([m.value for m in Modality]))
    case = case_to_change(session, actor, reference, allowed=MODALITY_CHOOSABLE_IN, action=Words("choose the modality"),
                          expected_version=expected_version)
    case.modality = modality
    audit.record(session, AuditTag.MODALITY_CHOSEN, actor=actor, now=utcnow(), case=case,
                 details={"modality": modality})
    return case


@dataclass(frozen=True)
class ActionOption:
    """A trigger the actor may fire now, whether its conditions are met, and what it needs from them."""

    trigger: str
    label: str
    ready: bool
    waiting_for: tuple[Words, ...]  # what the guards still wait for, for a page to say
    reasons: tuple[str, ...]
    needs: tuple[str, ...]
    choices: Mapping[str, tuple[str, ...]]


def trigger_status(case: CaseRecord | Case) -> list[tuple[str, tuple[Words, ...]]]:
    """Each trigger of the case's current state with what it still waits for (empty: it can fire now)."""
    workflow = case_workflow(case.workflow_version)
    return [(trigger, tuple(g.explanation_for(case) for g in workflow.unmet_guards(case, trigger,
                                                                                   judge_arguments=False)))
            for trigger in workflow.triggers_from(case.state)]


def actions_for(actor: User, case: CaseRecord | Case) -> list[ActionOption]:
    """Derived from the machine (triggers of the current state) and the actor's role; never a kept list."""
    specs = case_workflow(case.workflow_version).definition.triggers
    allowed = triggers_for(actor)
    if actor.role == Role.MEDIATOR and not mediates(actor, case):
        allowed = frozenset()
    if actor.role == Role.PARTICIPANT and own_participation(actor, case) is None:
        allowed = frozenset()
    options = []
    for trigger, waiting_for in trigger_status(case):
        if trigger not in allowed:
            continue
        spec = specs[trigger]
        needs = tuple(n for n in spec.required if not (actor.role == Role.PARTICIPANT and n == "participant_id"))
        options.append(ActionOption(trigger, spec.label, not waiting_for, waiting_for, spec.reasons, needs,
                                    spec.choices))
    return options


def available_actions(session: Session, actor: User, reference: str) -> list[ActionOption]:
    return actions_for(actor, _record_for(session, actor, reference))
