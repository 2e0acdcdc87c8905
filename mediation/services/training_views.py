"""What each role of the resocialisation programme sees of its clients, as pages read it.

- The coordinator: every client, metadata only (reference, track, step, worker, when enrolled).
- An activation worker: their own clients, and each client's attendance against the track and what completion
  still needs.
- The client: their own progress in plain words: hours and full sessions against the track, where they are in
  the programme, the follow-up days of the help they receive; never the workers' notes.
- The referring officer: the clients they referred, received or acknowledged only, and the certificate once
  issued (completed or not, hours, dates: nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import Forbidden, NotFound
from mediation.models import Case, Enrolment, Role, User
from mediation.policy import require_active
from mediation.progress import ProgressStep, progress_line
from mediation.services.listing import ListQuery, Page, fetch_page
from mediation.services.organisations import of_organisation
from mediation.services.programme_roles import holders, holds, require_programme_role
from mediation.services.training import WORKER_TRIGGERS
from mediation.services.training_access import (
    COORDINATOR,
    OFFICER,
    WORKER,
    Client,
    as_client,
    as_officer,
    as_staff,
    as_worker,
)
from mediation.services.training_help import FollowUp, follow_ups_of
from workflows.diagram import step_map
from workflows.programmes import RESOCIALISATION, workflow_of
from workflows.resocialisation_workflow import OPEN_STATES, Attendance, ClientState, hours
from workflows.words import Words

CLIENT_KEY = ("time", "int")
_OPEN = frozenset(str(state) for state in OPEN_STATES)


@dataclass(frozen=True)
class ClientRow:
    reference: str
    state: str
    track: str
    enrolled_at: datetime
    worker: str | None  # the worker's display name (the coordinator's list)


# Who reads the list of clients (a refusal names them); outside the refusal's call, so that extraction finds them.
_LIST_READERS = (Words("coordinators"), Words("activation workers"))


def clients_page(session: Session, actor: User, query: ListQuery) -> Page[ClientRow]:
    """The coordinator's list of every client, or a worker's list of their own, newest first."""
    require_active(actor)
    conditions: list[ColumnElement[bool]] = [Case.programme == RESOCIALISATION, of_organisation(actor)]
    if not holds(session, actor, RESOCIALISATION, COORDINATOR):
        if not holds(session, actor, RESOCIALISATION, WORKER):
            raise Forbidden("Only %(roles)s of %(programme)s may do this.", roles=_LIST_READERS,
                            programme=Words("Resocialisation training programme"))
        conditions.append(Enrolment.worker_id == actor.id)
    worker = aliased(User)
    statement = (select(Case.id, Case.reference, Case.state, Case.created_at, Enrolment.track,
                        worker.display_name.label("worker"))
                 .join(Enrolment, Enrolment.case_id == Case.id).outerjoin(worker, worker.id == Enrolment.worker_id)
                 .where(*conditions))
    page = fetch_page(session, statement, query, keys=(Case.created_at, Case.id),
                      key_of=lambda row: (row.created_at, row.id), parts=CLIENT_KEY, descending=True)
    return page.map(lambda row: ClientRow(row.reference, row.state, row.track, row.created_at, row.worker))


@dataclass(frozen=True)
class Action:
    trigger: str
    reasons: tuple[str, ...]
    ready: bool
    waiting_for: tuple[Words, ...]  # what keeps it from firing now (completion: what is missing)


@dataclass(frozen=True)
class ClientSummary:
    reference: str
    state: str
    outcome: str | None
    track: str
    enrolled_at: datetime
    is_worker: bool  # the client's own worker (sees content); else the coordinator (metadata only)
    worker_id: int | None
    attendance: Attendance
    plan_recorded_at: datetime | None
    alternative_measure: bool
    has_officer: bool
    certificate_issued_at: datetime | None
    actions: tuple[Action, ...]
    workers: tuple[tuple[int, str], ...]  # the coordinator's chooser
    version: int
    workflow_version: str  # the enrolment's own workflow version, for its picture
    steps: list[tuple[str, list[tuple[str, str]]]]  # that version's step map: each step and where it leads

    @property
    def can_issue_certificate(self) -> bool:
        return (self.is_worker and self.alternative_measure and self.has_officer and self.certificate_issued_at is None
                and self.state in (ClientState.COMPLETED, ClientState.CONTINUING, ClientState.ENDED))

    @property
    def takes_records(self) -> bool:
        return self.state != ClientState.ENDED


def _actions(client: Client) -> tuple[Action, ...]:
    workflow = workflow_of(RESOCIALISATION, client.case.workflow_version)
    actions = []
    for trigger in workflow.triggers_from(client.case.state):
        if trigger not in WORKER_TRIGGERS:
            continue
        unmet = workflow.unmet_guards(client, trigger, judge_arguments=False)
        actions.append(Action(trigger, workflow.definition.triggers[trigger].reasons, not unmet,
                              tuple(g.explanation_for(client, {}) for g in unmet)))
    return tuple(actions)


def client_summary(session: Session, actor: User, reference: object) -> ClientSummary:
    """The client's page for their worker (with the actions they may take) or the coordinator."""
    client, is_worker = as_staff(session, actor, reference)
    enrolment = client.enrolment
    workers = () if is_worker else tuple((u.id, u.display_name) for u in holders(
        session, client.case.organisation_id, RESOCIALISATION, WORKER))
    return ClientSummary(client.case.reference, client.case.state, client.case.outcome, enrolment.track,
                         enrolment.enrolled_at, is_worker, enrolment.worker_id, client.attendance(),
                         enrolment.plan_recorded_at, enrolment.alternative_measure, enrolment.officer_id is not None,
                         enrolment.certificate_issued_at, _actions(client) if is_worker else (), workers,
                         client.case.version, client.case.workflow_version,
                         step_map(workflow_of(RESOCIALISATION, client.case.workflow_version).definition))


