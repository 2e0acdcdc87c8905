"""The notification pages through HTTP: each person reads and changes their own settings only (no id travels in
the form or the address), every form needs its CSRF token, bad input is refused with a message (never a 500),
and the coordinator's outbox page shows counts and failing rows without content or addresses."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mediation.models import NotificationPreference, OutboxMessage, OutboxState
from mediation.runtime import Runtime
from tests.web.conftest import Browser, World, readable
from tests.web.test_routes import covers

GOOD = {"channel": "email", "address": "dana@example.org", "language": "fr", "time_zone": "America/Montreal",
        "quiet_from": "22:00", "quiet_until": "07:00"}


def preference(runtime: Runtime, user_id: int) -> NotificationPreference | None:
    with runtime.transaction(read_only=True) as session:
        return session.get(NotificationPreference, user_id)


@covers("portal.notifications_page GET", "portal.save_notifications_page POST")
def test_a_participant_sets_their_own_settings_and_sees_them_again(browser: Browser, world: World, web_runtime):
    browser.sign_in("harmed")
    saved = browser.post("/portal/notifications", GOOD)
    assert saved.status_code == 303
    page = readable(browser.follow(saved))
    assert "Your notification settings were saved." in page
    assert 'value="dana@example.org"' in page and 'value="America/Montreal"' in page
    row = preference(web_runtime, world.users["harmed"])
    assert row is not None and (row.channel, row.language, row.time_zone) == ("email", "fr", "America/Montreal")
    assert b"dana@example.org" not in (row.sealed_email or b"")


def test_nobody_reads_or_changes_someone_elses_settings(browser_for, world: World, web_runtime):
    browser_for("harmed").post("/portal/notifications", GOOD)
    offender = browser_for("offender")
    assert "dana@example.org" not in readable(offender.get("/portal/notifications"))
    # a user id slipped into the form changes nothing but the sender's own settings
    offender.post("/portal/notifications", {**GOOD, "address": "sam@example.org", "user_id": world.users["harmed"]})
    mine = offender.get("/portal/notifications")
    assert 'value="sam@example.org"' in readable(mine)
    harmed_page = readable(browser_for("harmed").get("/portal/notifications"))
    assert 'value="dana@example.org"' in harmed_page and "sam@example.org" not in harmed_page
    admin_page = readable(browser_for("admin").get("/account/notifications"))
    assert "dana@example.org" not in admin_page and "sam@example.org" not in admin_page


@covers("account.notifications GET", "account.save_notifications POST")
def test_a_form_without_its_csrf_token_is_refused_and_saves_nothing(browser: Browser, world: World, web_runtime):
    browser.sign_in("mediator")
    refused = browser.post("/account/notifications", GOOD, csrf=False)
    assert refused.status_code == 400
    assert preference(web_runtime, world.users["mediator"]) is None
    page = readable(browser.get("/account/notifications"))
    assert "csrf_token" in page and re.search(r"<input[^>]*checked[^>]*value=\"none\"", page)


@pytest.mark.parametrize(("change", "message"), [
    ({"address": "not-an-address"}, "not an e-mail address"),
    ({"address": "dana@example.org\x00"}, "NUL"),
    ({"address": "d" * 300 + "@example.org"}, "too long"),
    ({"time_zone": "Atlantis/Capital"}, "There is no time zone called"),
    ({"time_zone": "Europe/" + "x" * 3000}, "too long"),
    ({"quiet_from": "22:00", "quiet_until": "22:00"}, "never end"),
    ({"quiet_from": "", "quiet_until": "07:00"}, "both the start and the end"),
    ({"channel": "carrier-pigeon"}, "Choose among the choices offered"),
])
def test_bad_input_is_refused_with_a_message_and_saves_nothing(browser: Browser, world: World, web_runtime,
                                                               change, message):
    browser.sign_in("mediator")
    refused = browser.post("/account/notifications", {**GOOD, **change})
    assert refused.status_code == 400
    assert message in readable(refused)
    assert preference(web_runtime, world.users["mediator"]) is None


@covers("admin.outbox GET")
def test_the_outbox_page_shows_counts_and_failing_rows_without_content(browser_for, world: World, web_runtime):
    with web_runtime.transaction() as session:
        session.add(OutboxMessage(event="something_new", user_id=world.users["harmed"], idempotency_key="k-1",
                                  state=OutboxState.FAILED.value, attempts=8, last_error="smtp_554"))
        session.add(OutboxMessage(event="something_new", user_id=world.users["offender"], idempotency_key="k-2",
                                  state=OutboxState.SENT.value, attempts=1))
    browser_for("harmed").post("/portal/notifications", GOOD)
    page = readable(browser_for("admin").get("/admin/outbox"))
    assert "smtp_554" in page and "Failing e-mails" in page
    assert "dana@example.org" not in page and "k-1" not in page
    with web_runtime.transaction(read_only=True) as session:
        assert len(list(session.scalars(select(OutboxMessage)))) == 2
    assert browser_for("mediator").get("/admin/outbox").status_code == 403


def test_a_mediator_sends_an_invitation_by_email_only_when_the_person_agreed(browser: Browser, world: World,
                                                                             web_runtime):
    browser.sign_in("mediator")
    path = f"/mediator/cases/{world.own_assessment}/participants/{world.assessment_harmed}/invite"
    asked = {"by_email": "y", "email": "dana@example.org", "language": "fr"}
    refused = browser.post(path, asked)  # a refusal comes back to the page it was sent from, saying why
    assert "agreed to receive it that way" in readable(browser.follow(refused))
    malformed = browser.post(path, {**asked, "agreed": "y", "email": "dana@"})
    assert "not an e-mail address" in readable(browser.follow(malformed))
    with web_runtime.transaction(read_only=True) as session:
        assert list(session.scalars(select(OutboxMessage))) == []
    sent = browser.post(path, {**asked, "agreed": "y"})
    assert sent.status_code == 303
    page = readable(browser.follow(sent))
    assert "The invitation goes by e-mail." in page and "dana@example.org" not in page
    with web_runtime.transaction(read_only=True) as session:
        [row] = session.scalars(select(OutboxMessage))
    assert row.event == "invitation" and row.sealed_payload is not None
    assert b"dana@example.org" not in row.sealed_payload
