"""What each side of a referral sees, and the person it is about; the lists, a page at a time.

- The referring side: status, dates, outcome, the fields it shared (it wrote them: opened for it, audited in its
  chain), never the partner's notes.
- The receiving side: the service, the shared fields only while ``fields_for_partner`` allows (each opening
  audited in both chains), its own notes.
- The person: the status in plain words, which partner and kind of help, which fields were shared (their names),
  and whether they can still withdraw their consent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased

from mediation.audit import AuditTag
from mediation.crypto import referral_keys
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden
from mediation.models import Case, Notice, NoticeKind, Organisation, PartnerService, Referral, Role, User
from mediation.policy import require_active
from mediation.services.listing import ListQuery, Page, fetch_page
from mediation.services.notices import NOTICES_SHOWN, NoticeView
from mediation.services.referrals import keys, trail
from mediation.services.referrals.access import find_referral, is_coordinator, require_worker
from mediation.services.referrals.moves import facts_of, missing_consent, standing_may
from mediation.services.referrals.notes import NoteView, open_notes
from mediation.services.referrals.wording import CONSENT_WORDINGS, CURRENT_WORDING
from workflows.referral_workflow import SHAREABLE_FIELDS, ReferralState, fields_for_partner, referral_workflow
from workflows.words import Words

LIST_KEY = ("time", "int")


@dataclass(frozen=True)
class ReferralRow:
    reference: str
    state: str
    kind: str
    partner: str  # the other organisation's name (for the person: the partner's)
    updated_at: datetime


@dataclass(frozen=True)
class SharedField:
    field: str
    consented: bool
    value: str | None  # None: not shown to this reader, or erased


@dataclass(frozen=True)
class ReferralPage:
    reference: str
    side: str  # "referring", "receiving" or "person"
    coordinator: bool
    state: str
    kind: str
    referring_organisation: str
    receiving_organisation: str
    service_area: str
    case_reference: str | None  # the referring side only
    created_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    withdrawn_by: str | None
    consent_version: str | None
    consent_withdrawn_at: datetime | None
    fields: tuple[SharedField, ...]
    missing_consent: tuple[str, ...]
    notes: tuple[NoteView, ...]
    actions: tuple[tuple[str, tuple[str, ...]], ...]  # each trigger this reader may fire now, with its reasons
    workers: tuple[tuple[int, str], ...]  # the partner's coordinator's chooser
    receiving_worker: str | None
    version: int

    @property
    def can_withdraw_consent(self) -> bool:
        return self.consent_withdrawn_at is None and self.side in ("person", "referring")

    @property
    def given(self) -> dict[str, tuple[str | None, bool]]:
        """What was recorded, by field: the draft's consent form starts from it."""
        return {f.field: (f.value, f.consented) for f in self.fields}

    @property
    def can_add_note(self) -> bool:
        return self.side == "receiving" and self.state in ("sent", "accepted", "in_progress")


def _name(session: Session, organisation_id: int) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation is not None else ""


def _fields(session: Session, vault: Vault, actor: User, referral: Referral, side: str) -> tuple[SharedField, ...]:
    rows = sorted(referral.fields, key=lambda f: SHAREABLE_FIELDS.index(f.field))
    if side == "person":
        return tuple(SharedField(f.field, f.consented, None) for f in rows)
    readable = ({f.field for f in rows} if side == "referring"
                else set(fields_for_partner(facts_of(session, referral))))
    readable = {f.field for f in rows if f.field in readable and f.sealed_value is not None}
    if not readable:
        return tuple(SharedField(f.field, f.consented, None) for f in rows) if side == "referring" else ()
    key = keys.data_key(session, vault, referral, "referring")
    shown = tuple(SharedField(f.field, f.consented, referral_keys.open_text(
        key, referral_keys.field_context(referral.id, f.field), f.sealed_value)
        if f.field in readable and f.sealed_value is not None else None) for f in rows
        if side == "referring" or f.field in readable)
    now, details = utcnow(), {"fields": sorted(readable)}
    if side == "referring":
        trail.one_side(session, referral.referring_organisation_id, referral, AuditTag.REFERRAL_FIELDS_DECRYPTED,
                       actor=actor, now=now, details=details)
    else:
        trail.both_sides(session, referral, AuditTag.REFERRAL_FIELDS_DECRYPTED, actor, now, details=details)
    return shown


