"""The domain's sentences in the reader's language.

Services and rules raise refusals and give explanations as English templates with parameters
(``workflows.words``); ``web/`` says them through the reader's catalog (French, Romanian: every language of
mediation.languages). These tests fail when a refusal is raised with a formatted string (it could never be
translated), when a template or a guard's explanation has no translation in one of the languages, when an error
class is missing from the extraction keywords, and when a French or Romanian page shows a refusal in English.
"""

from __future__ import annotations

import ast
import html
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from flask import Flask

from tests.web.conftest import Browser, World, flashes, readable
from tests.web.test_translations import DOMAIN_KEYWORDS, TRANSLATED, read_catalog
from web.words import say
from workflows import case_guards, message_workflow
from workflows.case_workflow import CASE_WORKFLOW
from workflows.engine import Guard
from workflows.errors import DomainError, GuardNotMet, InvalidSentence, TriggerNotAllowed
from workflows.vocabulary import CaseState, Modality
from workflows.words import Code, Words

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_PACKAGES = ("mediation", "workflows")
# Error classes that build their sentence themselves from what they are given (a trigger, a problem code...).
SELF_WORDED = {"TriggerNotAllowed", "GuardNotMet", "InvalidSentence", "WeakPassword", "InvitationRefused",
               "WrongPassword"}
