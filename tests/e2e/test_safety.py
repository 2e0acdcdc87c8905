"""Story: safety is assessed throughout. Mid-dialogue the mediator records a concern about the person responsible;
the reply waiting for review cannot be delivered and the dialogue cannot move to face to face, and the page says
why, naming the person by their part in the case. Once the concern is lifted the reply goes through. A disclosure
that must be reported pauses the case at once. Each participant can read what stays confidential."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from sqlalchemy import select

from mediation.models import Participant
from mediation.services.lookup import find_case
from tests.e2e.conftest import LiveApp, People
from workflows.vocabulary import Modality, Side

REPLY = "Thank you for your letter. I want to answer your questions when we meet."
CONCERN = "The unit reports he asked another inmate for the victim's new address."


def test_a_concern_mid_dialogue_stops_a_delivery_and_the_change_to_face_to_face(people: People,
                                                                               live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    with live_app.runtime.transaction() as session:
        mediator_user = live_app.accounts["mediator"][1]
        offender_id = next(p.id for p in find_case(session, mediator_user, case.reference).participants
                           if p.side == Side.RESPONSIBLE)
        assert session.scalar(select(Participant.safety).where(Participant.id == offender_id)) == "cleared"
    harmed, offender = people.participant(case.harmed), people.participant(case.offender)

    page = harmed.confidentiality()
    assert "a child who may need protection" in page
    assert "You have acknowledged this wording" in page  # read to them by the mediator before the dialogue

    offender.messages()
    offender.write(REPLY)

    mediator = people.mediator()
    mediator.open_case(case.reference)
    mediator.record_safety("offender", "concerns", risk_factors=("threats", "a no-contact condition"),
                           consulted=("institutional security",), note=CONCERN)
    assert "The safety assessment was recorded" in mediator.flash()
    mediator.screenshot("concern")
    card = mediator.safety_card("offender")
    assert "concerns" in card.inner_text() and CONCERN not in mediator.main_text()

    why = f"a safety concern is recorded for the person responsible (#{offender_id})"
    mediator.messages(case.reference)
    assert f"Nothing can be delivered for now: {why}." in mediator.main_text()
    reply = mediator.message(REPLY)
    mediator.approve(reply, refused=True)
    assert why in mediator.flash()
    assert mediator.message_state(mediator.message(REPLY)) == "submitted"

    mediator.open_case(case.reference)
    mediator.do("Change the modality", refused=True, modality="face to face")
    assert why in mediator.flash()
    assert mediator.state() == "dialogue, in writing"

    offender.messages()
    assert offender.sent_status(REPLY) == "waiting for the mediator"
    harmed.messages()
    assert REPLY not in harmed.main_text()

    mediator.record_safety("offender", "cleared", consulted=("institutional security", "parole officer"),
                           note="The unit confirms it was a misunderstanding; no contact was attempted.")
    mediator.messages(case.reference)
    mediator.approve(mediator.message(REPLY))
    assert mediator.message_state(mediator.message(REPLY)) == "delivered"

    mediator.open_case(case.reference)
    mediator.record_disclosure("child protection", "Said a child in his family is left alone for days.")
    assert "the case is paused" in mediator.flash()
    assert mediator.state() == "paused"
    assert "a disclosure that must be reported" in mediator.section("timeline").inner_text()
    mediator.follow(mediator.page.get_by_role("link", name="Assessment history and disclosures"))
    history = mediator.main_text()
    assert CONCERN in history and "child protection" in history and "a no-contact condition" in history
