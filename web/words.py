"""The domain's sentences (``workflows.words.Words``) in the reader's language.

The services raise and explain in English templates with parameters; this is the one place that turns them
into the page's language: the template through the catalog, vocabulary codes through their labels.
"""

from __future__ import annotations

from flask_babel import gettext

from web.labels import label
from workflows.errors import DomainError
from workflows.words import Code, Param, Words


def say(words: Words | DomainError | str) -> str:
    """The sentence translated, its parameters placed; ``%`` in a parameter's value is never interpreted."""
    if isinstance(words, str):
        return gettext(words)
    if isinstance(words, DomainError):
        words = words.words
    if not words.params:
        return gettext(words.text)
    return gettext(words.text, **{name: _shown(value) for name, value in words.params.items()})


def _shown(value: Param) -> str:
    if isinstance(value, Code):
        return label(value.value)
    if isinstance(value, Words):
        return say(value)
    if isinstance(value, tuple):
        return "; ".join(_shown(item) for item in value) if any(isinstance(v, Words) for v in value) \
            else ", ".join(_shown(item) for item in value)
    return str(value)
