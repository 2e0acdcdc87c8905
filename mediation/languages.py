"""The languages the programme speaks: one list for every place that chooses one.

The web UI's catalogues (web/translations/<code>/), the language switch, a participant's contact card (letters),
notification preferences and invitations (e-mails), the public request form and Accept-Language negotiation all
read this list, so a language is added here once (and its catalogue to scripts/translations).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # the catalogue's and the HTML lang attribute's code
    own_name: str  # how the language calls itself, for the switch a reader must recognise in any page language


DEFAULT_LANGUAGE = "en"  # the language the strings are written in (no catalogue)
SPOKEN = (Language("en", "English"), Language("fr", "Français"), Language("ro", "Română"))
LANGUAGES = tuple(language.code for language in SPOKEN)


def supported(code: object) -> str | None:
    """``code`` when it is one of the programme's languages, else None (a form's or a session's value)."""
    return code if isinstance(code, str) and code in LANGUAGES else None

# The languages a partner's service works in (the partner directory, mediation.services.directory): a fixed list
# of codes, so a search by language is one index lookup and every page names each language in its own words
# (web.labels.SERVICE_LANGUAGE_NAMES). ISO 639-1 codes; Romani has none, so it goes by its ISO 639-3 code (rmy).
SERVICE_LANGUAGES = ("en", "fr", "ro", "hu", "de", "es", "it", "pt", "nl", "pl", "uk", "ru", "bg", "sr", "hr",
                     "sq", "tr", "ar", "fa", "rmy")
