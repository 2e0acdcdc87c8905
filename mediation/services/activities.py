"""Activities: every contact the mediators have with the people of a case (issue 9, part 1).

A mediator plans a contact ahead (a time in the future) or records one that already happened (a time in the past,
status done: how calls and letters are logged), marks a planned one done with notes, or cancels it. The time, the
duration, the place and who took part are in clear (they make the calendar); what was said is sealed, read by the
case's mediators only, every reading audited. A face-to-face meeting is an activity too, but it is planned and held
on its own page (its visitors, clearances and checklist), never through the plain form.

Times arrive as a local date and time in the programme's time zone. No time zone is configured yet, so it is UTC
(``TIME_ZONE``), and the form says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import Activity, ActivityAttendee, Case, User
from mediation.models.content import new_record_id
from mediation.moments import aware, moment
from mediation.policy import participant_of, require_mediator_of
from mediation.services import reminders_arming
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page
from mediation.services.lookup import case_to_change, checked_record_id, find_case
from mediation.text import checked_text
from workflows.activities import ActivityKind, ActivityStatus
from workflows.vocabulary import OPEN_STATES
from workflows.words import Code, Words, codes

TIME_ZONE: tzinfo = UTC  # the zone of the dates and times the form sends; no setting names another one yet
MIN_MINUTES, MAX_MINUTES = 5, 720
MAX_PLACE = 200
MAX_NOTES = 10_000
MAX_ATTENDEES = 50
# Planned and recorded through the plain form; a face-to-face meeting has a page of its own.
FORM_KINDS = tuple(kind.value for kind in ActivityKind if kind != ActivityKind.FACE_TO_FACE_MEETING)
ACTIVITY = Words("activity")
ACTIVITY_KEY: tuple[KeyPart, ...] = ("time", "text")  # starts_at, id
_MINUTES = re.compile(r"^-?[0-9]{1,6}$")


# --- checking what the form sends (before any query) ---------------------------------------------------------

def _kind(kind: object) -> str:
    if kind == ActivityKind.FACE_TO_FACE_MEETING:
        raise InvalidInput("A face-to-face meeting is planned on the meeting page, with its visitors, clearances "
                           "and checklist; choose another kind of activity here.")
    if not isinstance(kind, str) or kind not in FORM_KINDS:
        raise InvalidInput("Choose the kind of activity: %(choices)s.", choices=codes(FORM_KINDS))
    return kind


def local_start(day: object, at: object, zone: tzinfo = TIME_ZONE) -> datetime:
    """The moment a local date (2026-03-31) and time (14:30) name, in UTC; refused clearly if malformed."""
    return moment(day, at, Words("date"), time_what=Words("time"), zone=zone)


def _minutes(duration: object) -> int:
    text = str(duration).strip() if isinstance(duration, int | str) else ""
    if not _MINUTES.match(text):
        raise InvalidInput("The duration is a whole number of minutes.")
    minutes = int(text)
    if minutes <= 0:
        raise InvalidInput("An activity cannot end before it starts: give a duration of at least %(least)s "
                           "minutes.", least=MIN_MINUTES)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidInput("The duration is between %(least)s and %(most)s minutes.", least=MIN_MINUTES,
                           most=MAX_MINUTES)
    return minutes


def _place(place: object) -> str | None:
    return checked_text(place, Words("place"), MAX_PLACE, one_line=True) or None


def _notes(notes: object) -> str:
    return checked_text(notes, Words("notes"), MAX_NOTES)


def _attendee_ids(ids: Iterable[object]) -> list[int]:
    chosen: list[int] = []
    for value in ids:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
            raise NotFound("There is no such participant on this case.")
        if value not in chosen:
            chosen.append(value)
    if len(chosen) > MAX_ATTENDEES:
        raise InvalidInput("Choose at most %(limit)s people.", limit=MAX_ATTENDEES)
    return chosen


# --- planning, recording, marking done, cancelling ------------------------------------------------------------

def _context(activity: Activity) -> RecordContext:
    return RecordContext(activity.case_id, "activity", activity.id, activity.recorded_by_id, "notes")


def plan_activity(session: Session, vault: Vault, actor: User, reference: str, *, kind: object, day: object,
                  at: object, duration: object, place: object = None, participant_ids: Iterable[object] = (),
                  with_co_mediator: bool = False, notes: object = None, done: bool = False,
                  now: datetime | None = None, expected_version: int | None = None) -> Activity:
    """Plan a contact ahead (its time in the future), or, with ``done``, record one that already happened (its
    time in the past): never a planned one in the past, nor a done one in the future."""
    kind, minutes, place, text = _kind(kind), _minutes(duration), _place(place), _notes(notes)
    starts_at, people = local_start(day, at), _attendee_ids(participant_ids)
    now = now or utcnow()
    if not done and starts_at <= now:
        raise InvalidInput("A meeting in the past cannot be planned; to log a contact that already happened, "
                           "record it as done.")
    if done and starts_at > now:
        raise InvalidInput("A contact in the future cannot be recorded as done yet; plan it instead.")
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES, action=Words("plan an activity"),
                          expected_version=expected_version)
    attendees = [participant_of(case, pid).id for pid in people]
    if with_co_mediator and case.co_mediator_id is None:
        raise InvalidInput("This case has no co-mediator to take part.")
    activity = Activity(id=new_record_id(), case_id=case.id, kind=kind, starts_at=starts_at,
                        duration_minutes=minutes, place=place, with_co_mediator=with_co_mediator,
                        status=(ActivityStatus.DONE if done else ActivityStatus.PLANNED).value,
                        recorded_by_id=actor.id, created_at=now, updated_at=now,
                        attendees=[ActivityAttendee(participant_id=pid) for pid in attendees])
    if text:
        activity.sealed_notes = vault.seal_text(session, _context(activity), text)
    session.add(activity)
    if not done:
        reminders_arming.activity_planned(session, case.id, activity.id, starts_at)
    audit.record_content(session, AuditTag.ACTIVITY_RECORDED if done else AuditTag.ACTIVITY_PLANNED,
                         case_id=case.id, actor=actor, now=now,
                         details={"activity_id": activity.id, "activity_kind": kind, "participant_ids": attendees,
                                  "with_co_mediator": with_co_mediator, "notes": bool(text)})
    return activity


def _planned_activity(session: Session, actor: User, reference: str, activity_id: object,
                      action: Words) -> tuple[Case, Activity]:
    wanted = checked_record_id(activity_id, ACTIVITY)
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES, action=action)
    activity = session.scalars(select(Activity).where(Activity.id == wanted, Activity.case_id == case.id)
                               ).one_or_none()
    if activity is None:
        raise NotFound("There is no such %(what)s on this case.", what=ACTIVITY)
    if activity.kind == ActivityKind.FACE_TO_FACE_MEETING:
        raise InvalidInput("A face-to-face meeting is held or called off on its meeting page.")
    if activity.status != ActivityStatus.PLANNED:
        raise WrongState("This activity is already %(status)s.", status=Code(activity.status))
    return case, activity


def mark_done(session: Session, vault: Vault, actor: User, reference: str, activity_id: object, *,
              notes: object = None, now: datetime | None = None) -> Activity:
    """A planned activity took place; the notes written now join any written when it was planned."""
    text = _notes(notes)
    now = now or utcnow()
    case, activity = _planned_activity(session, actor, reference, activity_id, Words("record an activity"))
    if activity.starts_at.replace(tzinfo=activity.starts_at.tzinfo or UTC) > now:
        raise InvalidInput("This activity has not begun yet; it can be recorded as done once it has.")
    if text:
        earlier = (vault.open_text(session, _context(activity), activity.sealed_notes)
                   if activity.sealed_notes is not None else "")
        activity.sealed_notes = vault.seal_text(session, _context(activity),
                                                f"{earlier}\n\n{text}" if earlier else text)
    activity.status, activity.updated_at = ActivityStatus.DONE.value, now
    reminders_arming.activity_settled(session, case.id, activity.id)
    audit.record_content(session, AuditTag.ACTIVITY_DONE, case_id=case.id, actor=actor, now=now,
                         details={"activity_id": activity.id, "notes": bool(text)})
    return activity


def cancel(session: Session, actor: User, reference: str, activity_id: object,
           now: datetime | None = None) -> Activity:
    now = now or utcnow()
    case, activity = _planned_activity(session, actor, reference, activity_id, Words("cancel an activity"))
    activity.status, activity.updated_at = ActivityStatus.CANCELLED.value, now
    reminders_arming.activity_settled(session, case.id, activity.id)
    audit.record_content(session, AuditTag.ACTIVITY_CANCELLED, case_id=case.id, actor=actor, now=now,
                         details={"activity_id": activity.id})
    return activity


# --- reading ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityRow:
    id: str
    kind: str
    status: str
    starts_at: datetime
    duration_minutes: int
    place: str | None
    participant_ids: tuple[int, ...]
    with_co_mediator: bool
    notes: str | None  # opened for the case's mediators; None when there are none
    begun: bool  # its time has come: a planned one can be recorded as done

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def key(self) -> tuple[datetime, str]:
        return self.starts_at, self.id




@dataclass(frozen=True)
class CaseActivities:
    reference: str
    version: int
    is_open: bool
    has_co_mediator: bool
    page: Page[ActivityRow]
    kinds: tuple[str, ...] = FORM_KINDS
    time_zone: str = "UTC"


def case_activities(session: Session, vault: Vault, actor: User, reference: str, query: ListQuery,
                    *, now: datetime | None = None) -> CaseActivities:
    """One page of the case's activities, newest first, with their notes opened for its mediators (audited)."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    statement = select(Activity).where(Activity.case_id == case.id)
    page = fetch_page(session, statement, query, keys=[Activity.starts_at, Activity.id],
                      key_of=lambda row: (row[0].starts_at, row[0].id), parts=ACTIVITY_KEY, descending=True)
    sealed = [row[0] for row in page.items if row[0].sealed_notes is not None]
    opened = {a.id: vault.open_text(session, _context(a), a.sealed_notes) for a in sealed if a.sealed_notes}
    if opened:
        audit.record_content(session, AuditTag.ACTIVITY_NOTES_DECRYPTED, case_id=case.id, actor=actor,
                             now=now or utcnow(), details={"activity_ids": sorted(opened)})
    moment = now or utcnow()
    rows = page.map(lambda row: _row(row[0], opened.get(row[0].id), moment))
    return CaseActivities(case.reference, case.version, case.state in OPEN_STATES, case.co_mediator_id is not None,
                          rows)


def _row(activity: Activity, notes: str | None, now: datetime) -> ActivityRow:
    starts_at = aware(activity.starts_at)
    return ActivityRow(activity.id, activity.kind, activity.status, starts_at, activity.duration_minutes,
                       activity.place, tuple(a.participant_id for a in activity.attendees),
                       activity.with_co_mediator, notes, starts_at <= now)


@dataclass(frozen=True)
class CaseSection:
    """The case page's short section: who mediates it, and the newest activities (nothing sealed opened)."""

    mediator: str | None
    co_mediator: str | None
    recent: list[ActivityRow]


def case_section(session: Session, actor: User, reference: str, limit: int = 3) -> CaseSection:
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    query = (select(Activity).where(Activity.case_id == case.id)
             .order_by(Activity.starts_at.desc(), Activity.id.desc()).limit(limit))

    def name(user_id: int | None) -> str | None:
        user = session.get(User, user_id) if user_id is not None else None
        return user.display_name if user else None

    return CaseSection(name(case.assigned_mediator_id), name(case.co_mediator_id),
                       [_row(a, None, utcnow()) for a in session.scalars(query)])
