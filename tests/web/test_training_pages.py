"""The resocialisation training programme's pages, as their people use them: enrolment refused with a clear
message (nothing written) or made; a short session shown as counting for its hours only; completion refused with
what is missing, then recorded; the certificate saying completed or not, hours and dates, nothing else; the
client's progress in plain numbers without the workers' notes; the officer's received / acknowledged."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from mediation.db import utcnow
from mediation.models import Case
from mediation.timers import runner
from tests.integration.training_world import TrainingWorld, attend, build_training_world
from tests.integration.web_sessions import client_signed_in_as
from tests.web.conftest import csrf_from
from web import create_app

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@pytest.fixture
def world(runtime, actors) -> TrainingWorld:
    return build_training_world(runtime, actors, note="Secret anamnesis note.", plan="Secret plan.",
                                help_details="Secret help details.", focus_note="Secret focus note.")


@pytest.fixture
def app(runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def text_of(page: str) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def submit(browser: FlaskClient, page: str, action: str, **form: str) -> str:
    """Send a form from ``page`` and read the page it leads to."""
    token = csrf_from(browser.get(page).get_data(as_text=True))
    answer = browser.post(action, data={"csrf_token": token, **form})
    assert answer.status_code == 303, answer.status_code
    return text_of(browser.get(answer.headers["Location"]).get_data(as_text=True))


def test_an_enrolment_on_an_unknown_track_is_refused_with_a_message_and_writes_nothing(app, runtime, actors, world):
    coordinator = client_signed_in_as(app, world.people.coordinator.id)
    with runtime.transaction() as s:
        before = s.scalar(select(func.count()).select_from(Case))
    said = submit(coordinator, "/training/enrol", "/training/enrol", client="nobody.here", track="seniors")
    assert "'seniors' is not a track of this programme" in said
    with runtime.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == before
    said = submit(coordinator, "/training/enrol", "/training/enrol", client=actors.staff.username, track="adults")
    assert "is not an active participant account" in said


def test_a_short_session_counts_for_its_hours_and_the_page_says_so(app, world):
    worker = client_signed_in_as(app, world.people.worker.id)
    page = f"/training/clients/{world.own}/sessions"
    said = submit(worker, page, page, held_on=YESTERDAY, minutes="100", attended="yes")
    assert "The session was recorded." in said
    assert "2 sessions were shorter than 2 hours: they count for their hours, not as full sessions." in said
    assert "shorter than the minimum: its hours only" in said
    said = submit(worker, page, page, held_on=YESTERDAY, minutes="-20", attended="yes")
    assert "A session lasts more than 0 minutes, not -20." in said
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "has not happened yet" in submit(worker, page, page, held_on=tomorrow, minutes="120", attended="yes")


def test_completion_is_refused_with_what_is_missing_then_recorded(app, runtime, world):
    worker = client_signed_in_as(app, world.people.worker.id)
    page = f"/training/clients/{world.own}"
    submit(worker, page, f"{page}/move", trigger="begin_evaluation")
    raw = worker.get(page).get_data(as_text=True)
    # The client's own workflow version drawn, the current step marked, and the same as a step map in words.
    assert "<svg" in raw and 'aria-current="step" class="current-step">' in raw
    assert "<strong>evaluation</strong> (current step)" in raw
    summary = text_of(raw)
    assert "Still needed: 26.5 more hours; 14 more full sessions" in summary
    said = submit(worker, page, f"{page}/move", trigger="complete")
    assert "'complete' cannot happen yet: attendance is short: 26.5 more hours; 14 more full sessions." in said
    attend(runtime, world.people, world.own, *[120] * 14)
    said = submit(worker, page, f"{page}/move", trigger="complete")
    assert "Step: completed" in said and "Issue the certificate" in said
    said = submit(worker, page, f"{page}/certificate")
    assert "The certificate was issued to the referring officer." in said


def test_the_certificate_says_completed_hours_and_dates_and_nothing_else(app, world):
    officer = client_signed_in_as(app, world.people.officer.id)
    referrals = text_of(officer.get("/training/referrals").get_data(as_text=True))
    assert world.own in referrals and world.certified in referrals and world.other not in referrals
    assert "acknowledged" in referrals and "See the certificate" in referrals
    certificate = text_of(officer.get(f"/training/clients/{world.certified}/certificate").get_data(as_text=True))
    today = date.today().isoformat()
    assert f"Result completed Hours attended 35 Enrolled on {today} Issued on {today}" in certificate
    for hidden in ("Secret", world.people.worker.display_name, "minors", "evaluation", "session"):
        assert hidden not in certificate, hidden
    assert officer.get(f"/training/clients/{world.own}/certificate").status_code == 404  # not issued yet


def test_the_client_sees_hours_sessions_and_follow_ups_never_the_notes_and_may_withdraw(app, world):
    client = client_signed_in_as(app, world.people.client.id)
    portal = text_of(client.get("/portal/").get_data(as_text=True))
    assert f"Your training programme {world.own}" in portal and "Step: focus" in portal
    assert "There is no case linked to your account." not in portal  # a programme is a case of theirs too
    mine = f"/training/mine/{world.own}"
    progress = text_of(client.get(mine).get_data(as_text=True))
    assert "Hours attended: 3.5 of at least 30." in progress and "Full sessions: 1 of 15." in progress
    assert "debts and instalment calendars: follow-up on" in progress
    assert "Secret" not in progress
    said = submit(client, f"{mine}/withdraw", f"{mine}/withdraw")
    assert "You have withdrawn from the programme." in said and "Your programme has ended." in said
    assert "Withdraw from the programme" not in said


def test_a_follow_up_due_shows_on_the_workers_dashboard(app, runtime, world):
    runner.fire_due(runtime, limit=10, now=utcnow() + timedelta(days=12))
    dashboard = text_of(client_signed_in_as(app, world.people.worker.id).get("/mediator/").get_data(as_text=True))
    assert f"A practical help of training client {world.own} is due for its follow-up." in dashboard
