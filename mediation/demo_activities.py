"""Demo activities: a few contacts done and planned on mediator.ada's open cases (one of them overdue, so the
dashboard shows both lists), and mediator.ben co-mediating one of her cases, with an activity of his own on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mediation.models import Activity, Case, User
from mediation.runtime import Runtime
from mediation.services import activities, assignment
from workflows.vocabulary import CaseState


def _when(days: float, hour: int = 10) -> dict[str, str]:
    moment = datetime.now(UTC) + timedelta(days=days)
    return {"day": moment.date().isoformat(), "at": f"{hour:02d}:00"}


def add_demo_activities(runtime: Runtime) -> None:
    with runtime.transaction() as s:
        people = {u.username: u for u in s.scalars(select(User))}
        ada, ben, coordinator = people["mediator.ada"], people["mediator.ben"], people["coordinator"]
        cases = {c.state: (c.reference, {p.side: p.id for p in c.participants})
                 for c in s.scalars(select(Case).where(Case.assigned_mediator_id == ada.id).order_by(Case.id))}
    preparation, prep_people = cases[CaseState.PREPARATION]
    written, written_people = cases[CaseState.DIALOGUE_FACE_TO_FACE]
    vault = runtime.vault

    def add(actor: User, reference: str, **fields: object) -> str:
        with runtime.transaction() as s:
            return activities.plan_activity(s, vault, actor, reference, **fields).id  # type: ignore[arg-type]

    add(ada, preparation, kind="call", duration=20, done=True, place="by phone", **_when(-6, 14),
        participant_ids=[prep_people["harmed"]],
        notes="First call: she would like to hear, in his own words, why it happened. Prefers mornings.")
    add(ada, preparation, kind="preparation_meeting", duration=90, place="Interview room 2, Riverside Institution",
        participant_ids=[prep_people["responsible"]], **_when(3),
        notes="Go through the questions she sent; explain the written route too.")
    late = add(ada, preparation, kind="letter", duration=30, place="by post", **_when(1),
               participant_ids=[prep_people["harmed"]])
    with runtime.transaction() as s:  # planned last week for two days ago, and not yet recorded: overdue
        s.get(Activity, late).starts_at = datetime.now(UTC) - timedelta(days=2)
    add(ada, written, kind="letter", duration=15, done=True, place="by post", **_when(-2, 9),
        participant_ids=[written_people["harmed"]], notes="Sent the reading list she asked for before the meeting.")
    add(ada, written, kind="visit", duration=60, place="Visiting hall, Riverside Institution", **_when(9),
        participant_ids=[written_people["responsible"]])
    with runtime.transaction() as s:  # mediator.ben co-mediates ada's case in preparation
        assignment.assign_co_mediator(s, coordinator, preparation, ben.id)
    add(ben, preparation, kind="consultation", duration=45, place="Programme office",
        **_when(6, 15), notes="Consult the victim services worker about the support person.")
