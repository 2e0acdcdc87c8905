"""Who may reach a resocialisation client, and the client as the programme's machine sees it.

Every service of the programme finds a client here, through the role it acts in: the coordinator (every
client, metadata only), the client's own activation worker (everything), the client themselves (their own
progress), the referring officer (received / acknowledged and the certificate). A wrong role is refused (403);
someone else's client answers exactly like one that does not exist (404).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.errors import Forbidden, NotFound
from mediation.models import Case, Enrolment, ProgrammeRole, Role, TrainingSession, User
from mediation.policy import require_active
from mediation.services.programme_cases import programme_case
from mediation.services.programme_roles import holds, require_programme_role
from workflows.programmes import RESOCIALISATION
from workflows.resocialisation_workflow import Attendance, attendance, track

COORDINATOR = "coordinator"
WORKER = "activation_worker"
OFFICER = "referring_officer"


@dataclass
class Client:
    """A client's case and enrolment with their sessions: the ``ClientFacts`` the workflow's guards read; its
    state and outcome are the case's own, so firing a trigger moves the case."""

    case: Case
    enrolment: Enrolment
    session_rows: list[TrainingSession] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.case.state

    @state.setter
    def state(self, value: str) -> None:
        self.case.state = value

    @property
    def outcome(self) -> str | None:
        return self.case.outcome

    @outcome.setter
    def outcome(self, value: str | None) -> None:
        self.case.outcome = value

    @property
    def track(self) -> str:
        return self.enrolment.track

    @property
    def sessions(self) -> Sequence[TrainingSession]:
        return self.session_rows

    @property
    def individual_plan_recorded(self) -> bool:
        return self.enrolment.sealed_plan is not None

    def attendance(self) -> Attendance:
        return attendance(track(self.enrolment.track, self.case.workflow_version), self.session_rows)


def my_roles(session: Session, actor: User) -> frozenset[str]:
    """The roles ``actor`` holds in the programme, in one query (the navigation asks on every page)."""
    if not actor.is_active:
        return frozenset()
    return frozenset(session.scalars(select(ProgrammeRole.role).where(
        ProgrammeRole.user_id == actor.id, ProgrammeRole.programme == RESOCIALISATION)))


def _missing(case: Case) -> NotFound:
    return NotFound("No case %(reference)s was found.", reference=case.reference)


def _found(session: Session, actor: User, reference: object, *, lock: bool, with_sessions: bool) -> Client:
    """The client's case within the actor's own organisation (another organisation's is not found)."""
    case = programme_case(session, RESOCIALISATION, reference, organisation_id=actor.organisation_id, lock=lock)
    enrolment = session.get(Enrolment, case.id)
    if enrolment is None:  # a case of the programme always has its enrolment; without it, nothing to show
        raise _missing(case)
    rows = list(session.scalars(select(TrainingSession).where(TrainingSession.case_id == case.id)
                                .order_by(TrainingSession.held_on, TrainingSession.id))) if with_sessions else []
    return Client(case, enrolment, rows)


def as_worker(session: Session, actor: User, reference: object, *, lock: bool = False,
              with_sessions: bool = False) -> Client:
    """The client of this activation worker; another worker's client is not found."""
    require_programme_role(session, actor, RESOCIALISATION, WORKER)
    client = _found(session, actor, reference, lock=lock, with_sessions=with_sessions)
    if client.enrolment.worker_id != actor.id:
        raise _missing(client.case)
    return client


def as_coordinator(session: Session, actor: User, reference: object, *, lock: bool = False) -> Client:
    require_programme_role(session, actor, RESOCIALISATION, COORDINATOR)
    return _found(session, actor, reference, lock=lock, with_sessions=False)


def as_staff(session: Session, actor: User, reference: object) -> tuple[Client, bool]:
    """The client as a coordinator or their own worker sees them; the flag says whether ``actor`` is the worker
    (who sees content), else the coordinator (metadata only)."""
    require_programme_role(session, actor, RESOCIALISATION, COORDINATOR, WORKER)
    client = _found(session, actor, reference, lock=False, with_sessions=True)
    if client.enrolment.worker_id == actor.id:
        return client, True
    if holds(session, actor, RESOCIALISATION, COORDINATOR):
        return client, False
    raise _missing(client.case)  # another worker's client


def as_client(session: Session, actor: User, reference: object, *, lock: bool = False,
              with_sessions: bool = False) -> Client:
    """The client's own enrolment, for their participant account; anyone else's is not found."""
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("Only the client may do this.")
    client = _found(session, actor, reference, lock=lock, with_sessions=with_sessions)
    if client.enrolment.client_id != actor.id:
        raise _missing(client.case)
    return client


def as_officer(session: Session, actor: User, reference: object) -> Client:
    """A client this officer referred; one referred by someone else is not found."""
    require_programme_role(session, actor, RESOCIALISATION, OFFICER)
    client = _found(session, actor, reference, lock=False, with_sessions=False)
    if client.enrolment.officer_id != actor.id:
        raise _missing(client.case)
    return client
