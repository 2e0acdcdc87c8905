"""Enrolling a client on the resocialisation training programme and moving them through it (seed 002).

The coordinator enrols a client (a participant account) on a track, with their activation worker and, when
the programme is an alternative measure, the referring probation officer. The worker moves the client through
the phases and records completion, which the workflow's guard refuses until the track's minimum is attended and
an individual plan is recorded, naming what is missing. The client may withdraw. Each call is one transaction
with its audit entry.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, WrongState
from mediation.models import Case, Enrolment, Origin, Role, TimerKind, User
from mediation.services import programme_cases
from mediation.services.organisations import account_in, accounts_of_organisation
from mediation.services.programme_roles import holds, require_programme_role
from mediation.services.training_access import (
    COORDINATOR,
    OFFICER,
    WORKER,
    Client,
    as_client,
    as_coordinator,
    as_worker,
)
from mediation.text import checked_string, checked_text, shown
from mediation.timers import schedule
from workflows.programmes import RESOCIALISATION
from workflows.resocialisation_workflow import OPEN_STATES, ClientOutcome, ClientState, track
from workflows.words import Words

MAX_PLAN = 20_000
MAX_USERNAME = 40
WORKER_TRIGGERS = ("begin_anamnesis", "begin_focus", "begin_evaluation", "complete", "continue_voluntarily", "end")
_OPEN = frozenset(str(state) for state in OPEN_STATES)
# Where a certificate can be issued: the programme is over for the measure (completed, or ended without).
_SETTLED = frozenset({ClientState.COMPLETED.value, ClientState.CONTINUING.value, ClientState.ENDED.value})


# --- enrolment ------------------------------------------------------------------------------------------------

def _holder(session: Session, actor: User, user_id: object, role: str, what: Words) -> int | None:
    """An account of the actor's organisation chosen from the holders of ``role`` (None: none chosen); any
    other id is refused, another organisation's account like a missing one."""
    if user_id in (None, ""):
        return None
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id < 2**31:
        raise InvalidInput("Choose the %(what)s from the list.", what=what)
    account = account_in(session, actor.organisation_id, user_id)
    if account is None or not holds(session, account, RESOCIALISATION, role):
        raise InvalidInput("Choose the %(what)s from the list.", what=what)
    return account.id


def _username(username: object) -> str:
    name = checked_string(username if username is not None else "", Words("client's username"),
                          max_length=MAX_USERNAME).strip().lower()
    if not name:
        raise InvalidInput("Write the client's username; it cannot be empty.")
    return name


def _client_account(session: Session, actor: User, name: str) -> User:
    """The participant account named ``name`` in the coordinator's own organisation."""
    account = session.scalars(select(User).where(User.username == name,
                                                 accounts_of_organisation(actor))).one_or_none()
    if account is None or not account.is_active or account.role != Role.PARTICIPANT:
        raise InvalidInput("%(value)s is not an active participant account; the client needs one to be enrolled.",
                           value=shown(name))
    already = session.scalar(select(Case.id).join(Enrolment, Enrolment.case_id == Case.id).where(
        Enrolment.client_id == account.id, Case.state.in_(_OPEN)).limit(1))
    if already is not None:
        raise InvalidInput("This client is already enrolled on the programme.")
    return account


def enrol(session: Session, actor: User, *, client_username: object, track_code: object,
          worker_id: object = None, officer_id: object = None, alternative_measure: bool = False) -> Case:
    """The coordinator enrols a client on a track; an unknown track, client, worker or officer is refused."""
    chosen = track(track_code if isinstance(track_code, str) else shown(track_code))
    username = _username(client_username)  # both checked before any query
    require_programme_role(session, actor, RESOCIALISATION, COORDINATOR)
    client = _client_account(session, actor, username)
    worker = _holder(session, actor, worker_id, WORKER, Words("activation worker"))
    officer = _holder(session, actor, officer_id, OFFICER, Words("referring officer"))
    if alternative_measure and officer is None:
        raise InvalidInput("An alternative measure needs the referring officer, who receives the certificate.")
    case = programme_cases.open_case(session, actor, RESOCIALISATION, Origin.ENROLMENT.value,
                                     AuditTag.CLIENT_ENROLLED)
    session.add(Enrolment(case_id=case.id, client_id=client.id, worker_id=worker, officer_id=officer,
                          track=chosen.code, alternative_measure=bool(alternative_measure),
                          enrolled_at=case.created_at))
    audit.record(session, AuditTag.CLIENT_WORKER_ASSIGNED, actor=actor, now=case.created_at, case=case,
                 details={"track": chosen.code, "worker_id": worker, "officer_id": officer,
                          "alternative_measure": bool(alternative_measure)})
    return case


