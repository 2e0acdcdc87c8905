"""A world of circles for the circles' web tests: built once per session on SQLite, copied for each test
(the fixtures are this folder's, through its conftest).

Two active circles with their people, a request forwarded by referring staff, a professional of the outer circle
who also has a staff account, and sealed content of every kind, each a canary that must appear only where the
programme allows it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mediation.db import utcnow
from mediation.keyfiles import ensure_instance
from mediation.models import FIRST_ORGANISATION, CircleMeeting
from mediation.runtime import Runtime, open_runtime
from mediation.services.circles import concerns, meetings, outer, requests
from tests.integration.circles_steps import circle_in, circle_people, make_user, register_volunteer
from tests.web.conftest import Browser, _settings, make_app
from workflows.circle_workflow import CircleState

CANARY_MINUTES = "Canary-circle-minutes-T4K8: talked about the bus route"
CANARY_CONCERN = "Canary-circle-concern-B9W2: spoke of the playground"
CANARY_ESCALATION = "Canary-circle-escalation-N3P6: Sgt Rivera, sex crimes unit"
CANARY_REQUEST = "Canary-circle-request-J7D1: John at 14 Pine Road"
CANARY_OUTER = "Canary-circle-outer-F5Q3: Dr Alma Ostrova"
CANARY_OTHER_MINUTES = "Canary-circle-other-minutes-Z2H7"
OWN_CANARIES = (CANARY_MINUTES, CANARY_CONCERN, CANARY_ESCALATION, CANARY_REQUEST, CANARY_OUTER)
ALL_CIRCLE_CANARIES = (*OWN_CANARIES, CANARY_OTHER_MINUTES)


@dataclass(frozen=True)
class CirclesWorld:
    users: dict[str, int]
    active: str  # the circle: coordinator, supervisor, volunteer (+2 more), core; outer_staff in its outer circle
    other: str  # another active circle: other_volunteer (+2), other_core, the same supervisor
    forwarded: str  # a request forwarded by ``staff``, its note a canary
    held: str  # a meeting of ``active``, held, minutes submitted (canary), with an acknowledged concern
    waiting: str  # a meeting of ``active``, held, minutes not yet submitted
    planned: str  # a meeting of ``active``, planned for next week
    concern: str  # the concern on ``held``
    new_volunteer: int  # a volunteer's account with no application yet
    applied_volunteer: int  # a volunteer who applied, nothing else
    version: int  # ``active``'s version


def held_meeting(runtime: Runtime, actor: Any, reference: str, attendees: list[int], hours_ago: int = 3) -> str:
    starts = (utcnow() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    with runtime.transaction() as s:
        meeting = meetings.plan_meeting(s, actor, reference, day=starts.strftime("%Y-%m-%d"),
                                        at=starts.strftime("%H:%M"), now=starts - timedelta(days=1))
    with runtime.transaction() as s:
        meetings.hold_meeting(s, actor, reference, meeting.id, attendees=attendees)
    return meeting.id


def build_circles_world(runtime: Runtime) -> CirclesWorld:
    tx, vault = runtime.transaction, runtime.vault
    admin = make_user(runtime, "coordinator", "admin", "Casey Coordinator")
    staff = make_user(runtime, "officer.one", "staff", "Olive Officer")
    other_staff = make_user(runtime, "officer.two", "staff", "Otto Officer")
    outer_staff = make_user(runtime, "officer.outer", "staff", "Pat Parole")
    mediator = make_user(runtime, "mediator.one", "mediator", "Morgan Mediatorsson")
    other_admin = make_user(runtime, "coordinator.two", "admin", "Avery Admin")  # mediation's, no circles role
    people = circle_people(runtime, admin, staff)
    active = circle_in(runtime, people, CircleState.ACTIVE, volunteer_list=people.volunteers[:3])
    other_volunteers = [make_user(runtime, f"vol.other{n}", "volunteer", f"Other Volunteer {n}") for n in range(3)]
    for volunteer in other_volunteers:
        register_volunteer(runtime, admin, volunteer)
    other = circle_in(runtime, people, CircleState.ACTIVE, core=people.other_core, volunteer_list=other_volunteers)
    volunteer = people.volunteers[0]
    with tx() as s:
        outer.record_outer_member(s, vault, admin, active, role="parole_officer", name=CANARY_OUTER,
                                  organisation="Correctional Service", staff_user_id=outer_staff.id)
    with tx() as s:
        forwarded = requests.forward_request(s, vault, staff, note=CANARY_REQUEST).reference
    held = held_meeting(runtime, volunteer, active, [volunteer.id, people.core.id])
    with tx() as s:
        meetings.submit_minutes(s, vault, volunteer, active, held, text=CANARY_MINUTES)
    with tx() as s:
        concern = concerns.raise_concern(s, vault, people.volunteers[1], active, held, text=CANARY_CONCERN,
                                         serious=False).id
    with tx() as s:
        concerns.acknowledge_concern(s, vault, people.supervisor, active, concern, escalated_to=CANARY_ESCALATION)
    waiting = held_meeting(runtime, volunteer, active, [volunteer.id], hours_ago=2)
    next_week = utcnow() + timedelta(days=7)
    with tx() as s:
        planned = meetings.plan_meeting(s, volunteer, active, day=next_week.strftime("%Y-%m-%d"), at="18:00").id
    other_held = held_meeting(runtime, other_volunteers[0], other, [other_volunteers[0].id])
    with tx() as s:
        meetings.submit_minutes(s, vault, other_volunteers[0], other, other_held, text=CANARY_OTHER_MINUTES)
    new_volunteer = make_user(runtime, "vol.new", "volunteer", "New Volunteer")
    with tx() as s:
        assert s.get(CircleMeeting, held) is not None
        from mediation.services.programme_cases import programme_case
        version = programme_case(s, "circles", active, organisation_id=FIRST_ORGANISATION).version
    users = {"coordinator": admin.id, "supervisor": people.supervisor.id, "volunteer": volunteer.id,
             "other_volunteer": other_volunteers[0].id, "core": people.core.id, "other_core": people.other_core.id,
             "mediator": mediator.id, "admin": other_admin.id, "staff": staff.id, "other_staff": other_staff.id,
             "outer_staff": outer_staff.id, "free_volunteer": people.volunteers[4].id}
    return CirclesWorld(users=users, active=active, other=other, forwarded=forwarded, held=held, waiting=waiting,
                        planned=planned, concern=concern, new_volunteer=new_volunteer.id,
                        applied_volunteer=people.unscreened.id, version=version)


@pytest.fixture(scope="session")
def circles_world_template(tmp_path_factory: pytest.TempPathFactory,
                           sqlite_templates: Any) -> tuple[Path, CirclesWorld]:
    folder = tmp_path_factory.mktemp("circles-world")
    sqlite_templates.fresh(folder)
    settings = _settings(folder)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    try:
        world = build_circles_world(runtime)
    finally:
        runtime.close()
    return folder, world


@pytest.fixture
def circles_world(circles_world_template: tuple[Path, CirclesWorld]) -> CirclesWorld:
    return circles_world_template[1]


@pytest.fixture
def circles_runtime(circles_world_template: tuple[Path, CirclesWorld], tmp_path: Path) -> Iterator[Runtime]:
    target = tmp_path / "site"
    shutil.copytree(circles_world_template[0], target)
    runtime = open_runtime(_settings(target))
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def circles_shared_app(circles_world_template: tuple[Path, CirclesWorld]) -> Flask:
    runtime = open_runtime(_settings(circles_world_template[0]))
    app = make_app(runtime)
    runtime.close()
    return app


@pytest.fixture
def circles_app(circles_shared_app: Flask, circles_runtime: Runtime) -> Iterator[Flask]:
    previous = circles_shared_app.extensions["mediation.runtime"]
    circles_shared_app.extensions["mediation.runtime"] = circles_runtime
    yield circles_shared_app
    circles_shared_app.extensions["mediation.runtime"] = previous


@pytest.fixture
def circles_browser_for(circles_app: Flask, circles_world: CirclesWorld) -> Callable[[str | None], Browser]:
    def make(key: str | None = None) -> Browser:
        browser = Browser(circles_app.test_client(), circles_world)  # type: ignore[arg-type]
        return browser.sign_in(key) if key else browser

    return make
