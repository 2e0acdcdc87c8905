"""Story e: the programme is bilingual; a person who switches to French gets pages marked as French."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from tests.e2e.conftest import People


def test_switching_to_french_marks_the_pages_as_french(people: People) -> None:
    visitor = people.visitor()
    visitor.home()
    expect(visitor.page.locator("html")).to_have_attribute("lang", "en")

    visitor.switch_language()

    expect(visitor.page.locator("html")).to_have_attribute("lang", "fr")
    # The way back is offered in English, and marked as English for screen readers.
    expect(visitor.page.locator("form.language-switch button[lang='en']")).to_have_text("English")
    visitor.screenshot("home-fr")

    visitor.visit("/login")  # the choice stays for the next pages
    expect(visitor.page.locator("html")).to_have_attribute("lang", "fr")
    visitor.screenshot("login-fr")
