"""What participant and public pages offer for people's care: support resources, the quick-exit address, and how
to reach the programme.

Support resources are ``MEDIATION_SUPPORT_RESOURCES`` (and ``..._FR`` for French pages, ``..._RO`` for Romanian
ones: one per language of mediation.languages): entries separated by ``;``, each ``name|phone|address`` (phone
or address may be empty, not both). The quick exit leaves for ``MEDIATION_QUICK_EXIT_URL``. The programme's
phone and e-mail (``MEDIATION_PROGRAMME_PHONE``, ``MEDIATION_PROGRAMME_EMAIL``) are read here too, for the page
that tells a participant how to reach their mediator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

PREFIX = "MEDIATION_"
MAX_ENTRY_PART = 200
PHONE = re.compile(r"[0-9+() .-]{1,40}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

DEFAULT_RESOURCES = {
    "en": ("Emergency services (police, ambulance, fire)|911|;"
           "9-8-8 Suicide Crisis Helpline (call or text, any time)|988|https://988.ca;"
           "Victim services of the Correctional Service of Canada|1-866-806-2275|"
           "https://www.canada.ca/en/correctional-service/services/victims.html"),
    "fr": ("Services d'urgence (police, ambulance, pompiers)|911|;"
           "9-8-8 : Ligne d'aide en cas de crise de suicide (appel ou texto, en tout temps)|988|https://988.ca/fr;"
           "Services aux victimes du Service correctionnel du Canada|1-866-806-2275|"
           "https://www.canada.ca/fr/service-correctionnel/services/victimes.html"),
    # Romania (the Timișoara network): the single emergency number and the national domestic-violence line.
    "ro": ("Numărul unic pentru apeluri de urgență (poliție, ambulanță, pompieri)|112|;"
           "Linia telefonică gratuită pentru victimele violenței domestice (ANES, nonstop)|0800 500 333|"),
}
DEFAULT_QUICK_EXIT = "https://www.google.com/"


DEMO_PROGRAMME_PHONE = "1-800-555-0199"
DEMO_PROGRAMME_EMAIL = "restorative.opportunities@example.org"


class CareSettingsError(ValueError):
    """A care setting is malformed; the message names the variable (config.SettingsError is raised from it)."""


@dataclass(frozen=True)
class SupportResource:
    name: str
    phone: str
    url: str


@dataclass(frozen=True)
class ProgrammeContact:
    phone: str
    email: str


@dataclass(frozen=True)
class Care:
    resources: Mapping[str, tuple[SupportResource, ...]]  # by language code
    quick_exit_url: str
    programme: ProgrammeContact

    def resources_for(self, language: str) -> tuple[SupportResource, ...]:
        return self.resources.get(language) or self.resources["en"]


def _web_address(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(raw) > MAX_ENTRY_PART:
        raise CareSettingsError(f"{PREFIX}{name}: {raw!r} is not a web address such as https://example.org/")
    return raw


def parse_resources(name: str, raw: str) -> tuple[SupportResource, ...]:
    """``name|phone|address`` entries separated by ``;``."""
    resources = []
    for entry in (part.strip() for part in raw.split(";")):
        if not entry:
            continue
        pieces = [piece.strip() for piece in entry.split("|")]
        if len(pieces) != 3 or not pieces[0] or not (pieces[1] or pieces[2]):
            raise CareSettingsError(f"{PREFIX}{name}: each entry is 'name|phone|address' with a name and a phone "
                                    f"or an address, got {entry!r}")
        title, phone, url = pieces
        if len(title) > MAX_ENTRY_PART or (phone and not PHONE.fullmatch(phone)):
            raise CareSettingsError(f"{PREFIX}{name}: {entry!r} has a name that is too long or a phone number "
                                    "that is not one")
        resources.append(SupportResource(title, phone, _web_address(name, url) if url else ""))
    if not resources:
        raise CareSettingsError(f"{PREFIX}{name} lists no support resource")
    return tuple(resources)


def programme_contact(env: Mapping[str, str]) -> ProgrammeContact:
    """The programme office's phone and e-mail (``MEDIATION_PROGRAMME_PHONE``, ``MEDIATION_PROGRAMME_EMAIL``);
    demonstration values until an installation sets its own."""
    phone = (env.get(PREFIX + "PROGRAMME_PHONE") or DEMO_PROGRAMME_PHONE).strip()
    email = (env.get(PREFIX + "PROGRAMME_EMAIL") or DEMO_PROGRAMME_EMAIL).strip()
    if phone and not PHONE.fullmatch(phone):
        raise CareSettingsError(f"{PREFIX}PROGRAMME_PHONE must be a phone number, got {phone!r}")
    if email and not EMAIL.fullmatch(email):
        raise CareSettingsError(f"{PREFIX}PROGRAMME_EMAIL must be an e-mail address, got {email!r}")
    return ProgrammeContact(phone, email)


def resources_setting(language: str) -> str:
    """The setting that lists ``language``'s resources: SUPPORT_RESOURCES for English, then ..._FR, ..._RO."""
    return "SUPPORT_RESOURCES" + ("" if language == "en" else "_" + language.upper())


def load_care(env: Mapping[str, str]) -> Care:
    resources = {language: parse_resources(name, env.get(PREFIX + name) or default)
                 for language, default in DEFAULT_RESOURCES.items()
                 for name in [resources_setting(language)]}
    exit_url = _web_address("QUICK_EXIT_URL", (env.get(PREFIX + "QUICK_EXIT_URL") or DEFAULT_QUICK_EXIT).strip())
    return Care(resources, exit_url, programme_contact(env))
