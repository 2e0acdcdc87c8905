"""The fixed vocabulary of audit events, as ``subject:object:action`` tags. Never free text."""

from __future__ import annotations

from enum import StrEnum


class AuditTag(StrEnum):
    REQUEST_RECEIVED = "case:request:received"
    REFERRAL_RECEIVED = "case:referral:received"
    MEDIATOR_ASSIGNED = "case:assignment:assigned"
    MEDIATOR_REASSIGNED = "case:assignment:reassigned"
    SENTENCE_RECORDED = "case:sentence:recorded"
    ELIGIBILITY_OVERRIDDEN = "case:eligibility:overridden"
    MODALITY_CHOSEN = "case:modality:chosen"
    PARTICIPANT_ADDED = "participant:membership:added"
    CONSENT_RECORDED = "participant:consent:recorded"
    SAFETY_ASSESSED = "participant:safety:assessed"
    USER_CREATED = "user:account:created"
    USER_DEACTIVATED = "user:account:deactivated"
    # One tag per workflow trigger.
    SCREEN = "case:workflow:screen"
    PREPARE = "case:workflow:prepare"
    DECLINE = "case:workflow:decline"
    BEGIN = "case:workflow:begin"
    CHANGE_MODALITY = "case:workflow:change_modality"
    CONCLUDE = "case:workflow:conclude"
    CLOSE = "case:workflow:close"
    PAUSE = "case:workflow:pause"
    RESUME = "case:workflow:resume"
    WITHDRAW = "case:workflow:withdraw"
    REOPEN = "case:workflow:reopen"

    @classmethod
    def for_trigger(cls, trigger: str) -> AuditTag:
        return cls(f"case:workflow:{trigger}")
