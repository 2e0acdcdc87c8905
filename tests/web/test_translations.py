"""The web UI's French catalog: complete, compiled, faithful to the placeholders, in step with the code, and used.

A string marked for translation in web/*.py or web/templates/** (or a domain template in mediation/ or workflows/,
see tests/web/test_domain_words.py) that is missing from
web/translations/fr/LC_MESSAGES/messages.po fails ``test_catalog_covers_every_marked_string`` with its text:
run ``scripts/translations``, translate the new entries, run it again, and commit the .po and the .mo.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from mediation.runtime import Runtime
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
PO_FILE = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
MO_FILE = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"
# The keywords scripts/translations gives pybabel: its defaults (_, gettext, ngettext...), the lazy ones, and the
# domain's sentences (its ``domain`` list: the error classes and Words take a template first, Guard second).
DOMAIN_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "Words": None, "Guard": (2,), "DomainError": None, "NotFound": None, "Forbidden": None, "Conflict": None,
    "InvalidInput": None, "WrongState": None, "Unavailable": None, "DatabaseBusy": None, "DatabaseUnreachable": None,
    "StorageUnavailable": None, "RaceLost": None, "CryptoError": None, "KeyUnavailable": None,
    "TamperedContent": None, "CheckpointForged": None, "SignInExpired": None, "InvalidArguments": None,
    "UnknownWorkflowVersion": None, "UnknownProgramme": None, "UnknownTrack": None,
}
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, **DOMAIN_KEYWORDS}
# %(name)s, %(count)d, ... and %%; the formatting the templates (Jinja's newstyle gettext) and gettext(...) apply.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _read_po() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="fr", domain="messages")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return _read_po()


def _messages(catalog: Catalog) -> Iterator[Message]:
    """Every real message of a catalog (not its header)."""
    return (message for message in catalog if message.id)


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _strings(message: Message) -> list[str]:
    """A message's translation(s): one string, or one per plural form."""
    if isinstance(message.string, str):
        return [message.string]
    return list(message.string or ())


def _translations(catalog: Catalog) -> dict[tuple[str, str | None], tuple[str, ...]]:
    return {(_key(message), message.context): tuple(_strings(message)) for message in _messages(catalog)}


def test_both_catalog_files_exist() -> None:
    assert PO_FILE.is_file(), f"{PO_FILE} is missing: run scripts/translations"
    assert MO_FILE.is_file(), f"{MO_FILE} is missing: the app loads it at run time; run scripts/translations"


def test_every_message_has_a_french_translation(catalog: Catalog) -> None:
    assert len(list(_messages(catalog))) > 0
    untranslated = [_key(m) for m in _messages(catalog) if not _strings(m) or not all(s.strip() for s in _strings(m))]
    fuzzy = [_key(m) for m in _messages(catalog) if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} message(s) without a French translation: {untranslated}"
    assert not fuzzy, f"fuzzy translation(s) to check, then remove the fuzzy flag: {fuzzy}"
    assert not catalog.fuzzy, "the .po header is marked fuzzy"


def test_compiled_catalog_is_up_to_date(catalog: Catalog, tmp_path: Path) -> None:
    compiled = tmp_path / "messages.mo"
    with compiled.open("wb") as handle:
        write_mo(handle, catalog)
    with compiled.open("rb") as handle:
        expected = _translations(read_mo(handle))
    with MO_FILE.open("rb") as handle:
        committed = _translations(read_mo(handle))
    stale = sorted(key[0] for key, strings in expected.items() if committed.get(key) != strings)
    extra = sorted(key[0] for key in committed if key not in expected)
    assert not stale, f"messages.mo is older than messages.po (run scripts/translations); differs on: {stale}"
    assert not extra, f"messages.mo holds messages no longer in messages.po (run scripts/translations): {extra}"


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders(catalog: Catalog) -> None:
    broken = []
    for message in _messages(catalog):
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        expected = _placeholders(ids[-1])  # a plural form's translations follow the plural msgid
        for string in _strings(message):
            if _placeholders(string) != expected:
                broken.append(f"{_key(message)!r} -> {string!r}")
        if not isinstance(message.id, str) and _placeholders(ids[0]) != expected:
            broken.append(f"{_key(message)!r}: singular and plural differ")
    assert not broken, "placeholders changed by the translation:\n" + "\n".join(broken)


