"""The circles' vocabulary beside their workflow (workflows.circle_workflow): who stands in the outer circle,
what becomes of a meeting, when minutes are due and how long a year of engagement is."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

# Minutes are due to the coordinator within 48 hours of the meeting (seed 001's programme practice).
MINUTES_DUE_AFTER = timedelta(hours=48)
# The engagement is for one year, renewable each year while the core member wishes.
ENGAGEMENT_YEAR = timedelta(days=365)


class OuterRole(StrEnum):
    """The professionals around a circle: recorded, never shown its content."""

    PAROLE_OFFICER = "parole_officer"
    POLICE_LIAISON = "police_liaison"
    THERAPIST = "therapist"
    OTHER = "other_professional"


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class RenewalWish(StrEnum):
    """What the core member says when the year comes to its end."""

    RENEW = "renew"
    END = "end"


class ScreeningStep(StrEnum):
    """The steps of a volunteer's way in, each recorded with the day it was done."""

    REFERENCES = "references"
    POLICE_CHECK = "police_check"
    INTERVIEW = "interview"
    TRAINING = "training"
