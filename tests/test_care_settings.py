"""Support resources, the quick exit and the programme's contact are settings: safe defaults, bad values refused
with the variable named."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import SettingsError, load_settings
from config.care import DEFAULT_RESOURCES, DEMO_PROGRAMME_EMAIL, DEMO_PROGRAMME_PHONE
from mediation.languages import LANGUAGES


def settings(**env: str):
    return load_settings({f"MEDIATION_{name}": value for name, value in env.items()}, cwd=Path("/srv"))


def test_the_defaults_offer_support_in_every_language_and_a_neutral_exit() -> None:
    care = settings().care
    assert care.quick_exit_url == "https://www.google.com/"
    assert [r.phone for r in care.resources_for("en")] == ["911", "988", "1-866-806-2275"]
    assert care.resources_for("fr")[0].name.startswith("Services d'urgence")
    assert care.resources_for("ro")[0].phone == "112"  # Romania's single emergency number
    assert care.resources_for("de") == care.resources_for("en")  # a language the programme does not speak
    assert (care.programme.phone, care.programme.email) == (DEMO_PROGRAMME_PHONE, DEMO_PROGRAMME_EMAIL)


def test_every_language_of_the_programme_has_its_own_default_resources() -> None:
    assert set(DEFAULT_RESOURCES) == set(LANGUAGES)


def test_romanian_resources_are_read_from_their_own_variable() -> None:
    care = settings(SUPPORT_RESOURCES_RO="Linie de sprijin|0800 000 000|").care
    assert [(r.name, r.phone) for r in care.resources_for("ro")] == [("Linie de sprijin", "0800 000 000")]
    assert care.resources_for("fr")[0].name.startswith("Services d'urgence")


def test_resources_exit_and_contact_are_read_from_the_environment() -> None:
    care = settings(SUPPORT_RESOURCES="Helpline|1-800-555-0100|https://help.example.org; Chat||https://chat.example",
                    QUICK_EXIT_URL="https://weather.example/", PROGRAMME_PHONE="1-800-555-0199",
                    PROGRAMME_EMAIL="office@example.org").care
    assert [(r.name, r.phone, r.url) for r in care.resources_for("en")] == [
        ("Helpline", "1-800-555-0100", "https://help.example.org"), ("Chat", "", "https://chat.example")]
    assert care.quick_exit_url == "https://weather.example/"
    assert (care.programme.phone, care.programme.email) == ("1-800-555-0199", "office@example.org")


@pytest.mark.parametrize(("name", "value"), [
    ("SUPPORT_RESOURCES", "Only a name"),
    ("SUPPORT_RESOURCES", "Name||"),
    ("SUPPORT_RESOURCES", "Name|call me|"),
    ("SUPPORT_RESOURCES", "Name||javascript:alert(1)"),
    ("SUPPORT_RESOURCES", " ; "),
    ("SUPPORT_RESOURCES_FR", "Nom|911|ftp://example.org"),
    ("SUPPORT_RESOURCES_RO", "Nume|112|ftp://example.org"),
    ("QUICK_EXIT_URL", "javascript:history.back()"),
    ("QUICK_EXIT_URL", "/relative"),
    ("PROGRAMME_PHONE", "call the office"),
    ("PROGRAMME_EMAIL", "not an address"),
])
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"MEDIATION_{name}"):
        settings(**{name: value})
