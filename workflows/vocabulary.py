"""The words of the case workflow: states, modalities, outcomes, sides, relationships, roles, consent, safety."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    REQUESTED = "requested"
    ASSESSMENT = "assessment"
    PREPARATION = "preparation"
    DIALOGUE_FACE_TO_FACE = "dialogue_face_to_face"
    DIALOGUE_WRITTEN = "dialogue_written"
    DIALOGUE_VIDEO = "dialogue_video"
    DIALOGUE_RELAY = "dialogue_relay"
    CLOSING = "closing"
    PAUSED = "paused"
    CLOSED = "closed"


class Modality(StrEnum):
    FACE_TO_FACE = "face_to_face"
    WRITTEN = "written"
    VIDEO = "video"
    RELAY = "relay"

    @property
    def dialogue_state(self) -> CaseState:
        return CaseState(f"dialogue_{self.value}")

    @property
    def carries_messages(self) -> bool:
        return self is not Modality.FACE_TO_FACE


class Outcome(StrEnum):
    INELIGIBLE = "ineligible"
    DECLINED = "declined"
    UNSUITABLE = "unsuitable"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Side(StrEnum):
    HARMED = "harmed"
    RESPONSIBLE = "responsible"


class Relationship(StrEnum):
    VICTIM = "victim"
    REGISTERED_VICTIM = "registered_victim"
    VICTIM_REPRESENTATIVE = "victim_representative"
    VICTIM_FAMILY = "victim_family"
    OFFENDER_FAMILY = "offender_family"
    OFFENDER = "offender"

    @property
    def side(self) -> Side:
        return Side.RESPONSIBLE if self is Relationship.OFFENDER else Side.HARMED

    @property
    def usual_role(self) -> str:
        """The role a person with this relationship takes unless the mediator says otherwise."""
        return "representative" if self is Relationship.VICTIM_REPRESENTATIVE else "primary"


class ParticipantRole(StrEnum):
    """A person's part in the case (DESIGN.md section 6): who must consent, and whose safety gates what."""

    PRIMARY = "primary"  # the harmed party or the person responsible
    REPRESENTATIVE = "representative"  # speaks for a harmed party (e.g. a victim's representative)
    SUPPORT = "support"  # accompanies one person; gates the dialogue only when taking part in a meeting


class Consent(StrEnum):
    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Safety(StrEnum):
    NOT_ASSESSED = "not_assessed"
    CLEARED = "cleared"
    CONCERNS = "concerns"


DIALOGUE_STATES: tuple[CaseState, ...] = tuple(m.dialogue_state for m in Modality)
PAUSABLE_STATES: tuple[CaseState, ...] = (
    CaseState.REQUESTED, CaseState.ASSESSMENT, CaseState.PREPARATION, *DIALOGUE_STATES, CaseState.CLOSING,
)
OPEN_STATES: tuple[CaseState, ...] = (*PAUSABLE_STATES, CaseState.PAUSED)


def modality_of(state: str) -> Modality | None:
    """The modality a dialogue state runs in, or None outside the dialogue."""
    return Modality(state.removeprefix("dialogue_")) if state.startswith("dialogue_") else None


def carries_messages(state: str) -> bool:
    """Messages may be written and delivered only in a written, video or relayed dialogue."""
    modality = modality_of(state)
    return modality is not None and modality.carries_messages
