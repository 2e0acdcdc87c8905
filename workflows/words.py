"""Sentences the domain says to people (refusals, explanations), kept as an English template plus parameters.

The template is the message id that ``web/`` translates with Flask-Babel (pybabel extracts it from the error
classes and ``Words(...)`` calls, see babel.cfg and scripts/translations); the parameters stay apart so each
language places them itself. ``str(words)`` is the English sentence, for the command line and the logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Code:
    """A word of the domain's vocabulary (a state, a reason, a role) that a page shows by its translated label."""

    value: str

    def __str__(self) -> str:
        return self.value


Param = Union[str, int, Code, "Words", tuple["Param", ...]]


@dataclass(frozen=True, init=False)
class Words:
    """One sentence: ``text`` with ``%(name)s`` placeholders, and the values to put in them."""

    text: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __init__(self, text: str, /, **params: Param) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "params", params)

    def __str__(self) -> str:
        if not self.params:
            return self.text
        return self.text % {name: english(value) for name, value in self.params.items()}


def english(value: Param) -> str:
    """A parameter as the English sentence shows it: codes as they are, lists joined with commas."""
    if isinstance(value, tuple):
        separator = "; " if any(isinstance(item, Words) for item in value) else ", "
        return separator.join(english(item) for item in value)
    return str(value)


def codes(values: tuple[str, ...] | list[str]) -> tuple[Code, ...]:
    """Several vocabulary words, e.g. the choices a refusal lists."""
    return tuple(Code(value) for value in values)
