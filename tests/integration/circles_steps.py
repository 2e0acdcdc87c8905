"""Building circles through the services, for the circles' tests (integration, web, leak and browser tests).

``circle_people`` makes the programme's people (grants included) beside the shared ``actors``; ``circle_in``
brings a new circle to a given state the way its people would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from mediation.models import User
from mediation.runtime import Runtime
from mediation.services import programme_roles, users
from mediation.services.circles import lifecycle, requests, roster, volunteers
from workflows.circle_workflow import CircleState

APPLIED = date.today() - timedelta(days=60)
STEPS = ("references", "police_check", "interview", "training")


@dataclass
class CirclePeople:
    coordinator: User  # an admin account given the circles' coordinator role
    supervisor: User  # a mediator given supervising_staff
    volunteers: list[User]  # five screened and trained volunteers
    untrained: User  # screened, not trained
    unscreened: User  # applied, nothing else
    core: User  # the core member's participant account
    other_core: User
    forwarding_staff: User
    extra: dict[str, User] = field(default_factory=dict)


def make_user(runtime: Runtime, username: str, role: str, display: str | None = None) -> User:
    with runtime.transaction() as s:
        return users.create_user(s, None, username=username, display_name=display or username.title(), role=role,
                                 password=None)


def grant(runtime: Runtime, admin: User, user: User, role: str) -> None:
    with runtime.transaction() as s:
        programme_roles.grant(s, admin, user.id, "circles", role)


def register_volunteer(runtime: Runtime, coordinator: User, volunteer: User, steps: tuple[str, ...] = STEPS) -> None:
    with runtime.transaction() as s:
        volunteers.record_application(s, coordinator, volunteer.id, applied_on=APPLIED)
    for step in steps:
        with runtime.transaction() as s:
            volunteers.record_step(s, coordinator, volunteer.id, step=step, on=APPLIED + timedelta(days=10))


def circle_people(runtime: Runtime, admin: User, staff: User, prefix: str = "") -> CirclePeople:
    coordinator = admin
    grant(runtime, admin, coordinator, "coordinator")
    supervisor = make_user(runtime, f"{prefix}supervisor", "mediator", "Sam Supervisor")
    grant(runtime, admin, supervisor, "supervising_staff")
    made = [make_user(runtime, f"{prefix}vol.{n}", "volunteer", f"Volunteer {n}") for n in range(1, 6)]
    for volunteer in made:
        register_volunteer(runtime, coordinator, volunteer)
    untrained = make_user(runtime, f"{prefix}vol.untrained", "volunteer")
    register_volunteer(runtime, coordinator, untrained, STEPS[:3])
    unscreened = make_user(runtime, f"{prefix}vol.unscreened", "volunteer")
    register_volunteer(runtime, coordinator, unscreened, ())
    core = make_user(runtime, f"{prefix}core.member", "participant", "Core Member")
    other_core = make_user(runtime, f"{prefix}core.other", "participant")
    return CirclePeople(coordinator, supervisor, made, untrained, unscreened, core, other_core, staff)


def new_circle(runtime: Runtime, people: CirclePeople, note: str = "") -> str:
    with runtime.transaction() as s:
        return requests.record_request(s, runtime.vault, people.coordinator, note=note).reference


def circle_in(runtime: Runtime, people: CirclePeople, state: CircleState, *, volunteers_count: int = 3,
              core: User | None = None, volunteer_list: list[User] | None = None) -> str:
    """A new circle brought to ``state`` (requested, assessment, forming, active) the way its people would."""
    tx, who = runtime.transaction, people.coordinator
    reference = new_circle(runtime, people)
    if state == CircleState.REQUESTED:
        return reference
    with tx() as s:
        lifecycle.move(s, who, reference, "assess")
    if state == CircleState.ASSESSMENT:
        return reference
    with tx() as s:
        roster.link_core_member(s, who, reference, (core or people.core).username)
    with tx() as s:
        roster.assign_supervisor(s, who, reference, people.supervisor.id)
    with tx() as s:
        lifecycle.move(s, who, reference, "form")
    for volunteer in (volunteer_list or people.volunteers)[:volunteers_count]:
        with tx() as s:
            lifecycle.add_volunteer(s, who, reference, volunteer.id)
    if state == CircleState.FORMING:
        return reference
    with tx() as s:
        lifecycle.move(s, who, reference, "activate")
    assert state == CircleState.ACTIVE, state
    return reference
