"""A referral to a partner organisation's service, with the person's consent (DESIGN.md section 7; issue 11).

A worker of one organisation (in any programme, or none) refers a person to a service a partner organisation
lists in the directory, sharing only the fields the person consented to share. Each side audits every step.

States (``ReferralState``):

- ``draft``: the referring worker prepares it; the partner sees nothing.
- ``sent``: the partner received it; it ``accept``s it or ``decline``s it with a reason.
- ``accepted``: the partner took it on; ``start`` when the work begins.
- ``in_progress``: the partner works with the person; ``complete`` (with an outcome) or ``end`` (with an
  outcome: the person stopped, moved away...).
- ``declined``, ``completed``, ``ended``, ``withdrawn``: over.

Either side can ``withdraw`` while it is open (the partner only once it has received it); the argument ``side``
says which. Withdrawing the person's consent is not a step of the referral: it hides the shared fields from
the partner from then on (``fields_for_partner``) and stops a draft from being sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Protocol

from workflows.engine import (
    Arguments,
    Effect,
    Guard,
    SharedWorkflow,
    TransitionContext,
    TransitionSpec,
    TriggerSpec,
    Versions,
    WorkflowDefinition,
)
from workflows.errors import InvalidArguments, UnknownWorkflowVersion
from workflows.words import Words, codes

REFERRAL_WORKFLOW_VERSION = "referral-1"

# The kinds of help partner organisations list in the directory: a fixed vocabulary, never free text.
SERVICE_KINDS = ("housing", "employment", "education", "addiction", "mental_health", "health",
                 "debt_and_finances", "legal", "family", "spiritual_care", "restorative_justice",
                 "sexual_offending_treatment")
# Whom a service takes: people still in custody, after release, or both.
CUSTODY_STAGES = ("in_custody", "after_release", "both")
# What a referral may share, each only with the person's consent to that field.
SHAREABLE_FIELDS = ("name", "date_of_birth", "contact", "language", "release_date", "needs_summary",
                    "risk_summary", "programme_progress")
SIDES = ("referring", "receiving")

DECLINE_REASONS = ("no_capacity", "outside_criteria", "not_in_area", "service_not_suitable",
                   "person_unreachable", "other")
COMPLETION_OUTCOMES = ("goal_met", "goal_partly_met")
END_OUTCOMES = ("person_stopped", "no_longer_eligible", "moved_away", "returned_to_custody", "no_contact",
                "other")


class ReferralState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ENDED = "ended"
    WITHDRAWN = "withdrawn"


OPEN_STATES = (ReferralState.DRAFT, ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)
# Where the partner has the referral: it may act on it and, with consent, read its shared fields.
WITH_PARTNER = (ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)


class ReferralFacts(Protocol):
    state: str
    outcome: str | None
    withdrawn_by: str | None  # "referring" or "receiving", once withdrawn
    service_offered: bool  # the partner lists this kind of help (and takes people at the person's stage)
    shared_fields: frozenset[str]  # what the worker chose to share
    consented_fields: frozenset[str]  # what the person consented to share (under the recorded wording)
    consent_active: bool  # False once the person withdrew their consent


def check_choice(value: Any, allowed: Iterable[str], what: Words) -> str:
    """``value`` if it is one of ``allowed``; otherwise a refusal that names the choices."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise InvalidArguments("%(value)s is not a known %(what)s; choose one of: %(choices)s.",
                               value=repr(value)[:80], what=what, choices=codes(allowed))
    return value


def check_fields(fields: Iterable[Any]) -> frozenset[str]:
    """The shareable fields named, each checked against the vocabulary."""
    return frozenset(check_choice(f, SHAREABLE_FIELDS, Words("field to share")) for f in fields)


def fields_without_consent(referral: ReferralFacts) -> frozenset[str]:
    """What the worker chose to share that the person did not consent to share."""
    return referral.shared_fields - referral.consented_fields if referral.consent_active else referral.shared_fields


def fields_for_partner(referral: ReferralFacts) -> frozenset[str]:
    """The fields the partner may read now: those shared with consent, while the partner has the referral and
    the person has not withdrawn their consent; nothing otherwise."""
    if referral.state not in WITH_PARTNER or not referral.consent_active:
        return frozenset()
    return referral.shared_fields & referral.consented_fields


