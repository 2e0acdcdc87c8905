"""The words of the work done with people during a case (DESIGN.md section 1): kinds of contact and their status."""

from __future__ import annotations

from enum import StrEnum


class ActivityKind(StrEnum):
    """Every contact with the people of a case is one of these; a face-to-face meeting is planned apart
    (mediation.models.meeting) and followed by a debrief."""

    PREPARATION_MEETING = "preparation_meeting"
    CALL = "call"
    LETTER = "letter"
    VISIT = "visit"
    CONSULTATION = "consultation"
    DEBRIEF = "debrief"
    # Planned with its visitors, clearances and checklist (mediation.models.meeting), never through the plain form.
    FACE_TO_FACE_MEETING = "face_to_face_meeting"


class ActivityStatus(StrEnum):
    PLANNED = "planned"  # in the calendar; overdue once its time has passed without being recorded
    DONE = "done"
    CANCELLED = "cancelled"
