"""Story: the dialogue's work. A mediator records each side's needs and questions, an agreement with its items,
follows one up, closes the case with a summary (handing over the item still open), and opens a closing letter;
the harmed party reads their own letter in the portal, which holds their question and the agreement, never the
closing summary or the other side's need."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from mediation.db import utcnow
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality

QUESTION = "Did you know the children were asleep upstairs?"
NEED = "To say I am sorry, in my own words."
APOLOGY = "A handwritten letter of apology to the family."
WINDOW = "Pay for the broken window in monthly instalments."
SUMMARY = "Both said what they came to say; the reparation goes on with the parole officer."
HANDOVER = "Handed over to the parole officer, who checks the payments monthly."


def test_needs_agreement_follow_up_closing_and_letters(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    mediator = people.mediator()
    mediator.open_case(case.reference)
    page = mediator.page

    # Needs and questions, one for each side; the harmed party's question is answered.
    mediator.follow(page.get_by_role("link", name="Needs and questions"))
    form = page.locator("form[action$='/needs']")
    for whose, kind, text in (("victim", "question", QUESTION), ("offender", "need", NEED)):
        options = form.get_by_label("Whose").locator("option").all_inner_texts()
        form.get_by_label("Whose").select_option(label=next(o for o in options if o.startswith(whose)))
        form.get_by_label("Kind").select_option(kind)
        form.get_by_label("In their words").fill(text)
        mediator.submit(form.get_by_role("button", name="Record"))
        assert "recorded, encrypted" in mediator.flash()
    row = page.locator("tr.need").filter(has_text=QUESTION)
    row.get_by_label("Change the status").select_option("answered")
    mediator.submit(row.get_by_role("button", name="Save"))
    expect(page.locator("tr.need").filter(has_text=QUESTION)).to_have_attribute("data-status", "answered")
    mediator.screenshot("needs-and-questions")

    # The agreement: its date, two items, and a follow-up.
    mediator.visit(f"/mediator/cases/{case.reference}/agreement")
    page.get_by_label("Date it was reached").fill(utcnow().date().isoformat())
    mediator.submit(page.get_by_role("button", name="Record the agreement"))
    for kind, what in (("apology", APOLOGY), ("reparation", WINDOW)):
        add = page.locator("form[action$='/agreement/items']")
        add.get_by_label("Kind").select_option(kind)
        options = add.get_by_label("Who is to do it").locator("option").all_inner_texts()
        add.get_by_label("Who is to do it").select_option(label=next(o for o in options if o.startswith("offender")))
        add.get_by_label("What").fill(what)
        add.get_by_label("Due date").fill(utcnow().date().replace(year=utcnow().year + 1).isoformat())
        mediator.submit(add.get_by_role("button", name="Add the item"))
    apology = page.locator("article.agreement-item").filter(has_text=APOLOGY)
    apology.get_by_label("Status").select_option("completed")
    apology.get_by_label("Note").fill("The letter reached the family through the mediator.")
    mediator.submit(apology.get_by_role("button", name="Record the follow-up"))
    expect(page.locator("article.agreement-item").filter(has_text=APOLOGY)).to_have_attribute(
        "data-status", "completed")
    mediator.screenshot("agreement-and-follow-up")

    # Closing: the button leads to the closing form; the open item is handed over with a note.
    mediator.open_case(case.reference)
    mediator.do("Conclude the dialogue")
    mediator.follow(page.get_by_role("link", name="Close the case with a closing summary"))
    expect(page.locator("h1")).to_contain_text("Close the case")
    page.get_by_label("Closing summary").fill(SUMMARY)
    item = page.locator("fieldset.open-items .card").filter(has_text=WINDOW)
    item.get_by_label("Final status").select_option("handed_over")
    item.get_by_label("Note").fill(HANDOVER)
    mediator.screenshot("closing-form")
    mediator.submit(page.locator("main form").get_by_role("button", name="Close the case"))
    assert mediator.state() == "closed"
    letters = mediator.section("letters-title")
    expect(letters.get_by_role("link")).to_have_count(2)
    mediator.follow(letters.get_by_role("link", name="victim"))
    letter = page.locator("article.letter").inner_text()
    assert QUESTION in letter and APOLOGY in letter and WINDOW in letter and "handed over" in letter
    assert SUMMARY not in letter and HANDOVER not in letter and NEED not in letter
    mediator.screenshot("closing-letter")

    # The harmed party reads their own letter in the portal.
    harmed = people.participant(case.harmed)
    harmed.home()
    harmed.follow(harmed.page.get_by_role("link", name="Your closing letter"))
    own = harmed.page.locator("article.letter").inner_text()
    assert "Your restorative process is closed" in own and case.reference in own
    assert QUESTION in own and "answered" in own and APOLOGY in own
    assert SUMMARY not in own and HANDOVER not in own and NEED not in own
    harmed.screenshot("closing-letter")
