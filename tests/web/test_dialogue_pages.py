"""Needs and questions, the agreement and its follow-up, the closing form and closing letters, through the views."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.web.conftest import Browser, World, flashes, page_text, readable
from tests.web.test_routes import covers


def to(response) -> str:
    assert response.status_code == 303, page_text(response)[:1500]
    return urlsplit(response.headers["Location"]).path


def refusal(browser: Browser, path: str, data: dict[str, str], back: str) -> str:
    """Post bad input from ``back`` and return the flashed refusal on the page it came back to."""
    response = browser.post(path, data, headers={"Referer": f"http://localhost{back}"})
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        return readable(response)
    return " ".join(flashes(page_text(browser.follow(response))))


@covers("mediator.case_needs GET", "mediator.case_needs POST", "mediator.need_status POST", "portal.my_needs GET")
def test_needs_are_recorded_marked_and_seen_by_their_own_person_only(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    needs = f"/mediator/cases/{world.own}/needs"
    assert to(mediator.post(needs, {"participant_id": str(world.own_harmed), "kind": "question",
                                    "text": "Harmed-question-5KQ"})) == needs
    page = page_text(mediator.get(needs))
    assert "Harmed-question-5KQ" in page and "Will she accept my letter?" in page
    assert to(mediator.post(f"{needs}/{world.own_need}/status", {"status": "partly_answered"})) == needs
    assert "partly answered" in page_text(mediator.get(needs))
    mine = readable(browser_for("offender").get(f"/portal/cases/{world.own}/needs"))
    assert "Will she accept my letter?" in mine and "partly answered" in mine and "Harmed-question-5KQ" not in mine
    theirs = readable(browser_for("harmed").get(f"/portal/cases/{world.own}/needs"))
    assert "Harmed-question-5KQ" in theirs and "Will she accept my letter?" not in theirs
    assert "too long" in refusal(mediator, needs, {"participant_id": str(world.own_harmed), "kind": "need",
                                                   "text": "x" * 2001}, needs)


@covers("mediator.case_agreement GET", "mediator.case_agreement POST", "mediator.add_item POST",
        "mediator.follow_up POST")
def test_an_agreement_is_recorded_its_items_added_and_followed_up(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    relay = f"/mediator/cases/{world.own_relay}/agreement"
    assert "No agreement is recorded" in page_text(mediator.get(relay))
    assert "future" in refusal(mediator, relay, {"agreed_on": "2999-01-01"}, relay)
    assert to(mediator.post(relay, {"agreed_on": "2026-01-10"})) == relay
    assert "before the agreement" in refusal(mediator, f"{relay}/items", {
        "kind": "apology", "responsible": str(world.relay_harmed), "what": "Too early", "due_on": "2026-01-09"}, relay)
    assert to(mediator.post(f"{relay}/items", {"kind": "answers", "responsible": "mediator",
                                               "what": "Item-what-3PZ", "due_on": "2026-02-01"})) == relay
    page = page_text(mediator.get(relay))
    [item] = re.findall(r"/agreement/items/([0-9a-f]{32})/follow-up", page)
    assert "Item-what-3PZ" in page and "answers to give" in page
    assert to(mediator.post(f"{relay}/items/{item}/follow-up", {"status": "completed",
                                                                "note": "Follow-note-8RW"})) == relay
    page = readable(mediator.get(relay))
    assert "Follow-note-8RW" in page and "completed" in page


@covers("mediator.close_case GET", "mediator.close_case POST")
def test_the_close_button_leads_to_the_closing_form_which_needs_a_summary(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    case = f"/mediator/cases/{world.own_closing}"
    assert f"{case}/close" in page_text(mediator.get(case))
    version = str(world.version(world.own_closing))
    plain = mediator.post(f"{case}/actions/close", {"reason": "dialogue_completed", "version": version})
    assert to(plain) == f"{case}/close"
    assert "closing summary" in " ".join(flashes(page_text(mediator.follow(plain))))
    assert "cannot be empty" in refusal(mediator, f"{case}/close", {"reason": "dialogue_completed",
                                                                    "version": version, "summary": ""}, f"{case}/close")
    assert to(mediator.post(f"{case}/close", {"reason": "dialogue_completed", "version": version,
                                              "summary": "Summary-9TT"})) == case
    page = page_text(mediator.get(case))
    assert "Closing letters" in page and "Summary-9TT" not in page


@covers("mediator.letter GET", "portal.my_letter GET")
def test_closing_letters_for_the_mediator_to_print_and_in_the_participants_portal(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    # The offender reads French (their contact card): their letter is in French, whoever opens it.
    letter = readable(mediator.get(f"/mediator/cases/{world.own_closed}/letters/{world.closed_offender}"))
    assert "Votre démarche de justice réparatrice est terminée" in letter and world.own_closed in letter
    assert "Your restorative process is closed" not in letter
    assert "Both said what they came to say." not in letter
    assert "letter.css" in letter
    offender = browser_for("offender")
    assert f"/portal/cases/{world.own_closed}/letter" in page_text(offender.get("/portal/"))
    own = readable(offender.get(f"/portal/cases/{world.own_closed}/letter"))
    assert "Votre démarche de justice réparatrice est terminée" in own
    assert "Both said what they came to say." not in own
    assert offender.get(f"/portal/cases/{world.own}/letter").status_code == 404  # not closed: no letter
