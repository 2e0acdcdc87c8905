"""The web UI's catalogs, one per language of mediation.languages (French, Romanian): complete, compiled,
faithful to the placeholders, in step with the code, and used.

A string marked for translation in web/*.py or web/templates/** (or a domain template in mediation/ or workflows/,
see tests/web/test_domain_words.py) that is missing from
web/translations/<language>/LC_MESSAGES/messages.po fails ``test_catalog_covers_every_marked_string[<language>]``
with its text: run ``scripts/translations``, translate the new entries, run it again, and commit the .po and the .mo.
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

from mediation.languages import DEFAULT_LANGUAGE, LANGUAGES, SPOKEN
from mediation.runtime import Runtime
from web import create_app
from web.labels import LANGUAGE_NAMES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
# Every language but the one the strings are written in has its catalog.
TRANSLATED = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)


def po_file(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def mo_file(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"


PO_FILE, MO_FILE = po_file("fr"), mo_file("fr")
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


def read_catalog(language: str) -> Catalog:
    with po_file(language).open("rb") as handle:
        return read_po(handle, locale=language, domain="messages")


@pytest.fixture(scope="module", params=TRANSLATED)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    """Each language's catalog in turn: every test that takes it runs once per language."""
    return read_catalog(request.param)


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


@pytest.mark.parametrize("language", TRANSLATED)
def test_both_catalog_files_exist(language: str) -> None:
    po, mo = po_file(language), mo_file(language)
    assert po.is_file(), f"{po} is missing: run scripts/translations"
    assert mo.is_file(), f"{mo} is missing: the app loads it at run time; run scripts/translations"


def test_scripts_translations_makes_a_catalog_for_every_language() -> None:
    script = (ROOT / "scripts" / "translations").read_text(encoding="utf-8")
    listed = re.search(r"^languages=\(([^)]*)\)", script, re.M)
    assert listed, "scripts/translations has no languages=(...) list"
    assert tuple(listed.group(1).split()) == TRANSLATED, "scripts/translations and mediation.languages differ"
    on_disk = {path.name for path in TRANSLATIONS.iterdir() if path.is_dir()}
    assert on_disk == set(TRANSLATED), "a catalog folder for a language the programme does not offer, or none"


def test_every_language_is_named_in_the_pages_and_in_itself() -> None:
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert [language.code for language in SPOKEN] == list(LANGUAGES)
    assert all(language.own_name for language in SPOKEN)


def test_every_message_has_a_translation(catalog: Catalog) -> None:
    assert len(list(_messages(catalog))) > 0
    untranslated = [_key(m) for m in _messages(catalog) if not _strings(m) or not all(s.strip() for s in _strings(m))]
    fuzzy = [_key(m) for m in _messages(catalog) if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} message(s) without a {catalog.locale} translation: {untranslated}"
    assert not fuzzy, f"fuzzy translation(s) to check, then remove the fuzzy flag: {fuzzy}"
    assert not catalog.fuzzy, "the .po header is marked fuzzy"


def test_a_plural_has_every_form_of_its_language(catalog: Catalog) -> None:
    short = [_key(m) for m in _messages(catalog)
             if not isinstance(m.id, str) and len(_strings(m)) != catalog.num_plurals]
    assert not short, f"plural messages without the {catalog.num_plurals} forms of {catalog.locale}: {short}"


def test_compiled_catalog_is_up_to_date(catalog: Catalog, tmp_path: Path) -> None:
    compiled = tmp_path / "messages.mo"
    with compiled.open("wb") as handle:
        write_mo(handle, catalog)
    with compiled.open("rb") as handle:
        expected = _translations(read_mo(handle))
    with mo_file(str(catalog.locale)).open("rb") as handle:
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


# Romanian: the same pages, read by a person who chose Romanian (the Timișoara network).

ROMANIAN_FOOTER = "Participarea este voluntară în fiecare etapă, pentru toată lumea."


def _switches(page: str) -> dict[str, str]:
    """The language switch's buttons: code -> the name it shows."""
    return dict(re.findall(r'<form[^>]*action="/language/(\w+)"[^>]*class="language-switch">.*?'
                           r'<button type="submit" lang="\1">([^<]+)</button>', page, re.S))


