"""The outer circle: the professionals around a circle (parole officer, police liaison, therapist).

The coordinator records them, the name and organisation sealed under the circle's key. They see nothing of the
circle: a staff account linked to one of them gains no place in it (mediation.services.circles.access).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput, WrongState
from mediation.models import OuterCircleMember, Role, User
from mediation.models.content import new_record_id
from mediation.services.circles.access import COORDINATOR_WORDS, find_circle, require
from mediation.services.lookup import require_version
from mediation.services.organisations import account_in
from mediation.text import checked_text
from workflows.circle_people import OuterRole
from workflows.circle_workflow import CircleState
from workflows.words import Words, codes

MAX_NAME = 120
MAX_ORGANISATION = 160


@dataclass(frozen=True)
class OuterView:
    id: str
    role: str
    name: str
    organisation: str
    staff_user_id: int | None


def _context(member: OuterCircleMember, field: str) -> RecordContext:
    return RecordContext(member.case_id, "circle_outer", member.id, None, field)


def record_outer_member(session: Session, vault: Vault, actor: User, reference: object, *, role: object,
                        name: object, organisation: object = None, staff_user_id: object = None,
                        expected_version: int | None = None) -> OuterCircleMember:
    """The coordinator records a professional of the outer circle."""
    if role not in tuple(OuterRole):
        raise InvalidInput("Choose the professional's role: %(choices)s.", choices=codes(tuple(OuterRole)))
    who = checked_text(name, Words("name"), MAX_NAME, required=True, one_line=True)
    where = checked_text(organisation, Words("organisation"), MAX_ORGANISATION, one_line=True)
    case, circle, standing = find_circle(session, actor, reference, lock=True)
    require(standing.coordinator, COORDINATOR_WORDS)
    require_version(case, expected_version)
    if case.state == CircleState.ENDED:
        raise WrongState("This circle has ended.")
    staff = None
    if staff_user_id is not None:
        staff = account_in(session, case.organisation_id, staff_user_id)
        if staff is None or staff.role != Role.STAFF or not staff.is_active:
            raise InvalidInput("Choose a staff account from the list, or none.")
    member = OuterCircleMember(id=new_record_id(), case_id=case.id, role=str(role),
                               staff_user_id=staff.id if staff else None, recorded_by_id=actor.id,
                               created_at=utcnow())
    member.sealed_name = vault.seal_text(session, _context(member, "name"), who)
    member.sealed_organisation = vault.seal_text(session, _context(member, "organisation"), where) if where else None
    circle.outer.append(member)
    session.flush()
    audit.record_content(session, AuditTag.CIRCLE_OUTER_RECORDED, case_id=case.id, actor=actor,
                         now=member.created_at, details={"outer_id": member.id, "role": member.role})
    return member


def outer_circle(session: Session, vault: Vault, actor: User, reference: object) -> list[OuterView]:
    """The outer circle with names opened, for the coordinator; the reading is audited."""
    case, circle, standing = find_circle(session, actor, reference)
    require(standing.coordinator, COORDINATOR_WORDS)
    views = [OuterView(m.id, m.role, vault.open_text(session, _context(m, "name"), m.sealed_name),
                       vault.open_text(session, _context(m, "organisation"), m.sealed_organisation)
                       if m.sealed_organisation else "", m.staff_user_id) for m in circle.outer]
    if views:
        audit.record_content(session, AuditTag.CIRCLE_OUTER_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"outer_ids": [v.id for v in views]})
    return views
