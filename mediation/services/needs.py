"""Each person's needs and questions (DESIGN.md section 1: what the programme exists for).

The case's mediators record them for a person of the case, sealed, and mark each answered, partly answered, not
answered or withdrawn as the dialogue goes on. The kind, the status and whom it is about stay in clear (the
programme statistics count them); the words are sealed. A participant sees their own, never the other side's.
Every reading of the words is audited; the audit never holds them.
"""

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
from mediation.errors import InvalidInput, NotFound
from mediation.models import Case, ParticipantNeed, Role, User
from mediation.models.content import new_record_id
from mediation.policy import own_participation, participant_of, require_active, require_mediator_of
from mediation.services.lookup import case_to_change, checked_record_id, find_case
from mediation.text import checked_text
from workflows.agreements import NEEDS_RECORDABLE_IN, NeedKind, NeedStatus
from workflows.words import Words, codes

MAX_NEED_TEXT = 2_000
NEED = Words("need or question")


@dataclass(frozen=True)
class NeedView:
    id: str
    participant_id: int
    kind: str
    status: str
    text: str
    created_at: datetime


def need_context(need: ParticipantNeed) -> RecordContext:
    # Bound to whom it is about: re-pointing a need at the other side makes it unreadable.
    return RecordContext(need.case_id, "need", need.id, need.recorded_by_id, f"text.about-{need.participant_id}")


def checked_choice(value: object, allowed: tuple[str, ...], field: Words) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput("Choose the %(field)s among: %(allowed)s.", field=field, allowed=codes(allowed))
    return value


def record_need(session: Session, vault: Vault, actor: User, reference: str, *, participant_id: int | None,
                kind: str | None, text: str | None) -> ParticipantNeed:
    """A mediator of the case records a need or a question a person brings; it starts open."""
    chosen = checked_choice(kind, tuple(NeedKind), Words("kind"))
    words = checked_text(text, NEED, MAX_NEED_TEXT, required=True)
    if participant_id is None:
        raise InvalidInput("Choose whose need or question this is.")
    case = case_to_change(session, actor, reference, allowed=NEEDS_RECORDABLE_IN,
                          action=Words("record a need or a question"))
    person = participant_of(case, participant_id)
    need = ParticipantNeed(id=new_record_id(), case_id=case.id, participant_id=person.id, kind=chosen,
                           status=NeedStatus.OPEN.value, recorded_by_id=actor.id, created_at=utcnow())
    need.sealed_text = vault.seal_text(session, need_context(need), words)
    session.add(need)
    audit.record_content(session, AuditTag.NEED_RECORDED, case_id=case.id, actor=actor, now=need.created_at,
                         details={"need_id": need.id, "participant_id": person.id, "kind": chosen})
    return need


def _need_on(session: Session, case: Case, need_id: object) -> ParticipantNeed:
    wanted = checked_record_id(need_id, NEED)
    need = session.scalars(select(ParticipantNeed).where(ParticipantNeed.id == wanted,
                                                         ParticipantNeed.case_id == case.id)).one_or_none()
    if need is None:
        raise NotFound("There is no such %(what)s on this case.", what=NEED)
    return need


def set_need_status(session: Session, actor: User, reference: str, *, need_id: str,
                    status: str | None) -> ParticipantNeed:
    """Mark how far a need or question was met as the dialogue goes on (audited, without its words)."""
    chosen = checked_choice(status, tuple(NeedStatus), Words("status"))
    case = case_to_change(session, actor, reference, allowed=NEEDS_RECORDABLE_IN,
                          action=Words("change the status of a need or a question"))
    need = _need_on(session, case, need_id)
    now = utcnow()
    previous, need.status, need.status_changed_at = need.status, chosen, now
    audit.record_content(session, AuditTag.NEED_STATUS_SET, case_id=case.id, actor=actor, now=now,
                         details={"need_id": need.id, "from": previous, "to": chosen})
    return need


def _views(session: Session, vault: Vault, case: Case, participant_id: int | None) -> list[NeedView]:
    query = select(ParticipantNeed).where(ParticipantNeed.case_id == case.id)
    if participant_id is not None:
        query = query.where(ParticipantNeed.participant_id == participant_id)
    needs = session.scalars(query.order_by(ParticipantNeed.created_at, ParticipantNeed.id))
    return [NeedView(n.id, n.participant_id, n.kind, n.status, vault.open_text(session, need_context(n),
                                                                                 n.sealed_text), n.created_at)
            for n in needs]


def opened_needs(session: Session, vault: Vault, actor: User, case: Case, participant_id: int | None,
                 ) -> list[NeedView]:
    """The needs of the case (or of one person), opened; the reading is audited. The caller checked who may."""
    views = _views(session, vault, case, participant_id)
    if views:
        audit.record_content(session, AuditTag.NEEDS_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"need_ids": [v.id for v in views]})
    return views


def case_needs(session: Session, vault: Vault, actor: User, reference: str) -> list[NeedView]:
    """Every need and question of the case, for its mediators."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    return opened_needs(session, vault, actor, case, None)


def my_needs(session: Session, vault: Vault, actor: User, reference: str) -> list[NeedView]:
    """A participant's own needs and questions with their status; never anyone else's."""
    require_active(actor)
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    return opened_needs(session, vault, actor, case, mine.id)