@dataclass(frozen=True)
class Chooser:
    workers: tuple[tuple[int, str], ...]
    officers: tuple[tuple[int, str], ...]


def enrolment_form(session: Session, actor: User) -> Chooser:
    """Who the coordinator can choose as the worker and the referring officer."""
    require_programme_role(session, actor, RESOCIALISATION, COORDINATOR)
    mine = actor.organisation_id
    return Chooser(tuple((u.id, u.display_name) for u in holders(session, mine, RESOCIALISATION, WORKER)),
                   tuple((u.id, u.display_name) for u in holders(session, mine, RESOCIALISATION, OFFICER)))


# --- the client's own progress --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    reference: str
    state: str
    outcome: str | None
    attendance: Attendance
    steps: list[ProgressStep]  # the programme's phases in plain words, the current one marked
    follow_ups: tuple[FollowUp, ...]

    @property
    def can_withdraw(self) -> bool:
        return self.state in _OPEN


def _progress(session: Session, client: Client) -> Progress:
    return Progress(client.case.reference, client.case.state, client.case.outcome, client.attendance(),
                    progress_line(client.case.workflow_version, client.case.state),
                    tuple(follow_ups_of(session, client.case.id)))


def my_progress(session: Session, actor: User) -> list[Progress]:
    """The client's own enrolments, newest first (a client has one open at a time, earlier ones closed)."""
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        return []
    references = list(session.scalars(select(Case.reference).join(Enrolment, Enrolment.case_id == Case.id)
                                      .where(Enrolment.client_id == actor.id, of_organisation(actor))
                                      .order_by(Case.created_at.desc(), Case.id.desc()).limit(10)))
    return [_progress(session, as_client(session, actor, ref, with_sessions=True)) for ref in references]


def progress_of(session: Session, actor: User, reference: object) -> Progress:
    return _progress(session, as_client(session, actor, reference, with_sessions=True))


# --- the referring officer ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Referral:
    reference: str
    enrolled_at: datetime
    status: str  # "received" or "acknowledged"
    certificate: bool  # issued: the officer may open it


def _acknowledged() -> ColumnElement[bool]:
    return or_(Enrolment.worker_id.is_not(None), Case.state != ClientState.ENROLLED.value)


def referrals_page(session: Session, actor: User, query: ListQuery) -> Page[Referral]:
    """The clients this officer referred, newest first: received or acknowledged, and the certificate."""
    require_programme_role(session, actor, RESOCIALISATION, OFFICER)
    acknowledged = _acknowledged()
    statement = (select(Case.id, Case.reference, Case.created_at, acknowledged.label("acknowledged"),
                        Enrolment.certificate_issued_at)
                 .join(Enrolment, Enrolment.case_id == Case.id)
                 .where(and_(Case.programme == RESOCIALISATION, Enrolment.officer_id == actor.id,
                             of_organisation(actor))))
    page = fetch_page(session, statement, query, keys=(Case.created_at, Case.id),
                      key_of=lambda row: (row.created_at, row.id), parts=CLIENT_KEY, descending=True)
    return page.map(lambda row: Referral(row.reference, row.created_at,
                                         "acknowledged" if row.acknowledged else "received",
                                         row.certificate_issued_at is not None))


@dataclass(frozen=True)
class Certificate:
    reference: str
    completed: bool
    hours: str
    enrolled_on: date
    issued_on: date


def certificate(session: Session, actor: User, reference: object) -> Certificate:
    """The completion certificate, for the referring officer (or the worker who issued it); the viewing is
    audited. Not issued yet: not found, for the officer as for anyone."""
    if holds(session, actor, RESOCIALISATION, OFFICER):
        client = as_officer(session, actor, reference)
    else:
        client = as_worker(session, actor, reference)
    enrolment = client.enrolment
    if enrolment.certificate_issued_at is None or enrolment.certificate_minutes is None:
        raise NotFound("No certificate has been issued for %(reference)s.", reference=client.case.reference)
    audit.record_content(session, AuditTag.CLIENT_CERTIFICATE_VIEWED, case_id=client.case.id, actor=actor,
                         now=utcnow(), details={})
    return Certificate(client.case.reference, bool(enrolment.certificate_completed),
                       str(hours(enrolment.certificate_minutes)), enrolment.enrolled_at.date(),
                       enrolment.certificate_issued_at.date())
