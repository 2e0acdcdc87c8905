"""The timers' pages (issue 10): a mediator's reminders of their own cases only, the coordinator's list of every
timer (upcoming, overdue, failed) with their notices, and never any content on either.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask_babel import force_locale
from sqlalchemy import select, update

from mediation.db import utcnow
from mediation.models import Case, NoticeKind, Timer, TimerKind, TimerState
from mediation.runtime import Runtime
from tests.web.conftest import ALL_CANARIES, World, readable
from tests.web.test_routes import covers


def make_activity_reminders_overdue(runtime: Runtime) -> None:
    with runtime.transaction() as s:
        s.execute(update(Timer).where(Timer.kind == TimerKind.ACTIVITY_DUE.value)
                  .values(due_at=utcnow() - timedelta(hours=1)))


def listed(page: str) -> str:
    """The list of timers only (the coordinator's notices come before it)."""
    return page.split('id="timers-list"', 1)[1]


@covers("mediator.my_reminders GET")
def test_a_mediator_sees_the_overdue_and_upcoming_reminders_of_their_own_cases_only(browser_for, world: World,
                                                                                    web_runtime: Runtime) -> None:
    make_activity_reminders_overdue(web_runtime)
    mediator = browser_for("mediator")
    assert "/mediator/reminders" in readable(mediator.get("/mediator/"))  # linked from the dashboard
    overdue = readable(mediator.get("/mediator/reminders"))
    assert "A planned activity comes up" in overdue and world.own in overdue and "overdue" in overdue
    assert world.other not in overdue  # the other mediator's activity is overdue too, but not theirs
    upcoming = readable(mediator.get("/mediator/reminders?which=upcoming"))
    assert "No activity on the case: its mediator is told" in upcoming and world.own in upcoming
    assert world.other not in upcoming
    for page in (overdue, upcoming):
        assert not [canary for canary in ALL_CANARIES if canary in page]
    assert world.other in readable(browser_for("other_mediator").get("/mediator/reminders"))
    refused = mediator.get("/mediator/reminders?which=failed")  # the coordinator's list only
    assert refused.status_code == 400 and "Choose one of: overdue, upcoming" in readable(refused)


@covers("admin.timers GET")
def test_the_coordinator_sees_every_timer_and_the_failed_ones(browser_for, world: World,
                                                              web_runtime: Runtime) -> None:
    make_activity_reminders_overdue(web_runtime)
    with web_runtime.transaction() as s:
        other_id = s.scalar(select(Case.id).where(Case.reference == world.other))
        s.execute(update(Timer).where(Timer.case_id == other_id, Timer.kind == TimerKind.CASE_STALE.value)
                  .values(state=TimerState.FAILED.value, attempts=5, last_error="ZeroDivisionError"))
    admin = browser_for("admin")
    overdue = readable(admin.get("/admin/timers"))
    assert world.own in overdue and world.other in overdue
    failed = listed(readable(admin.get("/admin/timers?which=failed")))
    assert world.other in failed and "ZeroDivisionError" in failed and world.own not in failed
    upcoming = readable(admin.get("/admin/timers?which=upcoming"))
    assert "Retention ends: the case's content is destroyed" in upcoming  # the closed case's
    for page in (overdue, failed, upcoming):
        assert not [canary for canary in ALL_CANARIES if canary in page]
    assert admin.get("/admin/timers?which=everything").status_code == 400


@covers("admin.dismiss_notice POST")
def test_the_coordinator_reads_and_dismisses_their_notices(browser_for, world: World) -> None:
    admin = browser_for("admin")
    text = f"Case {world.own} still has no activity, although its mediator was told."
    assert text in readable(admin.get("/admin/timers"))
    assert admin.post(f"/admin/notices/{world.notice}/dismiss").status_code == 404  # the mediator's notice
    response = admin.post(f"/admin/notices/{world.admin_notice}/dismiss")
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/admin/timers"
    assert text not in readable(admin.follow(response))
    assert admin.post(f"/admin/notices/{world.admin_notice}/dismiss").status_code == 404  # once


def test_every_notice_kind_reads_as_its_own_sentence_in_both_languages(app):
    """A kind the partial forgot would fall through to the last sentence ("reassigned"): a wrong message."""
    template = app.jinja_env.get_template("_notice.html")
    for language in ("en", "fr"):
        with app.test_request_context(headers={"Accept-Language": language}), force_locale(language):
            sentences = {kind: template.render(n=SimpleNamespace(kind=kind.value, reference="RO-2026-00001"),
                                               stale_days=14) for kind in NoticeKind}
        assert len(set(sentences.values())) == len(NoticeKind), sentences
        # A referral's notices are about no case (the referral lists are their page): never a case reference.
        about_a_case = {kind: sentence for kind, sentence in sentences.items() if not kind.startswith("referral_")}
        assert all("RO-2026-00001" in sentence for sentence in about_a_case.values())