def _actions(referral: Referral, side_may: Callable[[str], bool]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    workflow = referral_workflow(referral.workflow_version)
    return tuple((trigger, workflow.definition.triggers[trigger].reasons)
                 for trigger in workflow.triggers_from(referral.state) if side_may(trigger))


def referral_page(session: Session, vault: Vault, actor: User, reference: object) -> ReferralPage:
    """The referral as the reader's side sees it; the decryptions it needs are audited (so it writes)."""
    referral, standing = find_referral(session, actor, reference)
    service = session.get(PartnerService, referral.service_id)
    side = standing.side
    workers: tuple[tuple[int, str], ...] = ()
    if side == "receiving" and standing.coordinator:
        workers = tuple((row.id, row.display_name) for row in session.execute(
            select(User.id, User.display_name).where(
                User.organisation_id == referral.receiving_organisation_id, User.is_active.is_(True),
                User.role.in_((Role.ADMIN, Role.MEDIATOR, Role.STAFF))).order_by(User.display_name, User.id)
            .limit(200)))
    receiving_worker = None
    if side == "receiving" and referral.receiving_worker_id is not None:
        worker = session.get(User, referral.receiving_worker_id)
        receiving_worker = worker.display_name if worker is not None else None
    case_reference = None
    if side == "referring" and referral.case_id is not None:
        case_reference = session.scalar(select(Case.reference).where(Case.id == referral.case_id))
    return ReferralPage(
        reference=referral.reference, side=side, coordinator=standing.coordinator, state=referral.state,
        kind=referral.kind, referring_organisation=_name(session, referral.referring_organisation_id),
        receiving_organisation=_name(session, referral.receiving_organisation_id),
        service_area=service.area if service is not None else "", case_reference=case_reference,
        created_at=referral.created_at, sent_at=referral.sent_at, accepted_at=referral.accepted_at,
        closed_at=referral.closed_at, outcome=referral.outcome, withdrawn_by=referral.withdrawn_by,
        consent_version=referral.consent_version, consent_withdrawn_at=referral.consent_withdrawn_at,
        fields=_fields(session, vault, actor, referral, side),
        missing_consent=tuple(sorted(missing_consent(referral))) if side == "referring" else (),
        notes=tuple(open_notes(session, vault, actor, referral)) if side == "receiving" else (),
        actions=_actions(referral, lambda trigger: standing_may(standing, trigger)) if standing.acts_for_side
        else (),
        workers=workers, receiving_worker=receiving_worker, version=referral.version)


# --- the lists -------------------------------------------------------------------------------------------------

def _page(session: Session, query: ListQuery, where: ColumnElement[bool], partner_of: str) -> Page[ReferralRow]:
    partner = aliased(Organisation)
    joined = (Referral.receiving_organisation_id if partner_of == "receiving"
              else Referral.referring_organisation_id)
    statement = (select(Referral.id, Referral.reference, Referral.state, Referral.kind, Referral.updated_at,
                        partner.name.label("partner"))
                 .join(partner, partner.id == joined).where(where))
    page = fetch_page(session, statement, query, keys=(Referral.updated_at, Referral.id),
                      key_of=lambda row: (row.updated_at, row.id), parts=LIST_KEY, descending=True)
    return page.map(lambda row: ReferralRow(row.reference, row.state, row.kind, row.partner, row.updated_at))


def outgoing(session: Session, actor: User, query: ListQuery) -> Page[ReferralRow]:
    """The worker's own referrals, newest activity first."""
    require_worker(actor)
    return _page(session, query, Referral.referring_worker_id == actor.id, "receiving")


def organisation_outgoing(session: Session, actor: User, query: ListQuery) -> Page[ReferralRow]:
    """Every referral the coordinator's organisation made."""
    require_worker(actor)
    if not is_coordinator(actor, actor.organisation_id):
        raise Forbidden("Only the organisation's coordinator may see all its referrals.")
    return _page(session, query, Referral.referring_organisation_id == actor.organisation_id, "receiving")


def inbox(session: Session, actor: User, query: ListQuery) -> Page[ReferralRow]:
    """Referrals received: all of them for the coordinator, those given to them for a worker; never a draft."""
    require_worker(actor)
    received = and_(Referral.receiving_organisation_id == actor.organisation_id,
                    Referral.state != ReferralState.DRAFT)
    if not is_coordinator(actor, actor.organisation_id):
        received = and_(received, Referral.receiving_worker_id == actor.id)
    return _page(session, query, received, "referring")


def mine(session: Session, actor: User, query: ListQuery) -> Page[ReferralRow]:
    """The person's own referrals, from their account."""
    require_active(actor)
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("Only the person referred sees this list, from their own account.")
    return _page(session, query, Referral.person_id == actor.id, "receiving")


REFERRAL_NOTICES = (NoticeKind.REFERRAL_RECEIVED, NoticeKind.REFERRAL_ACCEPTED, NoticeKind.REFERRAL_DECLINED,
                    NoticeKind.REFERRAL_COMPLETED, NoticeKind.REFERRAL_ENDED)


@dataclass(frozen=True)
class Board:
    """A list of referrals with the reader's referral notices not yet dismissed (staff have no other board)."""

    page: Page[ReferralRow]
    notices: list[NoticeView]


def _notices(session: Session, actor: User) -> list[NoticeView]:
    rows = session.execute(select(Notice.id, Notice.kind, Notice.created_at).where(
        Notice.user_id == actor.id, Notice.dismissed_at.is_(None),
        Notice.kind.in_([kind.value for kind in REFERRAL_NOTICES])).order_by(Notice.id.desc()).limit(NOTICES_SHOWN))
    return [NoticeView(row.id, row.kind, None, row.created_at) for row in rows]


def outgoing_board(session: Session, actor: User, query: ListQuery) -> Board:
    return Board(outgoing(session, actor, query), _notices(session, actor))


def inbox_board(session: Session, actor: User, query: ListQuery) -> Board:
    return Board(inbox(session, actor, query), _notices(session, actor))


def consent_wording(version: str = CURRENT_WORDING) -> Words:
    return CONSENT_WORDINGS[version]
