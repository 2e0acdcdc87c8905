"""Demo Circles of Support and Accountability: the coordinator coordinates circles and Ben Mediator supervises
them; four volunteers (one not yet trained); a core member whose circle is active, with two meetings (the
minutes of one submitted, the other's overdue) and an acknowledged concern; one request waiting to be assessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from mediation.models import Role, User
from mediation.runtime import Runtime
from mediation.services import programme_roles
from mediation.services.circles import concerns, lifecycle, meetings, outer, requests, roster, volunteers

# username, display name, account kind: listed with the demo's logins (mediation.demo.DEMO_ACCOUNTS)
CIRCLES_DEMO_ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("vol.gus", "Gus Volunteer", Role.VOLUNTEER),
    ("vol.hana", "Hana Volunteer", Role.VOLUNTEER),
    ("vol.ivo", "Ivo Volunteer", Role.VOLUNTEER),
    ("vol.jo", "Jo Volunteer", Role.VOLUNTEER),  # screened, not yet trained
    ("core.kim", "Participant K1M0", Role.PARTICIPANT),  # the core member
)
_STEPS = ("references", "police_check", "interview", "training")


def _register(runtime: Runtime, coordinator: User, volunteer: User, steps: tuple[str, ...]) -> None:
    applied = datetime.now(UTC).date() - timedelta(days=90)
    with runtime.transaction() as s:
        volunteers.record_application(s, coordinator, volunteer.id, applied_on=applied)
    for offset, step in enumerate(steps, start=1):
        with runtime.transaction() as s:
            volunteers.record_step(s, coordinator, volunteer.id, step=step, on=applied + timedelta(days=7 * offset))


def _held(runtime: Runtime, volunteer: User, reference: str, attendees: list[int], days_ago: int) -> str:
    starts = (datetime.now(UTC) - timedelta(days=days_ago)).replace(hour=18, minute=0, second=0, microsecond=0)
    with runtime.transaction() as s:
        meeting = meetings.plan_meeting(s, volunteer, reference, day=starts.strftime("%Y-%m-%d"), at="18:00",
                                        now=starts - timedelta(days=7))
    with runtime.transaction() as s:
        meetings.hold_meeting(s, volunteer, reference, meeting.id, attendees=attendees)
    return meeting.id


def add_demo_circles(runtime: Runtime, made: Mapping[str, User]) -> None:
    """Grants, the volunteers' registry, an active circle with its meetings, and a request to assess."""
    tx, vault = runtime.transaction, runtime.vault
    coordinator, supervisor, officer = made["coordinator"], made["mediator.ben"], made["officer.chen"]
    gus, hana, ivo, jo, kim = (made[name] for name in ("vol.gus", "vol.hana", "vol.ivo", "vol.jo", "core.kim"))
    for user, role in ((coordinator, "coordinator"), (supervisor, "supervising_staff")):
        with tx() as s:
            programme_roles.grant(s, coordinator, user.id, "circles", role)
    for volunteer in (gus, hana, ivo):
        _register(runtime, coordinator, volunteer, _STEPS)
    _register(runtime, coordinator, jo, _STEPS[:3])

    with tx() as s:
        reference = requests.record_request(s, vault, coordinator,
                                             note="Kim asked at the end of the warrant; reach them via the "
                                                  "halfway house.").reference
    with tx() as s:
        lifecycle.move(s, coordinator, reference, "assess")
    with tx() as s:
        roster.link_core_member(s, coordinator, reference, kim.username)
    with tx() as s:
        roster.assign_supervisor(s, coordinator, reference, supervisor.id)
    with tx() as s:
        lifecycle.move(s, coordinator, reference, "form")
    for volunteer in (gus, hana, ivo):
        with tx() as s:
            lifecycle.add_volunteer(s, coordinator, reference, volunteer.id)
    with tx() as s:
        lifecycle.move(s, coordinator, reference, "activate")
    with tx() as s:
        outer.record_outer_member(s, vault, coordinator, reference, role="parole_officer", name="Chen",
                                  organisation="Parole office, east district", staff_user_id=officer.id)

    first = _held(runtime, gus, reference, [gus.id, hana.id, ivo.id, kim.id], days_ago=6)
    with tx() as s:
        meetings.submit_minutes(s, vault, gus, reference, first,
                                text="Kim talked about the new job at the warehouse and the long bus ride.")
    with tx() as s:
        concern = concerns.raise_concern(s, vault, hana, reference, first, serious=False,
                                         text="Kim seemed very tired and said he is not sleeping.").id
    with tx() as s:
        concerns.acknowledge_concern(s, vault, supervisor, reference, concern)
    _held(runtime, hana, reference, [hana.id, ivo.id, kim.id], days_ago=3)  # its minutes are overdue

    with tx() as s:  # a request forwarded by the parole officer waits for the coordinator's assessment
        requests.forward_request(s, vault, officer, note="A man on statutory release asks for a circle.")