PLACEHOLDER = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)s")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _domain_errors() -> set[str]:
    """Every DomainError class of the domain packages (imported, so none is missed)."""
    for package in DOMAIN_PACKAGES:
        for module in pkgutil.walk_packages([str(ROOT / package)], f"{package}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)
    return {"DomainError"} | {cls.__name__ for cls in _subclasses(DomainError)}


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in DOMAIN_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _sentence_calls() -> Iterator[tuple[str, ast.Call, ast.expr | None]]:
    """Each call that makes a sentence (an error, Words, Guard) with the argument that holds its template."""
    errors = _domain_errors()
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "Guard":
                yield where, node, node.args[1] if len(node.args) > 1 else None
            elif name == "Words" or name in errors:
                yield where, node, node.args[0] if node.args else None


def _formatted(template: ast.expr) -> bool:
    """An f-string, a concatenation, a %-formatted or .format()ted string: a sentence that cannot be translated."""
    if isinstance(template, ast.JoinedStr | ast.BinOp):
        return True
    return (isinstance(template, ast.Call) and isinstance(template.func, ast.Attribute)
            and template.func.attr in {"format", "join", "replace"})


def _literal(template: ast.expr | None) -> str | None:
    return template.value if isinstance(template, ast.Constant) and isinstance(template.value, str) else None


@pytest.fixture(scope="module", params=TRANSLATED)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    """Each language's catalog in turn (tests/web/test_translations.py TRANSLATED)."""
    return read_catalog(request.param)


def _translated(catalog: Catalog, template: str) -> str | None:
    message = catalog.get(template)
    if message is None or message.fuzzy or not isinstance(message.string, str) or not message.string.strip():
        return None
    return message.string


def test_no_sentence_is_made_from_a_formatted_string() -> None:
    formatted = [f"{where}: {ast.unparse(template)[:100]}" for where, _call, template in _sentence_calls()
                 if template is not None and _formatted(template)]
    assert not formatted, ("raise a literal template with keyword parameters, e.g. InvalidInput(\"The %(field)s "
                           "is too long.\", field=...), never a formatted string:\n" + "\n".join(formatted))


def test_every_template_names_exactly_the_parameters_it_is_given() -> None:
    mismatched = []
    for where, call, template in _sentence_calls():
        text = _literal(template)
        if text is None or _name(call) == "Guard" or any(k.arg is None for k in call.keywords):
            continue
        if set(PLACEHOLDER.findall(text)) != {k.arg for k in call.keywords}:
            mismatched.append(f"{where}: {text!r} given {sorted(str(k.arg) for k in call.keywords)}")
    assert not mismatched, "\n".join(mismatched)


def test_every_domain_template_has_a_translation(catalog: Catalog) -> None:
    templates = {text: where for where, _call, template in _sentence_calls() if (text := _literal(template))}
    assert len(templates) > 150, "the scan found almost no domain sentence"
    missing = sorted(f"{where}: {text!r}" for text, where in templates.items() if _translated(catalog, text) is None)
    assert not missing, (f"domain sentences without a {catalog.locale} translation (run scripts/translations and "
                         "translate them):\n" + "\n".join(missing))


def _guards() -> Iterator[Guard]:
    for module in (case_guards, message_workflow):
        yield from (value for value in vars(module).values() if isinstance(value, Guard))
    for modality in Modality:
        yield case_guards.modality_is(modality)
        yield case_guards.requested_modality_is(modality)
    for state in CaseState:
        yield case_guards.paused_from_is(state)
    for spec in CASE_WORKFLOW.transitions:
        yield from spec.guards
        yield from spec.unless


def test_every_guard_explanation_has_a_translation(catalog: Catalog) -> None:
    guards = list(_guards())
    assert len(guards) > 20
    untranslated = sorted({f"{guard.name}: {guard.explanation.text!r}" for guard in guards
                           if _translated(catalog, guard.explanation.text) is None})
    assert not untranslated, "\n".join(untranslated)


def test_every_domain_error_class_is_an_extraction_keyword() -> None:
    """A new error class must be added to scripts/translations (and DOMAIN_KEYWORDS), or its templates are
    never extracted into the catalog."""
    script = (ROOT / "scripts" / "translations").read_text(encoding="utf-8")
    listed = re.search(r"^domain=\(([^)]*)\)", script, re.M)
    assert listed, "scripts/translations has no domain=(...) keyword list"
    in_script = {word.split(":")[0] for word in listed.group(1).split()}
    assert in_script == set(DOMAIN_KEYWORDS), "scripts/translations and DOMAIN_KEYWORDS differ"
    missing = sorted(_domain_errors() - SELF_WORDED - set(DOMAIN_KEYWORDS))
    assert not missing, f"error classes missing from the extraction keywords: {missing}"


# Saying a sentence: the template through the catalog, codes through their labels, nested sentences too.


def _say_in(app: Flask, language: str, words: Words | DomainError) -> str:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return say(words)


def test_a_guard_refusal_is_said_in_french_with_french_labels(shared_app: Flask) -> None:
    refusal = GuardNotMet("prepare", ["all_consented"], [case_guards.all_consented.explanation])
    assert str(refusal) == "'prepare' cannot happen yet: not every participant has given consent."
    french = _say_in(shared_app, "fr", refusal)
    assert french == ("«\u00a0Passer à la préparation\u00a0» n'est pas encore possible\u00a0: tous les participants "
                      "n'ont pas donné leur consentement.")


def test_a_state_refusal_lists_the_possible_actions_by_their_french_labels(shared_app: Flask) -> None:
    french = _say_in(shared_app, "fr", TriggerNotAllowed("begin", "requested", ["screen", "decline"]))
    assert "«\u00a0demande reçue\u00a0»" in french
    assert "Vérifier l'admissibilité" in french
    assert "requested" not in french and "screen" not in french


def test_an_invalid_sentence_is_said_field_by_field_in_french(shared_app: Flask) -> None:
    refusal = InvalidSentence({"years": Words("cannot be negative, got %(value)s", value=-1)})
    assert str(refusal) == "Invalid sentence: years: cannot be negative, got -1."
    assert _say_in(shared_app, "fr", refusal) == (
        "Données de la peine non valides\u00a0: années\u00a0: ne peut pas être négatif, et non -1.")


def test_a_guard_refusal_is_said_in_romanian_with_romanian_labels(shared_app: Flask) -> None:
    refusal = GuardNotMet("prepare", ["all_consented"], [case_guards.all_consented.explanation])
    assert _say_in(shared_app, "ro", refusal) == (
        "„Treceți la pregătire” nu se poate face încă: nu toți participanții și-au dat consimțământul.")


def test_a_state_refusal_lists_the_possible_actions_by_their_romanian_labels(shared_app: Flask) -> None:
    romanian = _say_in(shared_app, "ro", TriggerNotAllowed("begin", "requested", ["screen", "decline"]))
    assert "„cerere primită”" in romanian
    assert "Verificați eligibilitatea" in romanian and "Refuzați cazul" in romanian
    assert "requested" not in romanian and "screen" not in romanian


def test_an_invalid_sentence_is_said_field_by_field_in_romanian(shared_app: Flask) -> None:
    refusal = InvalidSentence({"years": Words("cannot be negative, got %(value)s", value=-1)})
    assert _say_in(shared_app, "ro", refusal) == "Pedeapsă nevalidă: ani: nu poate fi negativ, s-a primit -1."


def test_a_percent_sign_in_a_parameter_is_shown_as_it_is(shared_app: Flask) -> None:
    words = Words("No case %(reference)s was found.", reference="%(x)s 100%")
    assert _say_in(shared_app, "fr", words) == "Aucun dossier %(x)s 100% n'a été trouvé."
    assert _say_in(shared_app, "ro", words) == "Nu a fost găsit niciun caz %(x)s 100%."
    assert _say_in(shared_app, "en", words) == "No case %(x)s 100% was found."


def test_a_code_is_said_by_its_label_and_an_unknown_code_readably(shared_app: Flask) -> None:
    template = "the chosen modality is not %(modality)s"
    assert _say_in(shared_app, "en", Words(template, modality=Code("face_to_face"))) == (
        "the chosen modality is not face to face")
    assert _say_in(shared_app, "en", Words(template, modality=Code("no_such_code"))) == (
        "the chosen modality is not no such code")


# Pages: a refused action on a French page says why in French, on the page of the form.

ENGLISH_DOMAIN_WORDS = ("cannot happen yet", "not every participant", "Invalid sentence", "must be a whole number",
                        "is not possible while", "cannot be negative", "years", "months", "prepare")


def _browser_in(browser: Browser, language: str) -> Browser:
    """The mediator, signed in, reading the site in ``language``."""
    browser.sign_in("mediator")
    response = browser.post(f"/language/{language}", headers={"Referer": "http://localhost/"})
    assert response.status_code == 303
    return browser


def _french_browser(browser: Browser) -> Browser:
    return _browser_in(browser, "fr")


def _without_english_domain_words(text: str) -> None:
    for words in ENGLISH_DOMAIN_WORDS:
        assert words not in text, f"English on a French page: {words!r} in {text!r}"


def test_a_guard_refusal_comes_back_to_the_case_page_in_french(browser: Browser, world: World) -> None:
    """'prepare' with consent missing: the refusal is said in French, on the case page (no Referer sent)."""
    _french_browser(browser)
    case_page = f"/mediator/cases/{world.own_assessment}"
    response = browser.post(f"{case_page}/actions/prepare",
                            {"version": world.version(world.own_assessment), "back": case_page})
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{case_page}"
    [refusal] = [text for text in flashes(readable(browser.follow(response))) if "préparation" in text]
    assert "n'est pas encore possible" in refusal
    assert "tous les participants n'ont pas donné leur consentement" in refusal
    _without_english_domain_words(refusal)


def test_waiting_for_is_said_in_french_on_the_case_page(browser: Browser, world: World) -> None:
    _french_browser(browser)
    page = readable(browser.get(f"/mediator/cases/{world.own_assessment}"))
    waiting = re.search(r'<p class="waiting" id="waiting-prepare">(.*?)</p>', page, re.S)
    assert waiting, "the prepare action does not say what it waits for"
    assert "tous les participants n'ont pas donné leur consentement" in waiting.group(1)
    _without_english_domain_words(waiting.group(1))


def test_the_eligibility_explanation_is_said_in_french(browser: Browser, world: World) -> None:
    _french_browser(browser)
    page = readable(browser.get(f"/mediator/cases/{world.own_requested}"))
    assert "Admissible\u00a0: 3\u00a0ans" in page or "Admissible\u00a0: 3 ans" in page
    assert "at least two years" not in page and "whole days" not in page


# What the sentence form's refusal says in each language, and a heading that shows the whole page is in it.
SENTENCE_REFUSALS = {
    "fr": (["La peine n'a pas été enregistrée", "années\u00a0: ne peut pas être négatif, et non -2",
            "mois\u00a0: doit être un nombre entier, et non 'abc'"], None),
    "ro": (["Pedeapsa nu a fost înregistrată", "ani: nu poate fi negativ, s-a primit -2",
            "luni: trebuie să fie un număr întreg, s-a primit 'abc'"], "Pedeapsă și eligibilitate"),
}


@pytest.mark.parametrize("language", list(SENTENCE_REFUSALS))
def test_an_invalid_sentence_is_shown_beside_its_form_in_the_pages_language_with_what_was_typed(
        browser: Browser, world: World, language: str) -> None:
    _browser_in(browser, language)
    case_page = f"/mediator/cases/{world.own_requested}"
    response = browser.post(f"{case_page}/sentence", {
        "version": world.version(world.own_requested), "back": case_page,
        "kind": "fixed", "years": "-2", "months": "abc", "days": "4"})
    assert response.status_code == 400
    page = readable(response)
    assert f'<html lang="{language}">' in page
    problems = re.search(r'<div class="flash flash-error" role="alert" id="sentence-problems">(.*?)</div>', page, re.S)
    assert problems, "the refusal is not beside the sentence form"
    text = html.unescape(re.sub(r"<[^>]+>", " ", problems.group(1)))
    expected, heading = SENTENCE_REFUSALS[language]
    for sentence in expected:
        assert sentence in text
    _without_english_domain_words(text)
    assert 'id="years" name="years" type="text" inputmode="numeric" value="-2"' in page
    assert 'value="abc"' in page and 'value="4"' in page
    assert 'aria-invalid="true"' in page
    assert "Sentence and eligibility" not in page  # the whole page is in the language, not only the refusal
    if heading is not None:
        assert heading in page


def _romanian_browser(browser: Browser) -> Browser:
    return _browser_in(browser, "ro")


def test_a_guard_refusal_comes_back_to_the_case_page_in_romanian(browser: Browser, world: World) -> None:
    _romanian_browser(browser)
    case_page = f"/mediator/cases/{world.own_assessment}"
    response = browser.post(f"{case_page}/actions/prepare",
                            {"version": world.version(world.own_assessment), "back": case_page})
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{case_page}"
    [refusal] = [text for text in flashes(readable(browser.follow(response))) if "pregătire" in text]
    assert "nu se poate face încă" in refusal
    assert "nu toți participanții și-au dat consimțământul" in refusal
    _without_english_domain_words(refusal)


def test_the_eligibility_explanation_is_said_in_romanian(browser: Browser, world: World) -> None:
    _romanian_browser(browser)
    page = readable(browser.get(f"/mediator/cases/{world.own_requested}"))
    assert "Eligibil: 3 ani, 6 luni (1277 zile întregi) înseamnă cel puțin doi ani." in page
    assert "at least two years" not in page and "whole days" not in page


def test_a_refusal_without_a_back_field_or_referer_still_returns_to_a_page_of_ours(
        browser: Browser, world: World) -> None:
    browser.sign_in("mediator")
    response = browser.post(f"/mediator/cases/{world.own_assessment}/actions/prepare",
                            {"version": world.version(world.own_assessment)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("back", [
    "https://evil.example/", "//evil.example/path", "/\\evil.example", "http:/evil", "\\\\evil", "javascript:x",
    "/ok\r\nSet-Cookie: x=y", "relative/path", "/" + "a" * 3000,
])
def test_the_back_field_never_leads_off_the_site(browser: Browser, world: World, back: str) -> None:
    browser.sign_in("mediator")
    response = browser.post(f"/mediator/cases/{world.own_assessment}/actions/prepare",
                            {"version": world.version(world.own_assessment), "back": back})
    assert response.status_code in (303, 400)
    if response.status_code == 303:
        assert response.headers["Location"] == "/"


def test_every_form_on_the_case_page_carries_its_page(browser: Browser, world: World) -> None:
    browser.sign_in("mediator")
    case_page = f"/mediator/cases/{world.own_assessment}"
    page = readable(browser.get(case_page))
    forms = [form for form in re.findall(r'<form method="post".*?</form>', page, re.S) if '"/logout"' not in form]
    assert len(forms) >= 3
    for form in forms:
        assert f'<input type="hidden" name="back" value="{case_page}">' in form, form[:300]


# The language switch stays on the page.

def test_the_language_switch_returns_to_the_same_page_without_a_referer(browser: Browser, world: World) -> None:
    browser.sign_in("mediator")
    case_page = f"/mediator/cases/{world.own_assessment}"
    page = readable(browser.get(case_page))
    switch = re.search(r'<form[^>]*action="/language/fr"[^>]*>(.*?)</form>', page, re.S)
    assert switch, "no language switch on the page"
    assert f'name="back" value="{case_page}"' in switch.group(1)
    response = browser.post("/language/fr", {"back": case_page})
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{case_page}"
    assert '<html lang="fr">' in readable(browser.follow(response))


def test_the_language_switch_keeps_a_list_page_query(browser: Browser) -> None:
    browser.sign_in("mediator")
    response = browser.post("/language/fr", {"back": "/mediator/cases?state=assessment"})
    assert response.headers["Location"] == "http://localhost/mediator/cases?state=assessment"


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"])
def test_the_language_switch_is_no_open_redirect(browser: Browser, back: str) -> None:
    response = browser.post("/language/fr", {"back": back}, headers={"Referer": "https://evil.example/x"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


# Other areas: a refusal comes back to the page of the form, in the page's language.

def _back_of(page: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    back = re.search(r'name="back" value="([^"]*)"', form.group(1))
    assert back, f"the form posting to {action} does not carry its page"
    return html.unescape(back.group(1))


@pytest.mark.parametrize(("key", "page", "action", "data", "said"), [
    pytest.param("harmed", "/portal/cases/{own}/messages", "/portal/cases/{own}/messages", {"text": "   "},
                 "Le champ «\u00a0message\u00a0» ne peut pas être vide.", id="portal: an empty message"),
    pytest.param("admin", "/admin/accounts", "/admin/accounts",
                 {"username": "x", "display_name": "Someone", "role": "mediator"},
                 "Un nom d'utilisateur compte de 3 à 80 caractères", id="coordinator: a username too short"),
])
def test_a_refused_form_comes_back_to_its_page_in_french(browser: Browser, world: World, key: str, page: str,
                                                         action: str, data: dict[str, str], said: str) -> None:
    browser.sign_in(key)
    browser.post("/language/fr", {"back": "/"})
    page, action = page.format(own=world.own), action.format(own=world.own)
    back = _back_of(readable(browser.get(page)), action)
    assert back == page
    response = browser.post(action, {**data, "back": back})
    assert response.status_code == 303
    assert response.headers["Location"] == f"http://localhost{page}"
    shown = flashes(readable(browser.follow(response)))
    assert any(said.replace("\u00a0", " ") in text for text in shown), shown  # flashes() folds the spaces
