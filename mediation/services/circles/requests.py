"""A core member's request for a circle: recorded by the coordinator, or forwarded by referring staff (who then
see only that it was received and whether it was acknowledged: the parole firewall). Who is asking and how to
reach them is sealed under the circle's key; only the coordinator opens it, and the reading is audited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.models import Case, Circle, Origin, Role, User
from mediation.policy import require_role
from mediation.services import programme_cases
from mediation.services.circles.access import COORDINATOR_WORDS, find_circle, require, require_coordinator
from mediation.text import checked_text
from workflows.programmes import CIRCLES
from workflows.words import Words

MAX_REQUEST = 2_000
REQUEST = Words("request")


def _request_context(case: Case) -> RecordContext:
    return RecordContext(case.id, "circle_request", case.reference, None, "request")


def _open(session: Session, vault: Vault, actor: User, note: object, tag: AuditTag, **fields: object) -> Case:
    text = checked_text(note, REQUEST, MAX_REQUEST)
    case = programme_cases.open_case(session, actor, CIRCLES, Origin.CIRCLE_REQUEST.value, tag, **fields)
    circle = Circle(case_id=case.id, engagement_year=1, created_at=case.created_at)
    if text:
        circle.sealed_request = vault.seal_text(session, _request_context(case), text)
    session.add(circle)
    session.flush()
    return case


def record_request(session: Session, vault: Vault, actor: User, *, note: object = None) -> Case:
    """The coordinator records a core member's request for a circle (who is asking, sealed in ``note``)."""
    require_coordinator(session, actor)
    return _open(session, vault, actor, note, AuditTag.CIRCLE_REQUESTED)


def forward_request(session: Session, vault: Vault, actor: User, *, note: object) -> Case:
    """Referring staff (a parole officer...) forward a core member's request; afterwards they see only that it was
    received and whether it was acknowledged (the parole firewall)."""
    require_role(actor, Role.STAFF)
    if not checked_text(note, REQUEST, MAX_REQUEST):
        raise InvalidInput("Write who is asking for a circle and how the coordinator can reach them.")
    return _open(session, vault, actor, note, AuditTag.CIRCLE_REQUEST_FORWARDED, referred_by_id=actor.id)


def open_request(session: Session, vault: Vault, actor: User, reference: object) -> str:
    """The request's sealed note, for the coordinator; the reading is audited."""
    case, circle, standing = find_circle(session, actor, reference)
    require(standing.coordinator, COORDINATOR_WORDS)
    if circle.sealed_request is None:
        return ""
    text = vault.open_text(session, _request_context(case), circle.sealed_request)
    audit.record_content(session, AuditTag.CIRCLE_REQUEST_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"circle": case.reference})
    return text


def may_forward(session: Session, actor: User) -> None:
    """Only referring staff forward a request (the form's page answers 403 to anyone else)."""
    require_role(actor, Role.STAFF)