def assign_worker(session: Session, actor: User, reference: object, worker_id: object) -> Client:
    """The coordinator gives the client an activation worker (or another one) while the programme is open."""
    client = as_coordinator(session, actor, reference, lock=True)
    worker = _holder(session, actor, worker_id, WORKER, Words("activation worker"))
    if worker is None:
        raise InvalidInput("Choose the %(what)s from the list.", what=Words("activation worker"))
    if client.case.state not in _OPEN and client.case.state != ClientState.COMPLETED:
        raise WrongState("This client's programme has ended; it has no worker to assign.")
    client.enrolment.worker_id = worker
    now = utcnow()
    client.case.updated_at = now
    audit.record(session, AuditTag.CLIENT_WORKER_ASSIGNED, actor=actor, now=now, case=client.case,
                 details={"worker_id": worker})
    return client


# --- moving through the programme -----------------------------------------------------------------------------

def move(session: Session, actor: User, reference: object, trigger: object, *, reason: object = None) -> str:
    """The activation worker fires a trigger of the programme; refusals say why (what completion still needs)."""
    if not isinstance(trigger, str) or trigger not in WORKER_TRIGGERS:
        raise Forbidden("An activation worker may not %(action)s.", action=shown(trigger))
    client = as_worker(session, actor, reference, lock=True, with_sessions=True)
    chosen_reason = reason if isinstance(reason, str) and reason else None
    state = programme_cases.fire(session, actor, client.case, client, trigger, reason=chosen_reason)
    if state == ClientState.ENDED:
        _programme_over(session, client)
    return state


def withdraw(session: Session, actor: User, reference: object) -> str:
    """The client leaves the programme, from any open step, without giving a reason."""
    client = as_client(session, actor, reference, lock=True, with_sessions=True)
    state = programme_cases.fire(session, actor, client.case, client, "withdraw")
    _programme_over(session, client)
    return state


def _programme_over(session: Session, client: Client) -> None:
    """Nothing is followed up for a client whose programme ended."""
    schedule.cancel(session, [TimerKind.TRAINING_HELP_FOLLOW_UP], case_id=client.case.id)


# --- the individual plan --------------------------------------------------------------------------------------

def _plan_context(enrolment: Enrolment) -> RecordContext:
    return RecordContext(enrolment.case_id, "training_plan", str(enrolment.case_id), None, "plan")


def record_plan(session: Session, vault: Vault, actor: User, reference: object, *, text: object) -> Client:
    """The worker records (or rewrites) the client's individual plan, sealed; completion needs one."""
    plan = checked_text(text, Words("individual plan"), MAX_PLAN, required=True)
    client = as_worker(session, actor, reference, lock=True)
    if client.case.state == ClientState.ENDED:
        raise WrongState("This client's programme has ended; its plan can no longer change.")
    now = utcnow()
    rewritten = client.enrolment.sealed_plan is not None
    client.enrolment.sealed_plan = vault.seal_text(session, _plan_context(client.enrolment), plan)
    client.enrolment.plan_recorded_at = now
    client.case.updated_at = now
    audit.record_content(session, AuditTag.TRAINING_PLAN_RECORDED, case_id=client.case.id, actor=actor, now=now,
                         details={"rewritten": rewritten})
    return client


def open_plan(session: Session, vault: Vault, actor: User, reference: object) -> str:
    """The plan, opened for the client's worker only; the reading is audited. "" when none is recorded."""
    client = as_worker(session, actor, reference)
    sealed = client.enrolment.sealed_plan
    if sealed is None:
        return ""
    text = vault.open_text(session, _plan_context(client.enrolment), sealed)
    audit.record_content(session, AuditTag.TRAINING_PLAN_DECRYPTED, case_id=client.case.id, actor=actor,
                         now=utcnow(), details={})
    return text


# --- the completion certificate -------------------------------------------------------------------------------

def issue_certificate(session: Session, actor: User, reference: object) -> Client:
    """The worker issues the referring officer's certificate once the programme is settled: completed or not,
    and the hours attended, as they are now (later voluntary sessions do not change it)."""
    client = as_worker(session, actor, reference, lock=True, with_sessions=True)
    enrolment = client.enrolment
    if not enrolment.alternative_measure or enrolment.officer_id is None:
        raise InvalidInput("A certificate is issued only for an alternative measure with a referring officer.")
    if enrolment.certificate_issued_at is not None:
        raise InvalidInput("The certificate was already issued.")
    if client.case.state not in _SETTLED:
        raise WrongState("A certificate is issued once the client has completed the programme or it has ended.")
    now = utcnow()
    enrolment.certificate_issued_at = now
    enrolment.certificate_completed = client.case.outcome == ClientOutcome.COMPLETED
    enrolment.certificate_minutes = client.attendance().minutes
    client.case.updated_at = now
    audit.record(session, AuditTag.CLIENT_CERTIFICATE_ISSUED, actor=actor, now=now, case=client.case,
                 details={"officer_id": enrolment.officer_id, "completed": enrolment.certificate_completed})
    return client
