"""Warning signs: a volunteer raises a concern from a meeting's minutes (sealed); the supervising staff member
must acknowledge it. A concern marked serious pauses an active circle at once, and its acknowledgement records
(sealed) whom it was escalated to; the circle resumes only once every serious concern has that recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, NotFound, WrongState
from mediation.models import CircleConcern, User
from mediation.models.content import new_record_id
from mediation.moments import aware
from mediation.services import programme_cases
from mediation.services.circles.access import SUPERVISOR_WORDS, find_circle, require
from mediation.services.circles.facts import CircleSubject
from mediation.services.circles.meetings import MEETING, VOLUNTEERS, meeting_of
from mediation.services.listing import KeyPart, ListQuery, Page, fetch_page
from mediation.services.lookup import checked_record_id
from mediation.text import checked_text
from workflows.circle_people import MeetingStatus
from workflows.circle_workflow import CircleState
from workflows.words import Words

CONCERN = Words("concern")
MAX_CONCERN = 5_000
MAX_ESCALATION = 500
CONCERN_KEY: tuple[KeyPart, ...] = ("time", "text")


@dataclass(frozen=True)
class ConcernView:
    id: str
    meeting_id: str
    raised_by: int
    raised_at: datetime
    serious: bool
    text: str
    acknowledged_at: datetime | None
    escalated_to: str


def _context(concern: CircleConcern, field: str) -> RecordContext:
    return RecordContext(concern.case_id, "circle_concern", concern.id, concern.raised_by_id, field)


def raise_concern(session: Session, vault: Vault, actor: User, reference: object, meeting_id: object, *,
                  text: object, serious: bool, now: datetime | None = None) -> CircleConcern:
    """A volunteer of the circle raises a concern from a held meeting; a serious one pauses an active circle in
    the same transaction (reason ``serious_concern``)."""
    words = checked_text(text, CONCERN, MAX_CONCERN, required=True)
    checked_record_id(meeting_id, MEETING)
    case, circle, standing = find_circle(session, actor, reference, lock=True)
    require(standing.volunteer, VOLUNTEERS)
    meeting = meeting_of(session, case, meeting_id)
    if meeting.status != MeetingStatus.HELD:
        raise WrongState("A concern is raised from the minutes of a meeting that took place.")
    if case.state == CircleState.ENDED:
        raise WrongState("This circle has ended.")
    now = now or utcnow()
    concern = CircleConcern(id=new_record_id(), case_id=case.id, meeting_id=meeting.id, raised_by_id=actor.id,
                            raised_at=now, serious=bool(serious))
    concern.sealed_text = vault.seal_text(session, _context(concern, "text"), words)
    session.add(concern)
    session.flush()
    audit.record_content(session, AuditTag.CIRCLE_CONCERN_RAISED, case_id=case.id, actor=actor, now=now,
                         details={"concern_id": concern.id, "meeting_id": meeting.id, "serious": concern.serious})
    if concern.serious and case.state == CircleState.ACTIVE:
        programme_cases.fire(session, actor, case, CircleSubject(session, case, circle, now), "pause",
                             reason="serious_concern", details={"concern_id": concern.id})
    return concern


def acknowledge_concern(session: Session, vault: Vault, actor: User, reference: object, concern_id: object, *,
                        escalated_to: object = None) -> CircleConcern:
    """The supervising staff member acknowledges a concern; for a serious one they record whom it was escalated
    to (required), sealed."""
    checked_record_id(concern_id, CONCERN)
    to_whom = checked_text(escalated_to, Words("escalated to"), MAX_ESCALATION)
    case, _, standing = find_circle(session, actor, reference, lock=True)
    require(standing.supervisor, SUPERVISOR_WORDS)
    concern = session.get(CircleConcern, concern_id)
    if concern is None or concern.case_id != case.id:
        raise NotFound("There is no such %(what)s on this case.", what=CONCERN)
    if concern.acknowledged_at is not None:
        raise WrongState("This concern was already acknowledged.")
    if concern.serious and not to_whom:
        raise InvalidInput("A serious concern is escalated: write to whom it was escalated.")
    now = utcnow()
    concern.acknowledged_by_id, concern.acknowledged_at = actor.id, now
    if to_whom:
        concern.sealed_escalated_to = vault.seal_text(session, _context(concern, "escalated_to"), to_whom)
    audit.record_content(session, AuditTag.CIRCLE_CONCERN_ACKNOWLEDGED, case_id=case.id, actor=actor, now=now,
                         details={"concern_id": concern.id, "escalation_recorded": bool(to_whom)})
    return concern


def open_concerns(session: Session, vault: Vault, actor: User, reference: object,
                  query: ListQuery) -> Page[ConcernView]:
    """A page of the circle's concerns with their words, newest first, for its team (never the core member);
    the reading is audited."""
    case, _, standing = find_circle(session, actor, reference)
    require(standing.reads_content, Words("the circle's team"))
    page = fetch_page(session, select(CircleConcern).where(CircleConcern.case_id == case.id), query,
                      keys=(CircleConcern.raised_at, CircleConcern.id),
                      key_of=lambda row: (row.CircleConcern.raised_at, row.CircleConcern.id), parts=CONCERN_KEY,
                      descending=True)
    views = page.map(lambda row: _opened(session, vault, row.CircleConcern))
    if views.items:
        audit.record_content(session, AuditTag.CIRCLE_CONCERN_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"concern_ids": [v.id for v in views.items]})
    return views


def _opened(session: Session, vault: Vault, concern: CircleConcern) -> ConcernView:
    c = concern
    return ConcernView(c.id, c.meeting_id, c.raised_by_id, aware(c.raised_at), c.serious,
                       vault.open_text(session, _context(c, "text"), c.sealed_text),
                       aware(c.acknowledged_at) if c.acknowledged_at else None,
                       vault.open_text(session, _context(c, "escalated_to"), c.sealed_escalated_to)
                       if c.sealed_escalated_to else "")
