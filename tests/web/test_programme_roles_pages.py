"""The coordinator's page of an account's programme roles, through HTTP: what it offers, what it refuses."""

from __future__ import annotations

import html

from mediation.models import User
from mediation.services import programme_roles
from tests.web.conftest import World, flashes, page_text


def _page(world: World) -> str:
    return f"/admin/accounts/{world.users['mediator']}/programmes"


def test_the_coordinator_gives_a_role_and_the_page_then_offers_to_take_it_back(browser_for, world: World) -> None:
    coordinator = browser_for("admin")
    page = page_text(coordinator.get(_page(world)))
    assert "No programme role yet." in page
    # A mediator's account may be given staff roles, never a volunteer's or a client's.
    assert 'value="circles:supervising_staff"' in page and 'value="resocialisation:activation_worker"' in page
    assert 'value="circles:volunteer"' not in page and 'value="resocialisation:client"' not in page
    given = coordinator.follow(coordinator.post(_page(world), {"grant": "circles:supervising_staff"}))
    text = html.unescape(page_text(given))
    assert "The programme role was given." in flashes(text)
    assert "Take back supervising staff member" in text
    assert 'value="circles:supervising_staff"' not in text.split("Give a programme role")[-1]


def test_a_role_the_form_never_offered_is_refused_with_what_is_wrong(browser_for, world: World) -> None:
    coordinator = browser_for("admin")
    for sent, expected in (("circles:volunteer", "is for volunteer accounts"),
                           ("knitting:coordinator", "is not a programme"),
                           ("circles:" + "x" * 5000, "Unknown role"), ("", "is not a programme")):
        answer = coordinator.post(_page(world), {"grant": sent})
        assert answer.status_code in (303, 400), answer.status_code
        text = html.unescape(page_text(coordinator.follow(answer) if answer.status_code == 303 else answer))
        assert any(expected in message for message in flashes(text)) or expected in text, (sent, text[:3000])
    assert "No programme role yet." in page_text(coordinator.get(_page(world)))


def test_only_the_coordinator_reaches_the_page(browser_for, world: World) -> None:
    assert browser_for("mediator").get(_page(world)).status_code == 403
    assert browser_for(None).get(_page(world)).status_code == 302
    assert browser_for("admin").get("/admin/accounts/999999/programmes").status_code == 404


def test_a_programme_link_appears_in_the_navigation_from_the_next_sign_in_after_the_role_is_given(
        browser_for, world: World, web_runtime) -> None:
    before = browser_for(None)
    assert before.log_in("mediator.one").status_code == 302  # the real sign-in form, as a person uses it
    assert 'href="/circles/"' not in page_text(before.get("/mediator/"))
    with web_runtime.transaction() as session:
        admin = session.get(User, world.users["admin"])
        programme_roles.grant(session, admin, world.users["mediator"], "circles", "supervising_staff")
        programme_roles.grant(session, admin, world.users["mediator"], "resocialisation", "activation_worker")
    assert 'href="/circles/"' not in page_text(before.get("/mediator/"))  # decided at sign-in
    again = browser_for(None)
    assert again.log_in("mediator.one").status_code == 302
    after = page_text(again.get("/mediator/"))
    assert 'href="/circles/"' in after and 'href="/training/"' in after
    assert 'href="/training/referrals"' not in after  # a role they were not given
