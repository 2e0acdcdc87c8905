"""The circle as its workflow reads it (workflows.circle_workflow.CircleFacts), over the ORM rows.

The machine moves this small adapter, not the rows: ``state`` and ``outcome`` write through to the case, and
``add_volunteer``'s effect appends to the plain ``volunteers`` list, which the service then persists as a
membership row once the trigger has succeeded (mediation.services.circles.lifecycle).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.models import Case, Circle, CircleConcern, VolunteerScreening
from mediation.moments import aware


class CircleSubject:
    def __init__(self, session: Session, case: Case, circle: Circle, now: datetime) -> None:
        self._session, self._case, self._circle, self._now = session, case, circle, now
        wanted = [m.volunteer_id for m in circle.members]
        rows = {s.user_id: s for s in session.scalars(
            select(VolunteerScreening).where(VolunteerScreening.user_id.in_(wanted)))} if wanted else {}
        self.volunteers: list[VolunteerScreening] = [rows[v] for v in wanted if v in rows]

    @property
    def state(self) -> str:
        return self._case.state

    @state.setter
    def state(self, value: str) -> None:
        self._case.state = str(value)

    @property
    def outcome(self) -> str | None:
        return self._case.outcome

    @outcome.setter
    def outcome(self, value: str | None) -> None:
        self._case.outcome = value

    @property
    def engagement_year(self) -> int:
        return self._circle.engagement_year

    @engagement_year.setter
    def engagement_year(self, value: int) -> None:
        self._circle.engagement_year = value

    @property
    def core_member_present(self) -> bool:
        return self._circle.core_member_id is not None

    @property
    def supervisor_assigned(self) -> bool:
        return self._circle.supervisor_id is not None

    @property
    def anniversary_reached(self) -> bool:
        ends = self._circle.year_ends_at
        return ends is not None and self._now >= aware(ends)

    @property
    def escalation_recorded(self) -> bool:
        """Every serious concern of the circle has whom it was escalated to recorded."""
        return self._session.scalar(select(CircleConcern.id).where(
            CircleConcern.case_id == self._case.id, CircleConcern.serious.is_(True),
            CircleConcern.sealed_escalated_to.is_(None)).limit(1)) is None
