"""Story: a French-speaking mediator. What the rules say (what an action waits for, why it is refused, what is
wrong with the sentence typed) is said in French, on the case page, and the language switch stays on that page."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from mediation.demo import build_case, path_to
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import CaseState

ENGLISH = ("cannot happen yet", "not every participant", "Invalid sentence", "must be a whole number",
           "cannot be negative", "Eligible", "at least two years")


def _case(live_app: LiveApp, state: CaseState) -> str:
    admin, mediator, staff = (live_app.accounts[role][1] for role in ("admin", "mediator", "staff"))
    return build_case(live_app.runtime, admin, mediator, staff, steps=path_to(state))


def test_a_french_mediator_reads_the_rules_in_french_on_the_case_page(people: People, live_app: LiveApp) -> None:
    assessment, requested = _case(live_app, CaseState.ASSESSMENT), _case(live_app, CaseState.REQUESTED)
    mediator = people.mediator()
    mediator.open_case(assessment)
    case_url = mediator.page.url

    # The switch to French stays on the case page.
    mediator.switch_language()
    assert mediator.page.url == case_url
    expect(mediator.page.locator("html")).to_have_attribute("lang", "fr")
    assert "Peine et admissibilité" in mediator.main_text()
    assert "Admissible\u00a0: 3 ans, 6 mois (1277 jours entiers), c'est au moins deux ans." in mediator.eligibility()

    # What "Move to preparation" waits for, in French.
    waiting = mediator.page.locator("#waiting-prepare").inner_text()
    assert "tous les participants n'ont pas donné leur consentement" in waiting
    assert not any(words in waiting for words in ENGLISH), waiting

    # Pressed anyway (the disabled button is only a hint; the server decides): refused in French, same page.
    button = mediator.section("actions-title").get_by_role("button", name="Passer à la préparation")
    button.evaluate("button => button.removeAttribute('disabled')")
    mediator.submit(button, refused=True)
    assert mediator.page.url == case_url
    refusal = mediator.flash()
    assert "n'est pas encore possible" in refusal
    assert "tous les participants n'ont pas donné leur consentement" in refusal
    assert not any(words in refusal for words in ENGLISH), refusal
    mediator.screenshot("guard-refusal-fr")

    # An invalid sentence: the refusal beside the form, in French, with what was typed kept.
    mediator.visit(f"/mediator/cases/{requested}")
    form = mediator.section("eligibility").locator("form")
    form.get_by_label("Type de peine").select_option("fixed")
    form.get_by_label("Années").fill("-3")
    form.get_by_label("Mois").fill("six")
    mediator.submit(form.get_by_role("button", name="Enregistrer la peine"), refused=True)
    problems = mediator.page.locator("#sentence-problems").inner_text()
    assert "La peine n'a pas été enregistrée" in problems
    assert "ne peut pas être négatif" in problems and "doit être un nombre entier" in problems
    assert not any(words in problems for words in ENGLISH), problems
    expect(form.get_by_label("Années")).to_have_value("-3")
    expect(form.get_by_label("Mois")).to_have_value("six")
    expect(form.get_by_label("Années")).to_have_attribute("aria-invalid", "true")
    mediator.screenshot("invalid-sentence-fr")

    # Corrected, it is recorded, and the switch back to English stays on the case page too.
    form.get_by_label("Années").fill("2")
    form.get_by_label("Mois").fill("")
    mediator.submit(form.get_by_role("button", name="Enregistrer la peine"))
    assert "Admissible" in mediator.eligibility()
    before = mediator.page.url.split("#")[0]
    mediator.switch_language()
    assert mediator.page.url.split("#")[0] == before
    expect(mediator.page.locator("html")).to_have_attribute("lang", "en")
    assert "Eligible: 2 years (730 whole days) is at least two years." in mediator.eligibility()
