"""Demo face-to-face meetings: one planned on the demo's face-to-face dialogue with its checklist partly done, and
one held on a case of its own, followed by its planned debrief."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mediation.models import Case, User
from mediation.runtime import Runtime
from mediation.services import meeting_views, meetings
from mediation.services.lookup import find_case
from workflows.vocabulary import CaseState


def _form(mediator: User, runtime: Runtime, reference: str, starts: datetime) -> dict[str, object]:
    with runtime.transaction() as s:
        attendees = [p.id for p in find_case(s, mediator, reference).participants]
    return {"venue": "institution", "institution": "Northfield Institution", "room": "Visits room 2",
            "day": starts.strftime("%Y-%m-%d"), "start": starts.strftime("%H:%M"),
            "end": (starts + timedelta(minutes=90)).strftime("%H:%M"), "attendees": attendees}


def _prepare(runtime: Runtime, mediator: User, reference: str, meeting_id: str, *, everyone: bool) -> None:
    """Grant clearances, record a safety plan and prepare people: for everyone, or only the first visitor."""
    with runtime.transaction() as s:
        shown = meeting_views.meeting_view(s, mediator, reference, meeting_id)
    visitors = shown.visitors if everyone else shown.visitors[:1]
    for person in visitors:
        with runtime.transaction() as s:
            meetings.set_clearance(s, mediator, reference, meeting_id, visitor=person.key, status="granted")
    for person in [p for p in shown.people if p.participant_id is not None][: None if everyone else 1]:
        with runtime.transaction() as s:
            meetings.set_readiness(s, mediator, reference, meeting_id, participant_id=person.participant_id,
                                   prepared=True, confirmed=everyone)
    with runtime.transaction() as s:
        meetings.record_arrangements(s, runtime.vault, mediator, reference, meeting_id,
                                     safety_plan="A break room is ready; either person may stop at any time.",
                                     escorts="A unit officer escorts the person responsible to the room.",
                                     travel="The victim comes by taxi, booked by the service.")


def add_demo_meetings(runtime: Runtime, admin: User, mediator: User, staff: User) -> None:
    """A planned meeting on the first face-to-face dialogue, and a held one (with its debrief) on a new case."""
    from mediation.demo import build_case, path_to  # the demo builds its cases before calling this

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with runtime.transaction() as s:
        case = s.scalars(select(Case).where(Case.state == CaseState.DIALOGUE_FACE_TO_FACE).order_by(Case.id)).first()
        owner = s.get(User, case.assigned_mediator_id) if case is not None else None
    if case is not None and owner is not None:
        form = _form(owner, runtime, case.reference, (now + timedelta(days=7)).replace(hour=10, minute=0))
        with runtime.transaction() as s:
            planned = meetings.plan_meeting(s, owner, case.reference, **form)
        _prepare(runtime, owner, case.reference, planned.activity_id, everyone=False)

    reference = build_case(runtime, admin, mediator, staff, steps=path_to(CaseState.DIALOGUE_FACE_TO_FACE))
    yesterday = (now - timedelta(days=1)).replace(hour=10, minute=0)
    form = _form(mediator, runtime, reference, yesterday)
    with runtime.transaction() as s:  # planned a week before it took place
        held = meetings.plan_meeting(s, mediator, reference, now=yesterday - timedelta(days=7), **form)
    _prepare(runtime, mediator, reference, held.activity_id, everyone=True)
    with runtime.transaction() as s:
        meetings.hold_meeting(s, mediator, reference, held.activity_id)
