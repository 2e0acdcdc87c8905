"""Errors raised when a rule refuses an action. Their messages are safe to show to the person who acted."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A rule refused what was asked; ``str(error)`` says what is wrong in plain words."""


class TriggerNotAllowed(DomainError):
    """The trigger does not exist in this state of the workflow."""

    def __init__(self, trigger: str, state: str, allowed: Sequence[str], subject: str = "case") -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(allowed)
        choices = ", ".join(self.allowed) if self.allowed else "nothing"
        super().__init__(f"'{trigger}' is not possible while the {subject} is {state}; possible now: {choices}.")


class GuardNotMet(DomainError):
    """The trigger exists in this state but its conditions are not met yet."""

    def __init__(self, trigger: str, unmet: Sequence[str], explanations: Sequence[str]) -> None:
        self.trigger = trigger
        self.unmet = tuple(unmet)
        reasons = "; ".join(explanations)
        super().__init__(f"'{trigger}' cannot happen yet: {reasons}.")


class InvalidArguments(DomainError):
    """A trigger was given missing, unknown or out-of-vocabulary arguments (reason, modality, participant)."""


class UnknownWorkflowVersion(DomainError):
    """A stored case names a workflow version this installation does not have."""


class InvalidSentence(DomainError):
    """Sentence data is malformed; ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("Invalid sentence: " + "; ".join(f"{k}: {v}" for k, v in self.problems.items()))
