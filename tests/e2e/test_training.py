"""Story: a minor on the resocialisation training programme, as an alternative measure. The coordinator enrols
the client on the minors' track with their activation worker and the referring officer; the worker takes the
client through the anamnesis, focus and evaluation, writing a phase note, and records a session a minute short
of 2.5 hours, which the page says counts for its hours only; completion is refused while the plan is missing,
and said so; with the plan recorded it is completed and the worker issues the certificate. The officer sees the
referral acknowledged and the certificate (completed, hours, dates: nothing else); the client sees their
progress from the portal. Every page is checked with axe-core in Chromium."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from collections.abc import Iterator
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import delete

from mediation.models import ProgrammeRole
from mediation.services import programme_roles, training_sessions
from tests.e2e.conftest import LiveApp, People, _create_account
from workflows.programmes import RESOCIALISATION

PLAN = "Finish the school year; join the football club; call the mentor before trouble starts."
NOTE = "Lives with his mother; school attendance has dropped since spring."


GRANTS = (("admin", "coordinator"), ("mediator", "activation_worker"), ("staff", "referring_officer"))


@pytest.fixture
def roles_given(live_app: LiveApp) -> Iterator[None]:
    """The programme's roles, as the coordinator gives them, for this story only: the other stories' staff (the
    same accounts) see the app without them."""
    admin = live_app.accounts["admin"][1]
    with live_app.runtime.transaction() as session:
        for key, role in GRANTS:
            programme_roles.grant(session, admin, live_app.accounts[key][1].id, RESOCIALISATION, role)
    yield
    with live_app.runtime.transaction() as session:
        for key, role in GRANTS:
            session.execute(delete(ProgrammeRole).where(ProgrammeRole.user_id == live_app.accounts[key][1].id,
                                                        ProgrammeRole.programme == RESOCIALISATION,
                                                        ProgrammeRole.role == role))


def sessions_held_earlier(live_app: LiveApp, reference: str, count: int) -> None:
    """The weeks of sessions before the story's last one (the browser records one; these are the others)."""
    worker = live_app.accounts["mediator"][1]
    for days_ago in range(count, 0, -1):
        with live_app.runtime.transaction() as session:
            training_sessions.record_session(session, worker, reference, minutes=150, attended=True,
                                             held_on=(date.today() - timedelta(days=days_ago * 3)).isoformat())


@pytest.mark.usefixtures("roles_given")
def test_a_minor_is_enrolled_completes_and_the_officer_receives_the_certificate(people: People,
                                                                                 live_app: LiveApp) -> None:
    client_credentials, _ = _create_account(live_app.runtime, f"client.{next(live_app.numbers)}", "Client Max",
                                            "participant")

    coordinator = people.coordinator()
    coordinator.follow(coordinator.page.get_by_role("navigation").get_by_role("link", name="Training clients"))
    coordinator.follow(coordinator.page.get_by_role("link", name="Enrol a client"))
    form = coordinator.page.locator("main form")
    form.get_by_label("Client's username").fill(client_credentials.username)
    form.get_by_label("minors (14 sessions").check()
    form.get_by_label("Activation worker").select_option(label="Ada Mediator")
    form.get_by_label("Referring probation officer").select_option(label="Chen Parole Officer")
    form.get_by_label("The programme is an alternative measure").check()
    coordinator.submit(form.get_by_role("button", name="Enrol"))
    assert "The client was enrolled" in coordinator.flash()
    reference = coordinator.page.locator("h1 .reference").inner_text()
    assert reference.startswith("RT-")
    assert "Phase notes" not in coordinator.main_text()  # the coordinator sees the client, not the content
    coordinator.screenshot("training-enrolled")

    worker = people.mediator()
    worker.follow(worker.page.get_by_role("navigation").get_by_role("link", name="Training clients"))
    worker.follow(worker.page.get_by_role("link", name=reference))
    worker.submit(worker.page.get_by_role("button", name="Begin the anamnesis"))
    worker.follow(worker.page.get_by_role("link", name="Phase notes"))
    worker.page.get_by_label("Note on the anamnesis").fill(NOTE)
    worker.submit(worker.page.get_by_role("button", name="Save the note"))
    expect(worker.page.locator("article.note")).to_contain_text(NOTE)
    worker.follow(worker.page.get_by_role("link", name="Summary"))
    worker.submit(worker.page.get_by_role("button", name="Move to the focus phase"))
    worker.submit(worker.page.get_by_role("button", name="Move to the evaluation"))

    sessions_held_earlier(live_app, reference, 14)
    worker.follow(worker.page.get_by_role("link", name="Sessions"))
    worker.page.get_by_label("Date").fill(date.today().isoformat())
    worker.page.get_by_label("Duration (minutes)").fill("149")
    worker.submit(worker.page.get_by_role("button", name="Record the session"))
    said = worker.main_text()
    assert "1 session was shorter than 2.5 hours: it counts for its hours, not as a full session." in said
    assert "Full sessions: 14 of 14." in said
    worker.screenshot("training-sessions")

    worker.follow(worker.page.get_by_role("link", name="Summary"))
    worker.submit(worker.page.get_by_role("button", name="Record completion"), refused=True)
    assert "no individual plan" in worker.flash()
    worker.follow(worker.page.get_by_role("link", name="Individual plan"))
    worker.page.get_by_label("The client's individual plan").fill(PLAN)
    worker.submit(worker.page.get_by_role("button", name="Save the plan"))
    worker.submit(worker.page.get_by_role("button", name="Record completion"))
    expect(worker.page.locator("main .status")).to_have_text("completed")
    worker.submit(worker.page.get_by_role("button", name="Issue the certificate"))
    assert "The certificate was issued to the referring officer." in worker.flash()

    officer = people.officer()
    officer.follow(officer.page.get_by_role("navigation").get_by_role("link", name="Training referrals"))
    row = officer.page.locator("tr", has_text=reference)
    expect(row.locator(".status")).to_have_text("acknowledged")
    officer.follow(row.get_by_role("link", name="See the certificate"))
    certificate = officer.main_text()
    assert "completed" in certificate and "37.49" in certificate  # 2249 minutes, never rounded down
    for hidden in (NOTE, PLAN, "Ada Mediator", "session"):
        assert hidden not in certificate, hidden
    officer.screenshot("training-certificate")

    client = people.participant(client_credentials)
    client.follow(client.page.get_by_role("link", name="See your progress"))
    progress = client.main_text()
    assert "You have completed the programme." in progress and "Full sessions: 14 of 14." in progress
    assert NOTE not in progress and PLAN not in progress
    client.screenshot("training-progress")
