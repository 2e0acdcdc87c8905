"""Romanian chosen wherever a language is chosen: a participant's contact card (their letters), the invitation
e-mail, notification settings and the public request form each offer Romanian and honour it."""

from __future__ import annotations

import re

from sqlalchemy import select

from mediation.models import NotificationPreference, OutboxMessage, Participant, User
from mediation.runtime import Runtime
from mediation.services.lookup import find_case
from tests.web.conftest import Browser, World, page_text, readable


def _languages_offered(page: str, name: str) -> list[str]:
    select_ = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select_, f"no {name} select on the page"
    return re.findall(r'<option[^>]*value="(\w*)"', select_.group(1))


def _participants(runtime: Runtime, world: World, reference: str) -> list[Participant]:
    with runtime.transaction(read_only=True) as session:
        mediator = session.get(User, world.users["mediator"])
        return list(find_case(session, mediator, reference).participants)


def test_a_participant_whose_card_says_romanian_gets_a_romanian_letter(browser: Browser, world: World,
                                                                        web_runtime: Runtime) -> None:
    browser.sign_in("mediator")
    case = f"/mediator/cases/{world.own_closing}"
    person = _participants(web_runtime, world, world.own_closing)[0]
    card_page = readable(browser.get(f"{case}/participants/{person.id}/contact"))
    assert _languages_offered(card_page, "language") == ["", "en", "fr", "ro"]
    assert ">Romanian</option>" in card_page
    saved = browser.post(f"{case}/participants/{person.id}/contact",
                         {"name": "Ioana Popescu", "phone": "0722 000 000", "language": "ro"})
    assert saved.status_code == 303
    assert 'value="ro" selected' in readable(browser.get(f"{case}/participants/{person.id}/contact"))
    closed = browser.post(f"{case}/close", {"reason": "dialogue_completed", "summary": "Summary-RO1",
                                            "version": str(world.version(world.own_closing))})
    assert closed.status_code == 303
    letter = readable(browser.get(f"{case}/letters/{person.id}"))
    assert '<article class="letter" lang="ro"' in letter
    assert "Procesul dumneavoastră restaurativ este închis" in letter and "Bună ziua," in letter
    assert "Your restorative process is closed" not in letter and "Summary-RO1" not in letter
    # The page around the letter stays in the mediator's language, and names the letter's.
    assert "This letter is written in Romanian" in page_text(browser.get(f"{case}/letters/{person.id}"))


def test_the_invitation_email_can_be_written_in_romanian(browser: Browser, world: World,
                                                         web_runtime: Runtime) -> None:
    browser.sign_in("mediator")
    case = f"/mediator/cases/{world.own_assessment}"
    page = readable(browser.get(case))
    assert _languages_offered(page, "language") == ["en", "fr", "ro"]
    sent = browser.post(f"{case}/participants/{world.assessment_harmed}/invite",
                        {"by_email": "y", "email": "ioana@example.org", "agreed": "y", "language": "ro"})
    assert sent.status_code == 303
    with web_runtime.transaction(read_only=True) as session:
        [row] = session.scalars(select(OutboxMessage))
    assert row.event == "invitation" and b"ioana@example.org" not in (row.sealed_payload or b"")


def test_a_participant_chooses_romanian_e_mails(browser: Browser, world: World, web_runtime: Runtime) -> None:
    browser.sign_in("harmed")
    page = readable(browser.get("/portal/notifications"))
    assert _languages_offered(page, "language") == ["en", "fr", "ro"]
    saved = browser.post("/portal/notifications", {"channel": "email", "address": "ioana@example.org",
                                                   "language": "ro", "time_zone": "Europe/Bucharest"})
    assert saved.status_code == 303
    with web_runtime.transaction(read_only=True) as session:
        row = session.get(NotificationPreference, world.users["harmed"])
    assert row is not None and (row.language, row.time_zone) == ("ro", "Europe/Bucharest")


def test_the_request_form_in_romanian_keeps_romanian_and_refuses_a_language_not_offered(browser: Browser) -> None:
    page = readable(browser.get("/request", headers={"Accept-Language": "ro"}))
    assert _languages_offered(page, "language") == ["en", "fr", "ro"]
    assert re.search(r'<option[^>]*selected[^>]*value="ro"|<option[^>]*value="ro"[^>]*selected', page)
    refused = browser.post("/request", {"relationship": "victim", "name": "Ioana", "phone": "0722 000 000",
                                        "language": "hu", "understood": "y"}, headers={"Accept-Language": "ro"})
    assert refused.status_code == 400
    assert "Alegeți limba dintre: Engleză, Franceză, Română." in readable(refused), page_text(refused)[-1500:]


def test_before_any_choice_the_e_mails_language_is_the_one_the_person_reads(browser: Browser) -> None:
    browser.sign_in("harmed")
    browser.post("/language/ro", {"back": "/"})
    page = readable(browser.get("/portal/notifications"))
    assert re.search(r'<option[^>]*selected[^>]*value="ro"|<option[^>]*value="ro"[^>]*selected', page)
    browser.post("/portal/notifications", {"channel": "email", "address": "ioana@example.org", "language": "fr",
                                           "time_zone": "Europe/Bucharest"})
    chosen = readable(browser.get("/portal/notifications"))  # once chosen, the choice is shown, whatever the page
    assert re.search(r'<option[^>]*selected[^>]*value="fr"|<option[^>]*value="fr"[^>]*selected', chosen)



def test_after_signing_in_the_pages_follow_the_language_the_person_chose(browser_for, world: World) -> None:
    chooser = browser_for("offender")
    saved = chooser.post("/portal/notifications", {"channel": "none", "language": "ro",
                                                   "time_zone": "Europe/Bucharest"})
    assert saved.status_code == 303
    arriving = browser_for(None)
    assert arriving.log_in(world.usernames["offender"]).status_code == 302
    assert '<html lang="ro">' in arriving.get("/portal/").get_data(as_text=True)
    switched = browser_for(None)  # a language switched to on this browser before signing in stays
    switched.post("/language/fr", {"back": "/login"})
    assert switched.log_in(world.usernames["offender"]).status_code == 302
    assert '<html lang="fr">' in switched.get("/portal/").get_data(as_text=True)
