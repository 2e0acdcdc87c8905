"""The words of what a dialogue is for (DESIGN.md section 1): each person's needs and questions, and the
agreement some dialogues reach, item by item, with its follow-up."""

from __future__ import annotations

from enum import StrEnum


class NeedKind(StrEnum):
    NEED = "need"
    QUESTION = "question"


class NeedStatus(StrEnum):
    OPEN = "open"  # not yet taken up in the dialogue
    ANSWERED = "answered"
    PARTLY_ANSWERED = "partly_answered"
    NOT_ANSWERED = "not_answered"
    WITHDRAWN = "withdrawn"  # the person no longer asks it


class AgreementItemKind(StrEnum):
    APOLOGY = "apology"
    ANSWERS = "answers"  # answers to give
    REPARATION = "reparation"
    COMMITMENT = "commitment"


class AgreementItemStatus(StrEnum):
    OPEN = "open"  # monitored until it is one of the three below
    COMPLETED = "completed"
    PARTLY_COMPLETED = "partly_completed"
    NOT_COMPLETED = "not_completed"


SETTLED_ITEM_STATUSES = (AgreementItemStatus.COMPLETED, AgreementItemStatus.PARTLY_COMPLETED,
                         AgreementItemStatus.NOT_COMPLETED)
