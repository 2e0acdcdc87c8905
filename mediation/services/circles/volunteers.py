"""The volunteers' registry: each volunteer's application, screening (references, police check, interview) and
training, each with the day it was done. The coordinator keeps it; only a screened and trained volunteer may
join a circle (the workflow's guard reads ``screened`` and ``trained``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Role, User, VolunteerScreening
from mediation.moments import checked_day
from mediation.services.circles.access import require_coordinator
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page
from mediation.services.organisations import account_in, accounts_of_organisation
from workflows.circle_people import ScreeningStep
from workflows.words import Words, codes

REGISTRY_KEY: tuple[KeyPart, ...] = ("text",)  # username
_COLUMNS = {ScreeningStep.REFERENCES: "references_checked_on", ScreeningStep.POLICE_CHECK: "police_check_on",
            ScreeningStep.INTERVIEW: "interviewed_on", ScreeningStep.TRAINING: "trained_on"}
STEP_WORDS = {ScreeningStep.REFERENCES: Words("references checked"),
              ScreeningStep.POLICE_CHECK: Words("police check"), ScreeningStep.INTERVIEW: Words("interview"),
              ScreeningStep.TRAINING: Words("training completed")}


@dataclass(frozen=True)
class VolunteerRow:
    user_id: int
    username: str
    display_name: str
    applied_on: date | None  # None: an account of the kind, no application recorded yet
    references_checked_on: date | None
    police_check_on: date | None
    interviewed_on: date | None
    trained_on: date | None
    screened: bool
    trained: bool


def _past_day(value: object, what: Words) -> date:
    day = checked_day(value, what)
    if day > utcnow().date():
        raise InvalidInput("The %(what)s date is in the future; record a step once it is done.", what=what)
    return day


def _volunteer(session: Session, actor: User, user_id: object) -> User:
    """An active volunteer account of the coordinator's organisation; any other id is refused alike."""
    user = account_in(session, actor.organisation_id, user_id)
    if user is None or user.role != Role.VOLUNTEER or not user.is_active:
        raise InvalidInput("Choose a volunteer's account from the list.")
    return user


def record_application(session: Session, actor: User, user_id: object, *, applied_on: object) -> VolunteerScreening:
    """A volunteer's account applies: the registry starts with the day of the application."""
    day = _past_day(applied_on, Words("application"))
    require_coordinator(session, actor)
    user = _volunteer(session, actor, user_id)
    if session.get(VolunteerScreening, user.id) is not None:
        raise InvalidInput("This volunteer's application is already recorded.")
    now = utcnow()
    row = VolunteerScreening(user_id=user.id, applied_on=day, updated_by_id=actor.id, updated_at=now)
    session.add(row)
    session.flush()
    audit.record(session, AuditTag.CIRCLE_VOLUNTEER_APPLIED, actor=actor, now=now, details={"user_id": user.id})
    return row


def record_step(session: Session, actor: User, user_id: object, *, step: object, on: object) -> VolunteerScreening:
    """Record the day a screening step (or the training) was done: never in the future, never before the
    application."""
    if step not in tuple(ScreeningStep):
        raise InvalidInput("Unknown step %(value)s; choose one of: %(choices)s.", value=str(step)[:40],
                           choices=codes(tuple(ScreeningStep)))
    chosen = ScreeningStep(str(step))
    day = _past_day(on, STEP_WORDS[chosen])
    require_coordinator(session, actor)
    user = _volunteer(session, actor, user_id)
    row = session.get(VolunteerScreening, user.id)
    if row is None:
        raise InvalidInput("Record the volunteer's application first.")
    if day < row.applied_on:
        raise InvalidInput("The %(what)s date is before the application (%(applied)s).", what=STEP_WORDS[chosen],
                           applied=row.applied_on.isoformat())
    now = utcnow()
    setattr(row, _COLUMNS[chosen], day)
    row.updated_by_id, row.updated_at = actor.id, now
    audit.record(session, AuditTag.CIRCLE_VOLUNTEER_STEP, actor=actor, now=now,
                 details={"user_id": user.id, "step": chosen.value})
    return row


def registry(session: Session, actor: User, query: ListQuery) -> Page[VolunteerRow]:
    """A page of the volunteers' accounts with where each stands, by username (the coordinator's)."""
    require_coordinator(session, actor)
    statement = (select(User, VolunteerScreening)
                 .outerjoin(VolunteerScreening, VolunteerScreening.user_id == User.id)
                 .where(User.role == Role.VOLUNTEER.value, User.is_active.is_(True),
                        accounts_of_organisation(actor)))
    page = fetch_page(session, statement, query, keys=(User.username,), key_of=lambda row: (row.User.username,),
                      parts=REGISTRY_KEY)
    return page.map(lambda row: _row(row.User, row.VolunteerScreening))


def _row(user: User, screening: VolunteerScreening | None) -> VolunteerRow:
    s = screening
    return VolunteerRow(user.id, user.username, user.display_name, s.applied_on if s else None,
                        s.references_checked_on if s else None, s.police_check_on if s else None,
                        s.interviewed_on if s else None, s.trained_on if s else None,
                        bool(s and s.screened), bool(s and s.trained))
