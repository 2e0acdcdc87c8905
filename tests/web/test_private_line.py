"""The private line, drafts, cover notes, read receipts and the portal's care, through the real views."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.web.conftest import MEDIATOR_NAME, Browser, World, flashes, page_text, readable
from tests.web.test_routes import covers

LINE = "/portal/cases/{}/mediator"


def line(world: World, reference: str | None = None) -> str:
    return LINE.format(reference or world.own)


def textarea(page: str, name: str = "text") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return match.group(1)


@covers("portal.private_line_page GET", "portal.write_to_mediator POST", "mediator.private_line_page GET")
def test_a_participant_sees_their_mediator_and_writes_to_them_alone(browser_for, world: World) -> None:
    offender = browser_for("offender")
    page = readable(offender.get(line(world)))
    assert f"Your mediator is {MEDIATOR_NAME}." in page
    assert "goes to your mediator only" in page
    sent = offender.post(line(world), {"kind": "message", "text": "Only-you-7HQ: I am nervous about Tuesday."})
    assert sent.status_code == 303 and urlsplit(sent.headers["Location"]).path == line(world)
    assert "sent to your mediator only" in flashes(page_text(offender.follow(sent)))[0]
    assert "Only-you-7HQ" in page_text(offender.get(line(world)))
    mediator = browser_for("mediator")
    assert "Participants wrote to you" in page_text(mediator.get("/mediator/"))
    assert "(1 new)" in page_text(mediator.get(f"/mediator/cases/{world.own}"))
    assert "Only-you-7HQ" in page_text(mediator.get(f"/mediator/cases/{world.own}/private-line"))
    harmed = browser_for("harmed")
    for path in (line(world), f"/portal/cases/{world.own}/messages", "/portal/"):
        assert "Only-you-7HQ" not in page_text(harmed.get(path))


@covers("mediator.reply_privately POST")
def test_the_mediators_answer_reaches_that_participant_only(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    answered = mediator.post(f"/mediator/cases/{world.own}/private-line/{world.own_offender}",
                             {"text": "Answer-for-you-2KD"})
    assert answered.status_code == 303
    assert "Answer-for-you-2KD" in page_text(browser_for("offender").get(line(world)))
    assert "Answer-for-you-2KD" not in page_text(browser_for("harmed").get(line(world)))
    empty = mediator.post(f"/mediator/cases/{world.own}/private-line/{world.own_offender}", {"text": " "},
                          headers={"Referer": f"http://localhost/mediator/cases/{world.own}/private-line"})
    assert "Write a few words" in flashes(page_text(mediator.follow(empty)))[0]


def test_bad_input_comes_back_on_the_form_with_the_words_kept(browser_for, world: World) -> None:
    offender = browser_for("offender")
    cases = [({"kind": "message", "text": ""}, "Write a few words to your mediator first."),
             ({"kind": "message", "text": "x" * 5001}, "too long (5001 characters; at most 5000)"),
             ({"kind": "shout", "text": "Kept-words-9"}, "Choose what you want to tell your mediator"),
             ({"kind": "start_again", "text": "Kept-words-9"}, "nothing to start again")]
    for form, refusal in cases:
        response = offender.post(line(world), form)
        assert response.status_code == 400, form
        page = readable(response)
        assert refusal in page
        assert textarea(page_text(response)) == form["text"]
        assert 'aria-invalid="true"' in page_text(response)
    assert "Kept-words-9" not in page_text(browser_for("mediator").get(f"/mediator/cases/{world.own}/private-line"))


@covers("mediator.reopen_on_request POST", "mediator.answer_request POST")
def test_a_withdrawn_participant_asks_to_start_again_and_the_mediator_reopens(browser_for, world: World) -> None:
    offender = browser_for("offender")
    assert offender.post(f"/portal/cases/{world.own}/withdraw").status_code == 303
    home = readable(offender.get("/portal/"))
    assert "Write to your mediator, or ask to start again" in home
    page = readable(offender.get(line(world)))
    assert "I would like to start again" in page
    asked = offender.post(line(world), {"kind": "start_again", "text": ""})
    assert asked.status_code == 303
    assert "request to start again was sent" in flashes(page_text(offender.follow(asked)))[0]
    assert 'value="start_again"' not in page_text(offender.get(line(world)))  # asked once
    mediator = browser_for("mediator")
    assert "a request to start again" in page_text(mediator.get("/mediator/"))
    case_page = page_text(mediator.get(f"/mediator/cases/{world.own}"))
    assert "Request to reopen" in case_page
    action = re.search(r'action="(/mediator/cases/[^"]+/reopen)"', case_page)
    assert action
    reopened = mediator.post(action.group(1))
    assert reopened.status_code == 303
    assert "reopened at the participant's request" in flashes(page_text(mediator.follow(reopened)))[0]
    assert 'data-state="assessment"' in page_text(mediator.get(f"/mediator/cases/{world.own}"))


def test_the_worlds_request_to_start_again_is_shown_and_acted_on_once(browser_for, world: World) -> None:
    harmed = browser_for("harmed")
    assert "Your request to start again is with your mediator" in readable(harmed.get(line(world, world.own_withdrawn)))
    mediator = browser_for("mediator")
    path = f"/mediator/cases/{world.own_withdrawn}/private-line/requests/{world.start_again}/reopen"
    assert mediator.post(path).status_code == 303
    again = mediator.post(path, headers={"Referer": f"http://localhost/mediator/cases/{world.own_withdrawn}"})
    assert "already acted on" in flashes(page_text(mediator.follow(again)))[0]


def test_a_request_to_start_again_can_be_closed_without_reopening(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    closed = mediator.post(f"/mediator/cases/{world.own_withdrawn}/private-line/requests/{world.start_again}/answered")
    assert closed.status_code == 303
    assert "without reopening" in flashes(page_text(mediator.follow(closed)))[0]
    assert "Request to reopen" not in page_text(mediator.get(f"/mediator/cases/{world.own_withdrawn}"))
    page = readable(browser_for("harmed").get(line(world, world.own_withdrawn)))
    assert "your mediator answered it without reopening the case" in page
    assert "I would like to start again" in page  # they may ask again


@covers("portal.save_draft POST")
def test_a_draft_is_saved_put_back_and_gone_once_sent(browser_for, world: World) -> None:
    harmed = browser_for("harmed")
    saved = harmed.post(f"/portal/cases/{world.own}/drafts/message", {"text": "Draft-words-4RT, half written"})
    assert saved.status_code == 200 and saved.json["saved"] is True
    page = page_text(harmed.get(f"/portal/cases/{world.own}/messages"))
    assert textarea(page) == "Draft-words-4RT, half written"
    assert "We kept what you were writing" in page
    assert "Draft-words-4RT" not in page_text(browser_for("offender").get(f"/portal/cases/{world.own}/messages"))
    assert harmed.post(f"/portal/cases/{world.own}/messages", {"text": "Draft-words-4RT, finished"}).status_code == 303
    assert textarea(page_text(harmed.get(f"/portal/cases/{world.own}/messages"))) == ""
    refused = harmed.post(f"/portal/cases/{world.own}/drafts/letter", {"text": "x"})
    assert refused.status_code == 400 and refused.json == {"saved": False, "message": "Unknown kind of draft."}
    too_long = harmed.post(f"/portal/cases/{world.own}/drafts/message", {"text": "x" * 20001})
    assert too_long.status_code == 400 and "too long" in too_long.json["message"]
    assert harmed.post(f"/portal/cases/{world.own}/drafts/message", {"text": "x"}, csrf=False).status_code == 400


def test_the_private_line_keeps_its_own_draft(browser_for, world: World) -> None:
    offender = browser_for("offender")
    offender.post(f"/portal/cases/{world.own}/drafts/private", {"text": "Private-draft-8UU"})
    assert textarea(page_text(offender.get(line(world)))) == "Private-draft-8UU"
    offender.post(line(world), {"kind": "message", "text": "Private-draft-8UU, sent"})
    assert textarea(page_text(offender.get(line(world)))) == ""


def test_a_form_sent_after_the_session_ended_says_so_and_gives_back_the_words(browser_for, world: World) -> None:
    harmed = browser_for("harmed")
    token = harmed.token()
    harmed.client.delete_cookie("mediation_session")  # the browser dropped it: the idle timeout passed
    came_from = f"http://localhost/portal/cases/{world.own}/messages"
    response = harmed.post(f"/portal/cases/{world.own}/messages", {"text": "Lost-letter-3PL"}, token=token,
                           headers={"Referer": came_from})
    assert response.status_code == 400
    page = readable(response)
    assert "The page was open too long" in page and "did not come from" not in page
    assert "30 minutes without activity" in page
    assert re.search(r'<textarea id="written" readonly>Lost-letter-3PL</textarea>', page_text(response))
    # a form another site made the browser send never gets its words shown on this site
    foreign = harmed.post(f"/portal/cases/{world.own}/messages", {"text": "Spoofed-6YY"}, token=token,
                          headers={"Referer": "https://elsewhere.example/"})
    assert "Spoofed-6YY" not in page_text(foreign)
    assert "Spoofed-6YY" not in page_text(harmed.post(f"/portal/cases/{world.own}/messages", {"text": "Spoofed-6YY"},
                                                      token=token))


def test_a_form_with_a_wrong_token_is_told_apart_from_an_ended_session(browser_for, world: World) -> None:
    harmed = browser_for("harmed")
    harmed.token()  # the session holds a token
    response = harmed.post(f"/portal/cases/{world.own}/messages", {"text": "x"}, token="not-the-token")
    assert response.status_code == 400
    page = readable(response)
    assert "did not come from this site" in page and "open too long" not in page


def test_a_withheld_message_says_the_mediator_decided_and_that_they_can_talk(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    mediator.post(f"/mediator/cases/{world.own}/messages/{world.pending}/review",
                  {"trigger": "withhold", "reason": "harmful_content"})
    page = readable(browser_for("offender").get(f"/portal/cases/{world.own}/messages"))
    assert "not passed on by your mediator" in page
    assert "Your mediator decided not to pass this message on. You can talk about it with them" in page
    assert "not delivered" not in page


@covers("mediator.approve_with_note POST")
def test_a_cover_note_is_read_before_the_message(browser_for, world: World) -> None:
    mediator = browser_for("mediator")
    base = f"/mediator/cases/{world.own}/messages/{world.pending}"
    too_long = mediator.post(f"{base}/approve", {"cover_note": "x" * 601},
                             headers={"Referer": f"http://localhost/mediator/cases/{world.own}/messages"})
    assert "too long" in flashes(page_text(mediator.follow(too_long)))[0]
    assert mediator.post(f"{base}/approve", {"cover_note": "Cover-note-5WE: take your time."}).status_code == 303
    harmed = browser_for("harmed")
    message = f"/portal/cases/{world.own}/messages/{world.pending}"
    first = page_text(harmed.get(message))
    assert "Cover-note-5WE" in first and "Canary-pending" not in first
    assert "(new)" in page_text(harmed.get(f"/portal/cases/{world.own}/messages"))  # the note did not open it
    opened = page_text(harmed.get(f"{message}?then=message"))
    assert opened.index("Cover-note-5WE") < opened.index("Canary-pending")
    assert "Cover-note-5WE" not in page_text(browser_for("offender").get(f"/portal/cases/{world.own}/messages"))


@covers("mediator.read_receipts POST")
def test_read_receipts_follow_the_mediators_choice(browser_for, world: World) -> None:
    harmed, offender = browser_for("harmed"), browser_for("offender")
    offender.get(f"/portal/cases/{world.own}/messages/{world.delivered}")  # the offender reads it
    assert "read on" not in page_text(harmed.get(f"/portal/cases/{world.own}/messages"))
    mediator = browser_for("mediator")
    shown = mediator.post(f"/mediator/cases/{world.own}/read-receipts", {"shown": "yes"})
    assert "now see when" in flashes(page_text(mediator.follow(shown)))[0]
    assert "read on" in page_text(harmed.get(f"/portal/cases/{world.own}/messages"))
    mediator.post(f"/mediator/cases/{world.own}/read-receipts", {"shown": "no"})
    assert "read on" not in page_text(harmed.get(f"/portal/cases/{world.own}/messages"))


def test_participant_and_public_pages_offer_a_quick_exit_and_support(browser_for, world: World,
                                                                    browser: Browser) -> None:
    for visitor, path in ((browser, "/"), (browser, "/request"), (browser_for("offender"), "/portal/"),
                          (browser_for("offender"), line(world))):
        response = visitor.get(path)
        page = page_text(response)
        assert 'id="quick-exit"' in page and 'href="https://www.google.com/"' in page, path
        assert "If you need support now" in page and "988" in page, path
        assert "<script>" not in page and "quick-exit.js" in page
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    mediator_page = page_text(browser_for("mediator").get("/mediator/"))
    assert 'id="quick-exit"' not in mediator_page
    assert browser.get("/static/quick-exit.js").status_code == 200
    assert browser.get("/static/draft.js").status_code == 200
