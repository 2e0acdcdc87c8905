"""Cases of the programmes other than victim-offender mediation: opened, moved and audited the one way.

A circle or a resocialisation client is a row of ``cases`` with its ``programme`` set, so it has a data key
(content sealed under the KEK and rotated with everything else), a hash-chained audit trail and retention like a
mediation case. Mediation's pages and services never see these rows (``mediation.policy.visibility``); each
programme's own services find its cases with ``programme_case`` and decide who may see them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation import audit
from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, TimerKind, User
from mediation.references import next_reference
from mediation.services import reminders_arming
from mediation.text import shown
from mediation.timers import schedule
from workflows.programmes import CIRCLES, RESOCIALISATION, Programme, programme, workflow_of

# Each programme's references, e.g. CS-2026-00042 for a circle; mediation keeps RO (mediation.references).
PREFIXES: Mapping[str, str] = {CIRCLES: "CS", RESOCIALISATION: "RT"}
# What each programme's audit tags are about (mediation.audit.tags: circle:workflow:form, client:workflow:...).
AUDIT_SUBJECTS: Mapping[str, str] = {CIRCLES: "circle", RESOCIALISATION: "client"}
MAX_REFERENCE = 20  # the length of cases.reference


class Subject(Protocol):
    """What a programme's machine moves: its facts object, whose ``state`` is the case's own."""

    state: str


def reference_pattern(programme_name: str) -> re.Pattern[str]:
    return re.compile(PREFIXES[programme_name] + r"-[0-9]{4}-[0-9]{5,12}")


def open_case(session: Session, actor: User, programme_name: str, origin: str, tag: AuditTag,
              **case_fields: Any) -> Case:
    """A new case of the programme, under its current workflow version, with its first audit entry (``tag``);
    it belongs to the organisation of the actor who opens it."""
    chosen = programme(programme_name)
    now = utcnow()
    definition = chosen.definition()
    case = Case(reference=next_reference(session, now.year, PREFIXES[chosen.name]), programme=chosen.name,
                workflow_version=definition.version, origin=origin,
                organisation_id=actor.organisation_id, state=str(definition.initial), created_at=now,
                updated_at=now, **case_fields)
    session.add(case)
    session.flush()
    audit.record(session, tag, actor=actor, now=now, case=case, to_state=case.state,
                 details={"programme": chosen.name})
    return case


def programme_case(session: Session, programme_name: str, reference: object, *, organisation_id: int,
                   lock: bool = False) -> Case:
    """The programme's case with this reference in ``organisation_id`` (the actor's), for its own services to
    authorise; NotFound for anything else, a mediation case, another programme's or another organisation's
    included."""
    wanted = reference.strip().upper() if isinstance(reference, str) else ""
    if len(wanted) > MAX_REFERENCE or not reference_pattern(programme_name).fullmatch(wanted):
        raise NotFound("%(value)s is not a reference of this programme.", value=shown(reference))
    query = select(Case).where(Case.reference == wanted, Case.programme == programme_name,
                               Case.organisation_id == organisation_id)
    if lock:  # the one lock order: the case row first (mediation.audit.chain.lock_case_row)
        query = query.with_for_update(of=Case, key_share=True).execution_options(populate_existing=True)
    case = session.scalars(query).one_or_none()
    if case is None:
        raise NotFound("No case %(reference)s was found.", reference=wanted)
    return case


def fire(session: Session, actor: User | None, case: Case, subject: Subject, trigger: str, *,
         reason: str | None = None, details: Mapping[str, Any] | None = None, anonymous_role: str = "public",
         **arguments: Any) -> str:
    """Fire ``trigger`` of the case's own programme and version on ``subject``; the new state, its audit entry
    and the start (or end) of retention commit together. Returns the new state.

    The caller has found the case (``programme_case``, locked) and checked that ``actor`` may fire ``trigger``.
    Without an actor, the audit names ``anonymous_role`` (a timer fires as ``system``).
    """
    chosen: Programme = programme(case.programme)
    workflow = workflow_of(chosen, case.workflow_version)
    if trigger not in workflow.definition.triggers:
        raise InvalidInput("Unknown action %(action)s.", action=shown(trigger))
    if reason is not None:
        arguments["reason"] = reason
    source = case.state
    workflow.fire(subject, trigger, **arguments)
    now = utcnow()
    case.updated_at = now
    final = workflow.definition.final_states
    if case.state in final and source not in final:
        case.closed_at = now
        reminders_arming.case_closed(session, case.id, now)
    elif source in final and case.state not in final:
        case.closed_at = None
        schedule.cancel(session, [TimerKind.RETENTION_ENDS], case_id=case.id)
    audit.record(session, AuditTag.for_programme_trigger(AUDIT_SUBJECTS[chosen.name], trigger), actor=actor,
                 now=now, case=case, from_state=source, to_state=case.state, reason=reason,
                 details=dict(details or {}), anonymous_role=anonymous_role)
    return case.state
