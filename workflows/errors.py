"""Errors raised when a rule refuses an action. Their messages are safe to show to the person who acted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workflows.words import Code, Param, Words, codes


class DomainError(Exception):
    """A rule refused what was asked; ``str(error)`` says what is wrong in plain English words, and ``words``
    carries the same sentence as a template and parameters, for a page to say in the reader's language.

    Raise it with a literal template and its parameters, never a formatted string, so the template can be
    translated: ``InvalidInput("Unknown relationship %(value)s.", value=raw)``.
    """

    def __init__(self, text: str | Words = "", /, **params: Param) -> None:
        self.words = text if isinstance(text, Words) else Words(text, **params)
        super().__init__(str(self.words))


class TriggerNotAllowed(DomainError):
    """The trigger does not exist in this state of the workflow."""

    def __init__(self, trigger: str, state: str, allowed: Sequence[str], subject: str = "case") -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(allowed)
        super().__init__(Words("'%(action)s' is not possible while the %(subject)s is %(state)s; possible now: "
                               "%(allowed)s.", action=Code(trigger), subject=Code(subject), state=Code(state),
                               allowed=codes(self.allowed) if self.allowed else Words("nothing")))


class GuardNotMet(DomainError):
    """The trigger exists in this state but its conditions are not met yet."""

    def __init__(self, trigger: str, unmet: Sequence[str], explanations: Sequence[str | Words]) -> None:
        self.trigger = trigger
        self.unmet = tuple(unmet)
        super().__init__(Words("'%(action)s' cannot happen yet: %(reasons)s.", action=Code(trigger),
                               reasons=tuple(Words(text) if isinstance(text, str) else text for text in explanations)))


class InvalidArguments(DomainError):
    """A trigger was given missing, unknown or out-of-vocabulary arguments (reason, modality, participant)."""


class UnknownWorkflowVersion(DomainError):
    """A stored case names a workflow version this installation does not have."""


class InvalidSentence(DomainError):
    """Sentence data is malformed; ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, Words]) -> None:
        self.problems = dict(problems)
        each = tuple(Words("%(field)s: %(problem)s", field=Code(name), problem=problem)
                     for name, problem in self.problems.items())
        super().__init__(Words("Invalid sentence: %(problems)s.", problems=each))


class UnknownProgramme(DomainError):
    """A programme name this installation does not have (workflows.programmes lists those it has)."""


class UnknownTrack(DomainError):
    """A resocialisation track the programme's definition does not have."""
