"""A partner service's fields, checked before any query: the vocabularies, the lengths, and the area's search key.

A service's area is shown as its organisation wrote it ("Timiș", "Montréal"); a search compares ``area_key``, the
same text casefolded with its accents removed, so "timis" finds "Timiș" and "MONTREAL" finds "Montréal".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from mediation.errors import InvalidInput
from mediation.languages import SERVICE_LANGUAGES
from mediation.text import checked_text, shown
from workflows.referral_workflow import CUSTODY_STAGES, SERVICE_KINDS
from workflows.words import Words, codes

AREA_LENGTH = 80
DESCRIPTION_LENGTH = 500
CONTACT_LENGTH = 200
_SPACES = re.compile(r"\s+")

KIND = Words("kind of help")
CUSTODY_STAGE = Words("stage of custody")
LANGUAGE = Words("language")
AREA = Words("area")


def area_key(area: str) -> str:
    """What a search compares: casefolded, accents and other combining marks removed, spaces collapsed.

    Casefolding can lengthen a text ("ß" is "ss"), so the key is cut to the column's length: a search by a
    prefix that long is still found.
    """
    decomposed = unicodedata.normalize("NFKD", area.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", bare)).strip()[:AREA_LENGTH]


def choice(value: object, allowed: tuple[str, ...], what: Words) -> str:
    """``value`` if it is exactly one of ``allowed``; otherwise a refusal that names the choices."""
    if value is None or value == "":
        raise InvalidInput("The %(what)s is missing; choose one of: %(choices)s.", what=what,
                           choices=codes(list(allowed)))
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput("Unknown %(what)s %(value)s; choose one of: %(choices)s.", what=what, value=shown(value),
                           choices=codes(list(allowed)))
    return value


def kind_of(value: object) -> str:
    return choice(value, SERVICE_KINDS, KIND)


def custody_stage_of(value: object) -> str:
    return choice(value, CUSTODY_STAGES, CUSTODY_STAGE)


def language_of(value: object) -> str:
    return choice(value, SERVICE_LANGUAGES, LANGUAGE)


def languages_of(values: object) -> tuple[str, ...]:
    """One or more known languages, each once, in the list's order (a form's checkboxes, or a caller's list)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInput("Choose the languages the service works in from the list.")
    chosen = list(values)
    if len(chosen) > len(SERVICE_LANGUAGES):
        raise InvalidInput("Choose the languages the service works in from the list.")
    found = {language_of(value) for value in chosen}
    if not found:
        raise InvalidInput("Choose at least one language the service works in.")
    return tuple(code for code in SERVICE_LANGUAGES if code in found)


def in_list_order(languages: Iterable[str]) -> tuple[str, ...]:
    """Languages in the directory's order (a code no longer listed last), however the database sorted them."""
    order = {code: index for index, code in enumerate(SERVICE_LANGUAGES)}
    return tuple(sorted(languages, key=lambda code: (order.get(code, len(order)), code)))


def area_of(value: object) -> str:
    return checked_text(value, AREA, AREA_LENGTH, required=True, one_line=True)


@dataclass(frozen=True)
class ServiceFields:
    """What a coordinator writes about a service, as it arrives (strings from a form, or a caller's values)."""

    kind: object
    custody_stage: object
    area: object
    languages: object
    description: object = ""
    contact: object = ""

    def checked(self) -> CheckedService:
        """Every field checked, in the form's order, or a refusal that says which field and why."""
        area = area_of(self.area)
        return CheckedService(
            kind=kind_of(self.kind), custody_stage=custody_stage_of(self.custody_stage), area=area,
            area_key=area_key(area), languages=languages_of(self.languages),
            description=checked_text(self.description, Words("description"), DESCRIPTION_LENGTH),
            contact=checked_text(self.contact, Words("public contact"), CONTACT_LENGTH, one_line=True))


@dataclass(frozen=True)
class CheckedService:
    kind: str
    custody_stage: str
    area: str
    area_key: str
    languages: tuple[str, ...]
    description: str
    contact: str


def search_text(value: object) -> str | None:
    """An area to search by (its start, any case, with or without accents), as its key; None for no filter."""
    if value is None:
        return None
    text = checked_text(value, AREA, AREA_LENGTH, one_line=True)
    return area_key(text) or None
