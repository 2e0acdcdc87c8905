"""Story: an account that belongs to its person. The coordinator creates a mediator's account without a
password and passes on a one-time code; the new mediator chooses their own password (a guessable one is
refused), signs in, changes it, and signs out everywhere, which also signs out their other browser."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, Credentials, LiveApp, People
from tests.e2e.navigators import enter_code, landed_after_activation

NEW_PASSWORD = "copper kettles hum at dawn"


def test_a_new_mediator_activates_their_own_account_and_ends_their_sessions(people: People,
                                                                           live_app: LiveApp) -> None:
    coordinator = people.coordinator()
    code = coordinator.create_account("mediator.noor", "Noor Newcomer", "mediator")
    coordinator.screenshot("account-created")
    coordinator.accounts()
    row = coordinator.page.locator("tbody tr").filter(has_text="mediator.noor")
    expect(row).to_contain_text("waiting for its person to activate it")

    noor = people.mediator(Credentials("mediator.noor", PASSWORD, "Noor Newcomer"))
    enter_code(noor, code)
    expect(noor.page.locator("h1")).to_have_text("Choose your password")
    expect(noor.page.locator("main")).to_contain_text("This is the account mediator.noor (Noor Newcomer).")
    noor.screenshot("choose-password")
    noor.page.get_by_label("Choose a password").fill("password1234")
    noor.page.get_by_label("The same password again").fill("password1234")
    noor.submit(noor.page.get_by_role("button", name="Save my password"), refused=True)
    expect(noor.page.locator("#password-error")).to_contain_text("This password is too easy to guess")
    noor.page.get_by_label("Choose a password").fill(PASSWORD)
    noor.page.get_by_label("The same password again").fill(PASSWORD)
    noor.submit(noor.page.get_by_role("button", name="Save my password"))
    account = landed_after_activation(noor, Credentials("mediator.noor", PASSWORD, "Noor Newcomer"))
    noor.login(account)
    expect(noor.page.locator("h1")).to_have_text("My cases")

    coordinator.accounts()
    expect(coordinator.page.locator("tbody tr").filter(has_text="mediator.noor")).to_contain_text("active")

    noor.change_password(PASSWORD, "short", refused=True)
    noor.change_password(PASSWORD, NEW_PASSWORD)
    assert "Your password was changed." in noor.flash()
    noor.screenshot("my-account")

    elsewhere = people.mediator(Credentials("mediator.noor", NEW_PASSWORD, "Noor Newcomer"))
    elsewhere.login(Credentials("mediator.noor", NEW_PASSWORD, "Noor Newcomer"))
    noor.sign_out_everywhere()
    assert "Your account was signed out everywhere." in noor.flash()
    assert elsewhere.is_signed_out()
    assert noor.is_signed_out()
