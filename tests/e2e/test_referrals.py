"""Story: a referral to a partner's housing service, with the person's consent, in English and in Romanian.

A mediator of organisation A finds organisation B's housing service in the partner directory (kind, area and
language), follows its link to a new referral, reads the consent wording, shares two fields the
person consented to, saves the draft and sends it. B's coordinator finds it among the referrals received, reads
the two fields, accepts it, starts the work and records it completed; the mediator sees the outcome and never the
partner's note. On another referral, the person withdraws their consent from their own page, and B's coordinator
no longer sees the fields. The same story runs with everyone reading Romanian. Every page is checked by axe-core
(and, in Romanian, for English left over) in Chromium (tests/e2e/navigators.py ``arrived``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from babel.messages.pofile import read_po
from playwright.sync_api import expect

from mediation.models import PartnerService, PartnerServiceLanguage, User
from mediation.organisation_keys import add_organisation_with_keys
from mediation.services.referrals import drafting, moves
from mediation.services.referrals.wording import CURRENT_WORDING
from tests.e2e.conftest import Credentials, LiveApp, People, _create_account
from tests.e2e.navigators import Coordinator, Navigator

NAME, RELEASE = "Ioana Popescu", "2027-03-14"
NOTE = "Viewing of a room at the hostel on Tuesday."
# The person's status once the partner accepted, in each language: the page must say it in the reader's language.
ACCEPTED = {"en": "The partner accepted it and will start working with you."}
CATALOGS = Path(__file__).resolve().parents[2] / "web" / "translations"


def accepted_in(language: str) -> str:
    """The sentence as the page's catalog says it (a sentence missing from the catalog fails the story)."""
    if language == "en":
        return ACCEPTED["en"]
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        message = read_po(handle, locale=language).get(ACCEPTED["en"])
    assert message is not None and message.string, f"not translated into {language} yet: {ACCEPTED['en']!r}"
    return str(message.string)


def _partner(live_app: LiveApp, number: int) -> tuple[int, Credentials, Credentials]:
    """Organisation B with its coordinator and a housing service (ro, en), and a person of A with an account."""
    runtime = live_app.runtime
    partner, _ = add_organisation_with_keys(runtime, f"casa-{number}", f"Casa Speranța {number}")
    coordinator, account = _create_account(runtime, f"partner.{number}", f"Partner Coordinator {number}", "admin")
    person, _ = _create_account(runtime, f"person.{number}", f"Person {number}", "participant")
    with runtime.transaction() as session:
        session.get(User, account.id).organisation_id = partner
        service = PartnerService(organisation_id=partner, kind="housing", custody_stage="after_release", area="Timiș",
                                 area_key="timis", description="Rooms in a hostel", contact="casa@example.org",
                                 languages=[PartnerServiceLanguage(language=code) for code in ("en", "ro")])
        session.add(service)
        session.flush()
        service_id = service.id
    return service_id, coordinator, person


def _other_referral(live_app: LiveApp, service_id: int, person: Credentials) -> str:
    """A second referral for the person, sent: the one they withdraw their consent from."""
    worker = live_app.accounts["mediator"][1]
    with live_app.runtime.transaction() as session:
        person_id = session.query(User.id).filter(User.username == person.username).scalar()
        reference = drafting.create_draft(session, live_app.runtime.vault, worker, service_id=service_id,
                                          stage="after_release", person_id=person_id, wording=CURRENT_WORDING,
                                          choices={"name": (NAME, True), "language": ("ro", True)}).reference
    with live_app.runtime.transaction() as session:
        moves.send(session, worker, reference)
    return reference


def _in(person: Navigator, language: str) -> None:
    if language != "en":
        person.switch_language(language)
        assert person.page.locator("html").get_attribute("lang") == language


def _press(person: Navigator, action: str, trigger: str | None = None) -> None:
    """Press the button of the form posting to ``action`` (the step's ``trigger``), whatever the language."""
    form = person.page.locator(f"main form[action$='/{action}']")
    if trigger is not None:
        form = form.filter(has=person.page.locator(f"input[name='trigger'][value='{trigger}']"))
    person.submit(form.locator("button[type='submit']"))


@pytest.mark.parametrize("language", ["en", "ro"])
def test_a_referral_with_consent_is_sent_accepted_completed_and_consent_withdrawn(people: People, live_app: LiveApp,
                                                                                  language: str) -> None:
    number = next(live_app.numbers)
    service_id, partner_credentials, person_credentials = _partner(live_app, number)
    other = _other_referral(live_app, service_id, person_credentials)

    worker = people.mediator()
    _in(worker, language)
    worker.follow(worker.page.get_by_role("navigation").locator("a[href='/network/directory']"))
    worker.page.locator("select[name='kind']").select_option("housing")
    worker.page.locator("input[name='area']").fill("timis")
    worker.page.locator("select[name='language']").select_option("ro")
    worker.submit(worker.page.locator("main form[method='get'] button[type='submit']"))
    worker.follow(worker.page.locator(f"main a[href='/referrals/new?service={service_id}']"))
    assert f"Casa Speranța {number}" in worker.main_text()
    expect(worker.page.locator("blockquote.consent-wording")).not_to_be_empty()
    worker.page.locator("input[name='stage'][value='after_release']").check()
    for field, value in (("name", NAME), ("release_date", RELEASE)):
        worker.page.locator(f"#share-{field}").check()
        worker.page.locator(f"#value-{field}").fill(value)
        worker.page.locator(f"#consent-{field}").check()
    worker.submit(worker.page.locator("main form[method='post'] button[type='submit']"))
    reference = worker.page.locator("h1 .reference").inner_text()
    assert reference.startswith("RF-")
    assert NAME in worker.main_text() and RELEASE in worker.main_text()
    _press(worker, "send")
    expect(worker.page.locator("main .status")).to_have_attribute("data-state", "sent")
    worker.screenshot(f"referral-sent-{language}")

    partner = people._new(Coordinator)
    partner.login(partner_credentials)
    _in(partner, language)
    partner.follow(partner.page.get_by_role("navigation").locator("a[href='/referrals/inbox']"))
    partner.follow(partner.page.get_by_role("link", name=reference))
    shown = partner.main_text()
    assert NAME in shown and RELEASE in shown
    _press(partner, "move", "accept")
    _press(partner, "move", "start")
    partner.page.locator("#note-text").fill(NOTE)
    _press(partner, "notes")
    expect(partner.page.locator("article.note")).to_contain_text(NOTE)
    partner.page.locator("#reason-complete").select_option("goal_met")
    _press(partner, "move", "complete")
    expect(partner.page.locator("main .status")).to_have_attribute("data-state", "completed")
    partner.screenshot(f"referral-completed-{language}")

    worker.visit(f"/referrals/{reference}")
    expect(worker.page.locator("main .status")).to_have_attribute("data-state", "completed")
    assert NOTE not in worker.main_text()

    person = people.participant(person_credentials)
    _in(person, language)
    person.follow(person.page.get_by_role("navigation").locator("a[href='/referrals/mine']"))
    person.follow(person.page.locator(f"main a[href='/referrals/{other}']"))
    assert NAME not in person.main_text()  # which fields, never their values
    partner.visit(f"/referrals/{other}")
    _press(partner, "move", "accept")
    person.visit(f"/referrals/{other}")
    assert accepted_in(language) in person.main_text()
    _press(person, "withdraw-consent")
    person.screenshot(f"referral-consent-withdrawn-{language}")
    partner.visit(f"/referrals/{other}")
    assert NAME not in partner.main_text()
    expect(partner.page.locator("dl.shared-fields")).to_have_count(0)