def _marked_strings() -> dict[str, str]:
    """What scripts/translations would extract (babel.cfg, the same keywords), in memory: msgid -> where."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename="babel.cfg")
    marked: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        marked.setdefault(msgid, f"{filename}:{lineno}")
    return marked


def test_catalog_covers_every_marked_string(catalog: Catalog) -> None:
    marked = _marked_strings()
    assert len(marked) > 100, "extraction found almost nothing: babel.cfg or the keywords are wrong"
    assert any(where.startswith("web/templates/") for where in marked.values()), "templates were not extracted"
    assert any(where == "web/labels.py" or where.startswith("web/labels.py:") for where in marked.values()), (
        "lazy_gettext (_l) strings were not extracted")
    translated = {_key(message) for message in _messages(catalog)}
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in marked.items() if msgid not in translated)
    assert not missing, ("strings marked in the code but missing from messages.po (run scripts/translations and "
                         "translate them):\n" + "\n".join(missing))


# Rendering: the catalog the app really loads, on real pages.

FRENCH_FOOTER = "La participation est volontaire à toutes les étapes"
ENGLISH_FOOTER = "Taking part is voluntary at every stage, for everyone."


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _page(client: FlaskClient, path: str, language: str | None = None) -> str:
    headers = {"Accept-Language": language} if language else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


def test_home_page_in_french(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    page = html.unescape(response.get_data(as_text=True))
    assert '<html lang="fr">' in page
    assert response.headers["Content-Language"] == "fr"
    assert FRENCH_FOOTER in page
    assert "Possibilités de justice réparatrice" in page
    assert "n'a pas pour objectif le pardon" in page
    assert "agent de libération conditionnelle, de son aumônier, de son psychologue" in page
    assert ENGLISH_FOOTER not in page
    assert "Forgiveness is not the goal" not in page


def test_home_page_in_english(client: FlaskClient) -> None:
    page = _page(client, "/", "en")
    assert '<html lang="en">' in page
    assert ENGLISH_FOOTER in page
    assert "Restorative Opportunities" in page
    assert FRENCH_FOOTER not in page


def test_lazy_strings_and_form_labels_in_french(client: FlaskClient) -> None:
    """_l() strings are translated when the form renders, not when the module is imported."""
    request_page = _page(client, "/request", "fr")
    assert "Quel est votre lien avec le crime?" in request_page
    assert "Le crime m'a causé des torts" in request_page
    assert "Je comprends que la participation est volontaire" in request_page
    login_page = _page(client, "/login", "fr")
    assert "Nom d'utilisateur" in login_page
    assert "Mot de passe" in login_page
    assert "Username" not in login_page


def test_language_switch_sets_french_for_the_next_pages(client: FlaskClient) -> None:
    page = _page(client, "/", "en")
    switch = re.search(r'<form[^>]*action="/language/fr"[^>]*>.*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert switch, "the English page has no switch to French"
    response = client.post("/language/fr", data={"csrf_token": switch.group(1)},
                           headers={"Referer": "http://localhost/login", "Accept-Language": "en"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")
    # The choice is kept in the session and wins over the browser's language.
    for path in ("/login", "/"):
        following = _page(client, path, "en")
        assert '<html lang="fr">' in following
        assert FRENCH_FOOTER in following
    back = re.search(r'<form[^>]*action="/language/en"[^>]*>.*?name="csrf_token" value="([^"]+)"', following, re.S)
    assert back, "the French page has no switch to English"
    client.post("/language/en", data={"csrf_token": back.group(1)})
    assert '<html lang="en">' in _page(client, "/", "fr")


def test_language_switch_needs_the_csrf_token(client: FlaskClient) -> None:
    response = client.post("/language/fr", headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert '<html lang="en">' in _page(client, "/", "en")


def test_error_page_in_french(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    page = html.unescape(response.get_data(as_text=True))
    assert '<html lang="fr">' in page
    assert "<h1>Introuvable</h1>" in page
    assert "Retour à la page d'accueil" in page