def test_home_page_in_romanian_from_the_browsers_language(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "ro-RO,ro;q=0.9,en;q=0.5"})
    page = html.unescape(response.get_data(as_text=True))
    assert '<html lang="ro">' in page
    assert response.headers["Content-Language"] == "ro"
    assert ROMANIAN_FOOTER in page
    assert "Oportunități restaurative" in page
    assert "Iertarea nu este scopul" in page
    assert "consilierul de probațiune, capelan, psiholog" in page
    assert ENGLISH_FOOTER not in page and FRENCH_FOOTER not in page
    assert "Forgiveness is not the goal" not in page


def test_romanian_is_written_with_comma_below_letters_and_romanian_quotes() -> None:
    catalog = read_catalog("ro")
    strings = [string for message in _messages(catalog) for string in _strings(message)]
    cedilla = [string for string in strings if any(letter in string for letter in "şţŞŢ")]
    assert not cedilla, f"ș and ț take a comma below, not a cedilla: {cedilla}"
    assert any("„" in string and "”" in string for string in strings)
    assert not [string for string in strings if "«" in string or "“" in string], "Romanian quotes are „…”"


def test_lazy_strings_and_form_labels_in_romanian(client: FlaskClient) -> None:
    request_page = _page(client, "/request", "ro")
    assert "Ce legătură aveți cu infracțiunea?" in request_page
    assert "Am fost vătămat(ă) prin infracțiune" in request_page
    assert "Înțeleg că participarea este voluntară" in request_page
    # The request form offers every language, named in Romanian, and starts on the page's own.
    assert '<option selected value="ro">Română</option>' in request_page or (
        '<option value="ro" selected>Română</option>' in request_page)
    assert ">Engleză</option>" in request_page and ">Franceză</option>" in request_page
    login_page = _page(client, "/login", "ro")
    assert "Nume de utilizator" in login_page and "Parolă" in login_page
    assert "Username" not in login_page


def test_romanian_pages_offer_romanian_help_first(client: FlaskClient) -> None:
    """The support resources follow the page's language: Romania's single emergency number on a Romanian page."""
    page = _page(client, "/request", "ro")
    assert "Dacă aveți nevoie de sprijin acum" in page
    assert 'href="tel:112"' in page and 'href="tel:911"' not in page


def test_the_switch_offers_every_other_language_named_in_itself(client: FlaskClient) -> None:
    assert _switches(_page(client, "/", "en")) == {"fr": "Français", "ro": "Română"}
    assert _switches(_page(client, "/", "fr")) == {"en": "English", "ro": "Română"}
    assert _switches(_page(client, "/", "ro")) == {"en": "English", "fr": "Français"}


def test_language_switch_sets_romanian_for_the_next_pages(client: FlaskClient) -> None:
    page = _page(client, "/", "fr")
    switch = re.search(r'<form[^>]*action="/language/ro"[^>]*>.*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert switch, "the French page has no switch to Romanian"
    response = client.post("/language/ro", data={"csrf_token": switch.group(1)},
                           headers={"Referer": "http://localhost/request", "Accept-Language": "fr"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/request")
    for path in ("/request", "/login", "/"):
        following = _page(client, path, "fr")  # the choice wins over the browser's language
        assert '<html lang="ro">' in following
        assert ROMANIAN_FOOTER in following


def test_a_language_the_programme_does_not_speak_changes_nothing(client: FlaskClient) -> None:
    page = _page(client, "/", "en")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/language/de", data={"csrf_token": token.group(1)})
    assert response.status_code == 303
    assert '<html lang="en">' in _page(client, "/", "de")  # and no German catalog is asked for


def test_error_page_in_romanian(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "ro"})
    assert response.status_code == 404
    page = html.unescape(response.get_data(as_text=True))
    assert '<html lang="ro">' in page
    assert "<h1>Nu a fost găsit</h1>" in page
    assert "Înapoi la pagina principală" in page
