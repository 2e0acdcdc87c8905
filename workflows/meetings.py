"""The words and rules of a face-to-face meeting (issue 9, item 2): where it is held, who is a visitor there,
security clearances, and the checklist that must be complete before the meeting can be held.

Pure rules over plain facts: mediation.services.meetings reads the rows and asks these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from workflows.vocabulary import CaseState, ParticipantRole, Side
from workflows.words import Words


class Venue(StrEnum):
    INSTITUTION = "institution"  # the institution where the person responsible is held
    OTHER_PLACE = "other_place"  # a room somewhere else (a community centre...), never a person's address


class Clearance(StrEnum):
    """A visitor's security clearance for the place of the meeting."""

    NOT_REQUESTED = "not_requested"
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class ChecklistItem(StrEnum):
    CLEARANCES_GRANTED = "clearances_granted"
    SAFETY_PLAN_RECORDED = "safety_plan_recorded"
    EVERYONE_PREPARED = "everyone_prepared"
    EVERYONE_CONFIRMED = "everyone_confirmed"


# A meeting is planned while the dialogue is prepared or runs face to face, and held only in the dialogue.
PLANNABLE_IN: tuple[CaseState, ...] = (CaseState.PREPARATION, CaseState.DIALOGUE_FACE_TO_FACE)
HOLDABLE_IN: tuple[CaseState, ...] = (CaseState.DIALOGUE_FACE_TO_FACE,)


def held_there(venue: str, side: str, role: str) -> bool:
    """Whether a person lives at the place of the meeting (and so needs no clearance to enter it): the person
    responsible, in person, when the meeting is at their institution."""
    return venue == Venue.INSTITUTION and side == Side.RESPONSIBLE and role == ParticipantRole.PRIMARY


@dataclass(frozen=True)
class PersonReadiness:
    """What the checklist reads of one person at the meeting; ``who`` names them without a name."""

    who: Words
    clearance: str | None  # None: not a visitor (held there)
    prepared: bool | None  # None: not asked of them (a mediator)
    confirmed: bool | None


@dataclass(frozen=True)
class ChecklistLine:
    item: ChecklistItem
    done: bool
    missing: Words | None  # what is missing, in words, when not done


def checklist(people: Sequence[PersonReadiness], safety_plan_recorded: bool) -> list[ChecklistLine]:
    """The four lines of the checklist in order, each saying who or what it is still waiting for."""
    not_cleared = tuple(p.who for p in people if p.clearance is not None and p.clearance != Clearance.GRANTED)
    unprepared = tuple(p.who for p in people if p.prepared is False)
    unconfirmed = tuple(p.who for p in people if p.confirmed is False)
    return [
        ChecklistLine(ChecklistItem.CLEARANCES_GRANTED, not not_cleared,
                      Words("no security clearance granted yet for %(people)s", people=not_cleared)
                      if not_cleared else None),
        ChecklistLine(ChecklistItem.SAFETY_PLAN_RECORDED, safety_plan_recorded,
                      None if safety_plan_recorded else Words("no safety plan is recorded")),
        ChecklistLine(ChecklistItem.EVERYONE_PREPARED, not unprepared,
                      Words("not yet prepared: %(people)s", people=unprepared) if unprepared else None),
        ChecklistLine(ChecklistItem.EVERYONE_CONFIRMED, not unconfirmed,
                      Words("not yet confirmed: %(people)s", people=unconfirmed) if unconfirmed else None),
    ]


def missing_from(lines: Sequence[ChecklistLine]) -> list[Words]:
    """What the checklist still waits for, in words; empty when it is complete."""
    return [line.missing for line in lines if line.missing is not None]


MEDIATOR = Words("the mediator")
CO_MEDIATOR = Words("the co-mediator")
