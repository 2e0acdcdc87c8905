"""Safety throughout the dialogue and informed consent (DESIGN.md sections 1 and 6), as words and guards.

A person is not assessed until the mediator records an assessment. A concern on anyone in the dialogue holds
what would bring the two sides closer: delivering a message or a video, beginning or changing to a face-to-face
dialogue, holding a meeting. Before a dialogue begins, everyone in it acknowledges the limits of confidentiality
in the wording current at the time; a disclosure the mediator must report pauses the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from workflows.case_guards import CaseFacts, ParticipantFacts, dialogue_members
from workflows.engine import Arguments, Guard
from workflows.vocabulary import ParticipantRole, Safety
from workflows.words import Code, Words

# What the mediator weighs in a safety assessment (DESIGN.md section 1 and the mediators' practice).
RISK_FACTORS = ("threats", "no_contact_condition", "mental_health", "substance_use", "power_imbalance",
                "institutional_security", "self_harm", "other_risk")
# Whom the mediator consulted before deciding.
CONSULTATIONS = ("parole_officer", "psychologist", "institutional_security", "victim_services")
# What a mediator must report, whatever was said in confidence: the limits of confidentiality.
REPORTABLE_LIMITS = ("serious_harm", "new_offence", "child_protection", "institutional_security")

# The wording of the limits of confidentiality people acknowledge; a new wording gets a new version, and
# everyone who has not acknowledged it acknowledges it again before a dialogue begins.
CONFIDENTIALITY_VERSION = "confidentiality-2026-12"


class PersonFacts(ParticipantFacts, Protocol):
    supports_participant_id: int | None
    confidentiality_acknowledged: str | None


def person_named(person: ParticipantFacts) -> Words:
    """Who someone is in the case, by role and side, never by name: what a refusal may say of them."""
    side = Code(person.side)
    number = str(person.id)
    if person.role == ParticipantRole.SUPPORT:
        return Words("the %(side)s's support person (#%(number)s)", side=side, number=number)
    if person.role == ParticipantRole.REPRESENTATIVE:
        return Words("the %(side)s's representative (#%(number)s)", side=side, number=number)
    return Words("the %(side)s (#%(number)s)", side=side, number=number)


def people_with_concerns(case: CaseFacts) -> list[ParticipantFacts]:
    """Everyone in the dialogue whose current safety assessment records a concern."""
    return [p for p in dialogue_members(case) if p.safety == Safety.CONCERNS]


def people_without_acknowledgement(case: CaseFacts, version: str = CONFIDENTIALITY_VERSION) -> list[Any]:
    """Everyone in the dialogue who has not acknowledged the current wording of the limits of confidentiality."""
    return [p for p in dialogue_members(case) if getattr(p, "confidentiality_acknowledged", None) != version]


def _concern_refusal(case: CaseFacts, _: Arguments) -> Words:
    return Words("a safety concern is recorded for %(people)s",
                 people=tuple(person_named(p) for p in people_with_concerns(case)))


def _acknowledgement_refusal(case: CaseFacts, _: Arguments) -> Words:
    return Words("the limits of confidentiality (%(version)s) are not yet acknowledged by %(people)s",
                 people=tuple(person_named(p) for p in people_without_acknowledgement(case)),
                 version=CONFIDENTIALITY_VERSION)


no_safety_concern = Guard(
    "no_safety_concern", "a safety concern is recorded for someone in the dialogue",
    lambda case, _: not people_with_concerns(case), explain=_concern_refusal)
confidentiality_acknowledged = Guard(
    "confidentiality_acknowledged", "not everyone in the dialogue has acknowledged the limits of confidentiality",
    lambda case, _: not people_without_acknowledgement(case), explain=_acknowledgement_refusal)

# What holding a meeting waits for (issue 9's meeting service fires its check through ``meeting_refusals``).
MEETING_GUARDS: tuple[Guard, ...] = (no_safety_concern,)


def meeting_refusals(case: CaseFacts) -> Sequence[Guard]:
    """The guards that keep a meeting from being held now; empty when it may be held."""
    return tuple(g for g in MEETING_GUARDS if not g.holds(case))