def _explain_consent(referral: ReferralFacts, _: Arguments) -> Words:
    if not referral.consent_active:
        return consent_active.explanation
    return Words("the person has not consented to share: %(fields)s",
                 fields=codes(sorted(fields_without_consent(referral))))


service_offered = Guard("service_offered", "the partner organisation does not offer this kind of help",
                        lambda referral, _: bool(referral.service_offered))
consent_active = Guard("consent_active", "the person has withdrawn their consent to this referral",
                       lambda referral, _: bool(referral.consent_active))
consent_covers_fields = Guard(
    "consent_covers_fields", "the person has not consented to share every field chosen",
    lambda referral, _: not fields_without_consent(referral), explain=_explain_consent)
referrer_withdraws_draft = Guard(
    "referrer_withdraws_draft",
    "the partner has not received this referral yet: only the referring worker can withdraw it",
    lambda _, arguments: arguments.get("side") == "referring", uses_arguments=True)

REFERRAL_TRIGGERS: dict[str, TriggerSpec] = {
    spec.name: spec
    for spec in (
        TriggerSpec("send", "Send the referral"),
        TriggerSpec("accept", "Accept the referral"),
        TriggerSpec("decline", "Decline the referral", reasons=DECLINE_REASONS),
        TriggerSpec("start", "Start the work"),
        TriggerSpec("complete", "Record it completed", reasons=COMPLETION_OUTCOMES),
        TriggerSpec("end", "End the referral", reasons=END_OUTCOMES),
        TriggerSpec("withdraw", "Withdraw the referral", required=("side",), choices={"side": SIDES}),
    )
}


def _outcome(referral: Any, context: TransitionContext) -> None:
    referral.outcome = context.arguments.get("reason")


def _withdrawn(referral: Any, context: TransitionContext) -> None:
    referral.withdrawn_by = context.arguments["side"]


def _transitions() -> tuple[TransitionSpec, ...]:
    s = ReferralState
    record: tuple[Effect, ...] = (_outcome,)
    specs = [
        TransitionSpec("send", s.DRAFT, s.SENT, guards=(service_offered, consent_active, consent_covers_fields)),
        TransitionSpec("accept", s.SENT, s.ACCEPTED),
        TransitionSpec("decline", s.SENT, s.DECLINED, effects=record),
        TransitionSpec("start", s.ACCEPTED, s.IN_PROGRESS),
        TransitionSpec("complete", s.IN_PROGRESS, s.COMPLETED, effects=record),
        TransitionSpec("withdraw", s.DRAFT, s.WITHDRAWN, guards=(referrer_withdraws_draft,), effects=(_withdrawn,)),
    ]
    specs += [TransitionSpec("end", state, s.ENDED, effects=record) for state in (s.ACCEPTED, s.IN_PROGRESS)]
    specs += [TransitionSpec("withdraw", state, s.WITHDRAWN, effects=(_withdrawn,)) for state in WITH_PARTNER]
    return tuple(specs)


REFERRAL_WORKFLOW = WorkflowDefinition(
    name="referral to a partner",
    subject="referral",
    version=REFERRAL_WORKFLOW_VERSION,
    states=tuple(ReferralState),
    initial=ReferralState.DRAFT,
    final_states=(ReferralState.DECLINED, ReferralState.COMPLETED, ReferralState.ENDED, ReferralState.WITHDRAWN),
    triggers=REFERRAL_TRIGGERS,
    transitions=_transitions(),
)

_VERSIONS = Versions(REFERRAL_WORKFLOW)
REFERRAL_DEFINITIONS = _VERSIONS.definitions


def referral_workflow(version: str = REFERRAL_WORKFLOW_VERSION) -> SharedWorkflow:
    """The process-wide machine for ``version``; a referral keeps the version it started under."""
    return _VERSIONS.machine(version, lambda: UnknownWorkflowVersion(
        "this referral runs under workflow version %(version)s, which this installation does not know; "
        "known versions: %(known)s", version=repr(version), known=_VERSIONS.known))
