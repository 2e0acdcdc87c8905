"""The words of what a dialogue is for (DESIGN.md section 1): each person's needs and questions, and the
agreement some dialogues reach, item by item, with its follow-up."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from workflows.engine import Arguments, Guard
from workflows.words import Words


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
    HANDED_OVER = "handed_over"  # open at closure, handed over to someone who follows it after the case


SETTLED_ITEM_STATUSES = (AgreementItemStatus.COMPLETED, AgreementItemStatus.PARTLY_COMPLETED,
                         AgreementItemStatus.NOT_COMPLETED)
# What becomes of an item still open when the case closes: its final status, or handed over (with a note).
CLOSURE_DISPOSITIONS = (*SETTLED_ITEM_STATUSES, AgreementItemStatus.HANDED_OVER)


def _items_settled(case: Any, _: Arguments) -> bool:
    return int(case.open_agreement_items) == 0


def _open_items_refusal(case: Any, _: Arguments) -> Words:
    return Words("%(count)s agreement item(s) are still open: say what becomes of each in the closing form",
                 count=str(case.open_agreement_items))


agreement_items_settled = Guard(
    "agreement_items_settled", "agreement items are still open: say what becomes of each in the closing form",
    _items_settled, explain=_open_items_refusal)


# Where each piece of the dialogue's work can be recorded (states of workflows.vocabulary.CaseState).
NEEDS_RECORDABLE_IN = ("assessment", "preparation", "dialogue_face_to_face", "dialogue_written", "dialogue_video",
                       "dialogue_relay", "closing", "paused")
AGREEMENT_RECORDABLE_IN = ("dialogue_face_to_face", "dialogue_written", "dialogue_video", "dialogue_relay",
                           "closing")
FOLLOW_UP_IN = (*AGREEMENT_RECORDABLE_IN, "paused")
