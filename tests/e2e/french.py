"""Finding English left on a French (or Romanian) page: every sentence the catalog translates, looked for in the
page's text.

A French page should show no English sentence the French catalog has a translation for: not a template, not a
label, not a refusal from the domain; a Romanian page none that the Romanian catalog translates. Each English
message id is cut at its placeholders and sentence ends; a piece of at least three words that the translation does
not itself contain, found in the page's text, is English left over.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
SENTENCE_END = re.compile(r"[.;:!?]\s")
MIN_WORDS = 3


def _pieces(english: str, french: str) -> list[str]:
    pieces = []
    for part in (part for chunk in PLACEHOLDER.split(english) for part in SENTENCE_END.split(chunk)):
        piece = " ".join(part.split()).strip(" .,;:'\"()")
        if len(piece.split()) >= MIN_WORDS and piece not in french:
            pieces.append(piece)
    return pieces


@cache
def english_sentences(language: str = "fr") -> tuple[str, ...]:
    """The English pieces a page in ``language`` must not show, longest first."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for english in ids:
            pieces.update(_pieces(english, " ".join(strings)))
    return tuple(sorted(pieces, key=len, reverse=True))


def english_left(text: str, language: str = "fr") -> list[str]:
    """The English sentences found in the text of a page in ``language`` (an empty list when there are none)."""
    flat = " ".join(text.split())
    return [piece for piece in english_sentences(language) if piece in flat]
