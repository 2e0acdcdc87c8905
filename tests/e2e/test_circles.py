"""Story: a Circle of Support and Accountability, in Chromium with axe-core on every page.

The coordinator records a core member's request, assesses it, links the core member and the supervising staff
member, forms the circle, is refused a start with two volunteers, adds a third and starts it. A volunteer plans a
meeting, records it as held with who attended, submits its minutes and raises a concern; the supervising staff
member reads and acknowledges it. A year later the anniversary asks for the renewal: the core member, from the
portal, says they wish to go on, and the coordinator renews the circle for a second year.
"""

from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mediation.models import Case, Circle, CircleMeeting
from mediation.services import programme_roles
from mediation.timers import runner
from tests.e2e.conftest import Credentials, LiveApp, People, _create_account
from tests.e2e.navigators import SignedIn
from tests.integration.circles_steps import register_volunteer

MINUTES = "We walked to the park; Kim talked about the interview for the warehouse job."
CONCERN = "Kim said he has stopped going to his therapy group."


class CirclePerson(SignedIn):
    """Someone with a place in a circle: they find it from /circles/."""

    def __init__(self, *args, role: str, home: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.role, self.home_path = role, home

    def open_circle(self, reference: str) -> None:
        self.visit("/circles/")
        self.follow(self.page.get_by_role("link", name=reference))

    def act(self, label: str, *, refused: bool = False) -> None:
        self.submit(self.page.locator("main form.action").get_by_role("button", name=label), refused=refused)

    def state(self) -> str:
        return self.page.locator("main .status").first.get_attribute("data-state") or ""


def person(people: People, credentials: Credentials, role: str, home: str) -> CirclePerson:
    someone = CirclePerson(people.open_page(), people.app, people.axe, people.screenshots, role=role, home=home)
    someone.login(credentials)
    return someone


def grant_once(live_app: LiveApp, user_id: int, role: str) -> None:
    admin = live_app.accounts["admin"][1]
    with live_app.runtime.transaction() as s:
        from mediation.models import User
        if not programme_roles.holds(s, s.get(User, user_id), "circles", role):
            programme_roles.grant(s, admin, user_id, "circles", role)


def test_a_circle_is_formed_meets_raises_a_concern_and_is_renewed_at_one_year(people: People,
                                                                             live_app: LiveApp) -> None:
    runtime, admin = live_app.runtime, live_app.accounts["admin"][1]
    grant_once(live_app, admin.id, "coordinator")
    supervisor_login, supervisor = _create_account(runtime, "sup.sam", "Sam Supervisor", "mediator")
    grant_once(live_app, supervisor.id, "supervising_staff")
    volunteers = [_create_account(runtime, f"vol.{name.lower()}", f"{name} Volunteer", "volunteer")
                  for name in ("Gus", "Hana", "Ivo")]
    for _, volunteer in volunteers:
        register_volunteer(runtime, admin, volunteer)
    core_login, _ = _create_account(runtime, "core.kim", "Participant K1M0", "participant")

    # The coordinator forms the circle.
    coordinator = person(people, live_app.coordinator, "admin", "/admin/")
    coordinator.follow(coordinator.page.get_by_role("navigation", name="Main").get_by_role("link", name="Circles"))
    coordinator.page.get_by_label("Who is asking and how to reach them (encrypted)").fill(
        "Kim, end of warrant, via the halfway house.")
    coordinator.submit(coordinator.page.get_by_role("button", name="Record the request"))
    reference = coordinator.page.locator("h1 .reference").inner_text()
    assert reference.startswith("CS-") and coordinator.state() == "requested"
    coordinator.act("Assess the request")
    coordinator.act("Accept and form the circle", refused=True)
    assert "the circle has no core member" in coordinator.flash()
    coordinator.page.get_by_label("Core member's account (username)").fill("core.kim")
    coordinator.submit(coordinator.page.get_by_role("button", name="Link the core member"))
    coordinator.page.get_by_label("Supervising staff member").select_option(label="Sam Supervisor")
    coordinator.submit(coordinator.page.get_by_role("button", name="Assign"))
    coordinator.act("Accept and form the circle")
    assert coordinator.state() == "forming"
    for name in ("Gus Volunteer", "Hana Volunteer"):
        coordinator.page.get_by_label("Volunteer (screened and trained)").select_option(label=name)
        coordinator.submit(coordinator.page.get_by_role("button", name="Add the volunteer"))
    coordinator.act("Start the circle", refused=True)
    assert "needs at least 3" in coordinator.flash()
    coordinator.page.get_by_label("Volunteer (screened and trained)").select_option(label="Ivo Volunteer")
    coordinator.submit(coordinator.page.get_by_role("button", name="Add the volunteer"))
    coordinator.act("Start the circle")
    assert coordinator.state() == "active"
    coordinator.screenshot("circle-active")

    # A volunteer plans a meeting, records it as held, submits the minutes and raises a concern.
    gus = person(people, volunteers[0][0], "volunteer", "/circles/")
    gus.open_circle(reference)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    gus.page.get_by_label("Day").fill(tomorrow)
    gus.page.get_by_label("Time (UTC)").fill("18:00")
    gus.submit(gus.page.get_by_role("button", name="Plan a meeting"))
    gus.submit(gus.page.get_by_role("button", name="Record as held"), refused=True)
    assert "has not taken place yet" in gus.flash()
    with runtime.transaction() as s:  # the evening comes (the browser cannot wait for the clock)
        meeting = s.scalars(select(CircleMeeting).order_by(CircleMeeting.created_at.desc())).first()
        meeting.starts_at = datetime.now(UTC) - timedelta(hours=1)
    gus.page.reload()
    gus.arrived()
    for name in ("Gus Volunteer", "Hana Volunteer", "Participant K1M0"):
        gus.page.get_by_label(name).check()
    gus.submit(gus.page.get_by_role("button", name="Record as held"))
    assert "Minutes due by" in gus.main_text()
    gus.page.get_by_label("Minutes of the meeting (encrypted)").fill(MINUTES)
    gus.submit(gus.page.get_by_role("button", name="Submit the minutes"))
    assert MINUTES in gus.main_text()
    gus.page.get_by_label("What worries you (encrypted; the supervising staff member acknowledges it)").fill(CONCERN)
    gus.submit(gus.page.get_by_role("button", name="Raise the concern"))
    assert "will acknowledge it" in gus.flash()
    gus.screenshot("minutes-and-concern")

    # The supervising staff member reads the concern and acknowledges it.
    sam = person(people, supervisor_login, "mediator", "/mediator/")
    sam.open_circle(reference)
    assert "waiting for acknowledgement" in sam.main_text()
    sam.follow(sam.page.get_by_role("link", name="Read the concerns"))
    assert CONCERN in sam.main_text()
    sam.page.get_by_label("Escalated to (required for a serious concern)").fill("Discussed with the therapist")
    sam.submit(sam.page.get_by_role("button", name="Acknowledge"))
    assert "Acknowledged on" in sam.main_text()

    # A year passes: the anniversary asks for the renewal decision.
    with runtime.transaction() as s:
        case_id = s.scalars(select(Case.id).where(Case.reference == reference)).one()
        s.get(Circle, case_id).year_ends_at = datetime.now(UTC) - timedelta(minutes=1)
    runner.fire_due(runtime, limit=50, now=datetime.now(UTC) + timedelta(days=366))
    core = person(people, core_login, "participant", "/portal/")
    core.follow(core.page.get_by_role("link", name=reference))
    assert "Do you wish it to go on for another year?" in core.main_text()
    assert MINUTES not in core.main_text() and CONCERN not in core.main_text()
    core.page.get_by_label("Yes, I wish to go on for another year").check()
    core.submit(core.page.get_by_role("button", name="Send my answer"))
    core.screenshot("renewal-wish")

    coordinator.open_circle(reference)
    assert coordinator.state() == "renewal_due"
    assert "The core member wishes to renew." in coordinator.main_text()
    coordinator.submit(coordinator.page.get_by_role("button", name="Renew for a year"))
    assert coordinator.state() == "active"
    assert "Year of engagement: 2" in coordinator.main_text()
