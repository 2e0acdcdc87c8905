"""The circles' pages as their people use them: what each sees, and every refusal said on the page (never a 500).

The rules themselves are tested through the services (tests/integration/test_circles.py); here, that the pages
offer them, carry them out and say what happened.
"""

from __future__ import annotations

from datetime import timedelta

from mediation.db import utcnow
from mediation.models import CircleMeeting
from tests.web.circles.world import CANARY_MINUTES, CirclesWorld
from tests.web.conftest import flashes, page_text, readable


def test_a_fifth_volunteer_is_refused_with_the_reason_on_the_page(circles_browser_for, circles_world: CirclesWorld):
    coordinator = circles_browser_for("coordinator")
    path = f"/circles/{circles_world.active}/volunteers"
    added = coordinator.post(path, {"user_id": str(circles_world.users["free_volunteer"])})
    assert "The volunteer joined the circle." in flashes(readable(coordinator.follow(added)))
    page = readable(coordinator.get(f"/circles/{circles_world.active}"))
    assert "Add the volunteer" not in page  # four: the form is no longer offered
    refused = coordinator.post(path, {"user_id": str(circles_world.users["other_volunteer"])})
    assert refused.status_code == 303
    assert any("already has 4 volunteers" in text for text in flashes(readable(coordinator.follow(refused))))


def test_overdue_minutes_are_flagged_on_the_coordinators_pages(circles_browser_for, circles_world: CirclesWorld,
                                                               circles_runtime):
    coordinator = circles_browser_for("coordinator")
    assert "No minutes are overdue." in readable(coordinator.get("/circles/"))
    with circles_runtime.transaction() as s:  # two days pass
        s.get(CircleMeeting, circles_world.waiting).minutes_due_at = utcnow() - timedelta(minutes=5)
    home = readable(coordinator.get("/circles/"))
    assert "No minutes are overdue." not in home and "were due on" in home
    assert "overdue (due" in readable(coordinator.get(f"/circles/{circles_world.active}"))
    assert circles_world.active in readable(coordinator.get("/circles/overdue"))


def test_the_core_member_sees_their_circle_in_plain_words_and_can_end_their_participation(
        circles_browser_for, circles_world: CirclesWorld):
    core = circles_browser_for("core")
    portal = readable(core.get("/portal/"))
    assert circles_world.active in portal and "There is no case linked to your account." not in portal
    raw = page_text(core.get(f"/circles/{circles_world.active}"))
    assert '<li aria-current="step">Circle meeting' in raw and "<svg" not in raw  # a progress line, no diagram
    page = readable(core.get(f"/circles/{circles_world.active}"))
    assert "Your circle is meeting. This is year 1 of your circle." in page
    assert CANARY_MINUTES not in page and "Minutes" not in page
    confirm = readable(core.get(f"/circles/{circles_world.active}/withdraw"))
    assert "without giving a reason" in confirm
    done = core.post(f"/circles/{circles_world.active}/actions", {"trigger": "withdraw"})
    assert "You ended your participation." in readable(core.follow(done))


def test_forwarding_staff_see_received_then_acknowledged(circles_browser_for, circles_world: CirclesWorld):
    staff = circles_browser_for("staff")
    assert "received" in readable(staff.get("/circles/forwarded"))
    coordinator = circles_browser_for("coordinator")
    coordinator.post(f"/circles/{circles_world.forwarded}/actions", {"trigger": "assess"})
    listed = readable(staff.get("/circles/forwarded"))
    assert circles_world.forwarded in listed and "acknowledged" in listed


def test_bad_input_is_refused_on_the_page_and_nothing_is_planned(circles_browser_for, circles_world: CirclesWorld,
                                                                 circles_runtime):
    volunteer = circles_browser_for("volunteer")
    path = f"/circles/{circles_world.active}/meetings"
    for form, said in (({"day": "2026-13-45", "at": "18:00"}, "is not a date in the calendar"),
                       ({"day": "2020-01-01", "at": "18:00"}, "The meeting is in the past"),
                       ({"day": "2099-01-01", "at": "25:99"}, "is not a time of day"),
                       ({"day": "2099-01-01\x00", "at": "18:00"}, "")):
        response = volunteer.post(path, form)
        assert response.status_code in (303, 400), form
        if said:
            assert any(said in text for text in flashes(readable(volunteer.follow(response)))), form
    with circles_runtime.transaction() as s:
        assert s.query(CircleMeeting).count() == 4  # the world's: none was added
    refused = volunteer.post(f"/circles/{circles_world.active}/actions", {"trigger": "end", "reason": "other"})
    assert refused.status_code == 403  # a volunteer does not end a circle
    coordinator = circles_browser_for("coordinator")
    wrong = coordinator.post(f"/circles/{circles_world.active}/actions", {"trigger": "end", "reason": "nope"})
    assert any("is not a reason for 'end'" in text for text in flashes(readable(coordinator.follow(wrong))))
