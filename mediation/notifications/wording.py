"""What an e-mail says, in the recipient's language: a handful of fixed sentences and a link.

Never a name, a message, a case reference or what the other side did: the sentences below are the whole of it
(with a count for a digest, and the code for an invitation). They are ``Words`` so pybabel extracts them into the
web UI's catalogue (scripts/translations), and the worker, which has no Flask app, reads the compiled catalogue
itself: each language appears as soon as the .po is translated and compiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations

from mediation.languages import DEFAULT_LANGUAGE
from mediation.models import OutboxEvent
from workflows.words import Code, Words

# The web UI's compiled catalogue (a data file beside the ``web`` package: nothing of ``web`` is imported).
CATALOGUE = Path(__file__).resolve().parents[2] / "web" / "translations"

# The values an e-mail's sentence receives when it is written (named here, so each sentence declares them).
LINK, COUNT, CODE, UNTIL = Code("link"), Code("count"), Code("code"), Code("until")

SUBJECTS = {
    OutboxEvent.SOMETHING_NEW: Words("There is something new for you"),
    OutboxEvent.DIGEST: Words("Things wait for you"),
    OutboxEvent.INVITATION: Words("Your invitation to the programme's site"),
}
BODIES = {
    OutboxEvent.SOMETHING_NEW: Words(
        "Hello,\n\nThere is something new for you on the programme's site. Sign in to see it:\n%(link)s\n\n"
        "This e-mail says nothing more, on purpose. You can change how you are told, or stop these e-mails, on "
        "the notifications page once signed in.", link=LINK),
    OutboxEvent.DIGEST: Words(
        "Hello,\n\nThings waiting for your attention: %(count)s.\nSign in to see them:\n%(link)s\n\n"
        "This daily e-mail says nothing more, on purpose.", count=COUNT, link=LINK),
    OutboxEvent.INVITATION: Words(
        "Hello,\n\nYou are invited to open your account on the programme's site. Go to this page:\n%(link)s\n"
        "and type this invitation code:\n\n%(code)s\n\nThe code works once, until %(until)s (UTC). If you did not "
        "expect this e-mail, you can ignore it.", link=LINK, code=CODE, until=UNTIL),
}
SIGN_IN_PATH = {OutboxEvent.SOMETHING_NEW: "/portal/", OutboxEvent.DIGEST: "/login",
                OutboxEvent.INVITATION: "/activate"}


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


@lru_cache(maxsize=8)
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (English, untranslated, when there is none)."""
    if language == DEFAULT_LANGUAGE or not CATALOGUE.is_dir():
        return NullTranslations()
    return Translations.load(str(CATALOGUE), [language])


def compose(event: OutboxEvent, language: str, base_url: str, **values: str) -> Text:
    """The subject and plain-text body of one e-mail, in ``language``."""
    translations = catalogue(language)
    link = base_url.rstrip("/") + SIGN_IN_PATH[event]
    words = BODIES[event]
    given = {"link": link, **values}
    body = translations.gettext(words.text) % {name: given[name] for name in words.params}
    return Text(translations.gettext(SUBJECTS[event].text), body)
