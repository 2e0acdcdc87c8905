"""Story: people, not sides. The harmed party's support person signs in and sees only the messages the person
they support chose to share with them, never the other messages delivered to that person; they cannot write to
the other side. The mediator sees each person's role and name, and records a withdrawal only deliberately."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from playwright.sync_api import expect

from mediation.demo import build_case
from mediation.models import User
from mediation.passwords import new_password
from mediation.services import invitations, messages
from mediation.services.lookup import find_case
from tests.e2e.conftest import Credentials, LiveApp, People
from workflows.vocabulary import Modality, ParticipantRole, Side

SHARED = "I am sorry for what I did. I would like to answer your questions in writing."
KEPT = "There is something I have never told anyone about that night."
STEPS = [("sentence", "3"), ("screen", None), ("other side", None), ("support", None), ("consent", None),
         ("safety", None), ("acknowledge", None), ("prepare", None), ("modality", "written"), ("begin", None)]


def _accounts(app: LiveApp, reference: str) -> dict[str, Credentials]:
    """Portal accounts for the victim, the offender and the victim's support person, through invitations."""
    mediator = app.accounts["mediator"][1]
    with app.runtime.transaction() as session:
        people = [(p.id, "support" if p.role == ParticipantRole.SUPPORT else p.side)
                  for p in find_case(session, mediator, reference).participants]
    made: dict[str, Credentials] = {}
    for participant_id, who in people:
        credentials = app.new_credentials({"support": "Support", Side.HARMED: "Harmed"}.get(who, "Offender"))
        with app.runtime.transaction() as session:
            code = invitations.invite_participant(session, mediator, reference, participant_id=participant_id,
                                                  hours=1)
        chosen = new_password(credentials.password, username=credentials.username,
                              display_name=credentials.display_name)
        with app.runtime.transaction() as session:
            user = invitations.activate_participant(session, app.runtime.vault, invitations.code_key(code),
                                                    username_stem=credentials.username,
                                                    name=credentials.display_name, password=chosen)
        made[str(who)] = Credentials(user.username, credentials.password, credentials.display_name)
    return made


def _delivered_to_the_victim(app: LiveApp, reference: str, offender_username: str) -> None:
    """The offender writes twice; the mediator approves both (the review itself is other stories' subject)."""
    mediator = app.accounts["mediator"][1]
    with app.runtime.transaction() as session:
        offender = next(session.get(User, p.user_id) for p in find_case(session, mediator, reference).participants
                        if p.side == Side.RESPONSIBLE)
    assert offender.username == offender_username
    for text in (SHARED, KEPT):
        with app.runtime.transaction() as session:
            message_id = messages.submit_message(session, app.runtime.vault, offender, reference, text=text).id
        with app.runtime.transaction() as session:
            messages.review(session, app.runtime.vault, mediator, reference, message_id=message_id,
                            trigger="approve")


def test_a_support_person_sees_only_what_the_person_they_support_shared(people: People, live_app: LiveApp) -> None:
    admin, mediator_user, staff = (live_app.accounts[role][1] for role in ("admin", "mediator", "staff"))
    reference = build_case(live_app.runtime, admin, mediator_user, staff, steps=STEPS)
    accounts = _accounts(live_app, reference)
    _delivered_to_the_victim(live_app, reference, accounts[Side.RESPONSIBLE].username)

    # The mediator sees each person's role, whom the support person supports, and their names.
    mediator = people.mediator()
    mediator.open_case(reference)
    text = mediator.main_text()
    assert "support person" in text and "supports victim" in text and "Does not take part in meetings" in text
    assert accounts["support"].display_name in text and accounts[Side.HARMED].display_name in text

    # The victim shares the first message with their support person, and keeps the second to themselves.
    victim = people.participant(accounts[Side.HARMED])
    victim.messages()
    expect(victim.received()).to_have_count(2)
    first = victim.received().first
    victim.submit(first.get_by_role("button", name="Share with my support person"))
    assert "Your support person can now read this message." in victim.flash()
    expect(victim.received().first.get_by_role("button", name="Stop sharing")).to_have_count(1)
    expect(victim.received().nth(1).get_by_role("button", name="Share with my support person")).to_have_count(1)

    # The support person sees exactly that one message, and cannot write or withdraw for anyone.
    support = people.participant(accounts["support"])
    expect(support.page.get_by_role("link", name="Withdraw from the process")).to_have_count(0)
    support.messages()
    assert "you see only the messages the person you support chose to share with you" in support.main_text()
    expect(support.received()).to_have_count(1)
    expect(support.page.get_by_label("Your message")).to_have_count(0)
    assert KEPT not in support.main_text()
    support.open_received(0)
    assert support.delivered_text() == SHARED
    assert KEPT not in support.main_text()

    # Once the victim stops sharing, it is gone from the support person's list.
    victim.messages()
    victim.submit(victim.received().first.get_by_role("button", name="Stop sharing"))
    assert "Your support person no longer sees this message." in victim.flash()
    support.messages()
    expect(support.received()).to_have_count(0)
    assert "Nothing has been shared with you yet." in support.main_text()


def test_the_mediator_records_a_withdrawal_for_someone_only_deliberately(people: People, live_app: LiveApp) -> None:
    case = live_app.dialogue_case(Modality.WRITTEN)
    mediator = people.mediator()
    mediator.open_case(case.reference)
    expect(mediator.page.get_by_role("button", name="Withdraw a participant")).to_have_count(0)  # no one click
    mediator.follow(mediator.page.get_by_role("link", name="Record a participant's withdrawal"))
    person, reason = mediator.page.get_by_label("Who is withdrawing"), mediator.page.get_by_label("Reason")
    expect(person).to_have_value("")  # nothing chosen for the mediator
    expect(reason).to_have_value("")
    mediator.screenshot("withdraw-on-behalf")

    offender_option = person.locator("option").filter(has_text=re.compile(r"^offender \(#"))
    person.select_option(offender_option.get_attribute("value"))
    reason.select_option("wellbeing")
    mediator.page.get_by_label("I confirm that I am recording this withdrawal on the participant's behalf.").check()
    mediator.submit(mediator.page.get_by_role("button", name="Record the withdrawal"))
    assert "The withdrawal was recorded on the participant's behalf." in mediator.flash()
    assert mediator.state() == "closed"

    harmed = people.participant(case.harmed)
    assert harmed.status() == "The process stopped because a participant chose to withdraw."
