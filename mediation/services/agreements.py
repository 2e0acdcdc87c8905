"""The agreement a dialogue may reach, item by item, and its follow-up.

One agreement per case, recorded in a dialogue step or while closing, on the date it was agreed (never in the
future). Each item says what kind it is, who is to do it (a person of the case or the mediator), what (sealed)
and by when (never before the agreement). Each is followed up to completed, partly completed or not completed,
with a sealed note. Dates, kinds, who and statuses are in clear for the statistics; the words are sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Conflict, InvalidInput, NotFound
from mediation.models import Agreement, AgreementItem, Case, User
from mediation.models.content import new_record_id
from mediation.moments import checked_day
from mediation.policy import participant_of, require_mediator_of
from mediation.services import reminders_arming
from mediation.services.lookup import case_to_change, checked_record_id, find_case
from mediation.services.needs import checked_choice
from mediation.text import checked_text
from workflows.agreements import (
    AGREEMENT_RECORDABLE_IN,
    FOLLOW_UP_IN,
    SETTLED_ITEM_STATUSES,
    AgreementItemKind,
    AgreementItemStatus,
)
from workflows.words import Words

MAX_WHAT = 2_000
MAX_NOTE = 5_000
MEDIATOR = "mediator"  # who: the mediator's own commitment (no participant)
ITEM = Words("agreement item")
# Follow-up moves an item among these; handed over is only what closure makes of an open item.
FOLLOW_UP_STATUSES = (AgreementItemStatus.OPEN.value, *(s.value for s in SETTLED_ITEM_STATUSES))


@dataclass(frozen=True)
class ItemView:
    id: str
    kind: str
    responsible_participant_id: int | None  # None: the mediator
    what: str
    due_on: date
    status: str
    follow_up: str  # "" when none: only the mediator's pages show it


@dataclass(frozen=True)
class AgreementView:
    id: str
    agreed_on: date
    items: list[ItemView]

    @property
    def open_items(self) -> list[ItemView]:
        return [i for i in self.items if i.status == AgreementItemStatus.OPEN]


def what_context(item: AgreementItem) -> RecordContext:
    return RecordContext(item.case_id, "agreement_item", item.id, item.recorded_by_id, "what")


def follow_up_context(item: AgreementItem) -> RecordContext:
    return RecordContext(item.case_id, "agreement_item", item.id, item.recorded_by_id, "follow_up")


def record_agreement(session: Session, actor: User, reference: str, *, agreed_on: object,
                     today: date | None = None) -> Agreement:
    """Record that the people of the dialogue reached an agreement on ``agreed_on``; items are added next."""
    agreed = checked_day(agreed_on, Words("date the agreement was reached"))
    if agreed > (today or utcnow().date()):
        raise InvalidInput("The agreement cannot be dated in the future.")
    case = case_to_change(session, actor, reference, allowed=AGREEMENT_RECORDABLE_IN,
                          action=Words("record an agreement"))
    if _agreement_of(session, case) is not None:
        raise Conflict("This case already has an agreement; add items to it.")
    agreement = Agreement(id=new_record_id(), case_id=case.id, agreed_on=agreed, recorded_by_id=actor.id,
                          created_at=utcnow())
    session.add(agreement)
    audit.record_content(session, AuditTag.AGREEMENT_RECORDED, case_id=case.id, actor=actor,
                         now=agreement.created_at, details={"agreement_id": agreement.id})
    return agreement


def _agreement_of(session: Session, case: Case) -> Agreement | None:
    return session.scalars(select(Agreement).where(Agreement.case_id == case.id)).one_or_none()


def add_item(session: Session, vault: Vault, actor: User, reference: str, *, kind: str | None,
             responsible: str | None, what: str | None, due_on: object) -> AgreementItem:
    """Add one thing someone agreed to do, by a date not before the agreement."""
    chosen = checked_choice(kind, tuple(AgreementItemKind), Words("kind of item"))
    words = checked_text(what, Words("what was agreed"), MAX_WHAT, required=True)
    due = checked_day(due_on, Words("due date"))
    who = responsible.strip() if isinstance(responsible, str) else ""
    if who != MEDIATOR and not (who.isascii() and who.isdigit() and len(who) <= 9):
        raise InvalidInput("Choose who is to do it: a person of the case, or the mediator.")
    case = case_to_change(session, actor, reference, allowed=AGREEMENT_RECORDABLE_IN,
                          action=Words("add an agreement item"))
    agreement = _agreement_of(session, case)
    if agreement is None:
        raise InvalidInput("Record the agreement (the date it was reached) before its items.")
    if due < agreement.agreed_on:
        raise InvalidInput("The due date cannot be before the agreement (%(agreed)s).",
                           agreed=agreement.agreed_on.isoformat())
    person = None if who == MEDIATOR else participant_of(case, int(who))
    item = AgreementItem(id=new_record_id(), agreement_id=agreement.id, case_id=case.id, kind=chosen,
                         responsible_participant_id=person.id if person else None, due_on=due,
                         status=AgreementItemStatus.OPEN.value, recorded_by_id=actor.id, created_at=utcnow())
    item.sealed_what = vault.seal_text(session, what_context(item), words)
    session.add(item)
    reminders_arming.agreement_item_added(session, case.id, item.id, due)
    audit.record_content(session, AuditTag.AGREEMENT_ITEM_ADDED, case_id=case.id, actor=actor, now=item.created_at,
                         details={"item_id": item.id, "kind": chosen, "responsible": who})
    return item


def item_on(session: Session, case: Case, item_id: object) -> AgreementItem:
    wanted = checked_record_id(item_id, ITEM)
    item = session.scalars(select(AgreementItem).where(AgreementItem.id == wanted,
                                                       AgreementItem.case_id == case.id)).one_or_none()
    if item is None:
        raise NotFound("There is no such %(what)s on this case.", what=ITEM)
    return item


def settle(session: Session, vault: Vault, item: AgreementItem, status: str, *, note: str, now: datetime) -> None:
    """Give the item its status; a note replaces the previous follow-up note (an empty one keeps it)."""
    item.status = status
    item.settled_at = None if status == AgreementItemStatus.OPEN else now
    if status == AgreementItemStatus.OPEN:
        reminders_arming.agreement_item_added(session, item.case_id, item.id, item.due_on)
    else:
        reminders_arming.agreement_item_settled(session, item.case_id, item.id)
    if note:
        item.sealed_follow_up = vault.seal_text(session, follow_up_context(item), note)


def follow_up(session: Session, vault: Vault, actor: User, reference: str, *, item_id: str, status: str | None,
              note: str | None) -> AgreementItem:
    """Record how an item stands: completed, partly completed, not completed (or still open), with a note."""
    chosen = checked_choice(status, FOLLOW_UP_STATUSES, Words("status"))
    words = checked_text(note, Words("follow-up note"), MAX_NOTE)
    case = case_to_change(session, actor, reference, allowed=FOLLOW_UP_IN, action=Words("follow up an agreement"))
    item = item_on(session, case, item_id)
    previous = item.status
    now = utcnow()
    settle(session, vault, item, chosen, note=words, now=now)
    audit.record_content(session, AuditTag.AGREEMENT_ITEM_FOLLOWED_UP, case_id=case.id, actor=actor, now=now,
                         details={"item_id": item.id, "from": previous, "to": chosen, "note": bool(words)})
    return item


def opened_agreement(session: Session, vault: Vault, actor: User, case: Case, *,
                     with_follow_up: bool) -> AgreementView | None:
    """The case's agreement with its items' words opened (and their follow-up notes, for the mediator's pages);
    the reading is audited. The caller checked who may."""
    agreement = _agreement_of(session, case)
    if agreement is None:
        return None
    items = []
    for item in agreement.items:
        note = ""
        if with_follow_up and item.sealed_follow_up is not None:
            note = vault.open_text(session, follow_up_context(item), item.sealed_follow_up)
        items.append(ItemView(item.id, item.kind, item.responsible_participant_id,
                              vault.open_text(session, what_context(item), item.sealed_what), item.due_on,
                              item.status, note))
    if items:
        audit.record_content(session, AuditTag.AGREEMENT_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"item_ids": [i.id for i in items], "follow_up": with_follow_up})
    return AgreementView(agreement.id, agreement.agreed_on, items)


def case_agreement(session: Session, vault: Vault, actor: User, reference: str) -> AgreementView | None:
    """The agreement, its items and follow-up notes, for the case's mediators."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    return opened_agreement(session, vault, actor, case, with_follow_up=True)
