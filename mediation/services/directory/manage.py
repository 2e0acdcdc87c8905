"""A coordinator keeps their own organisation's services in the directory: adds, edits, deactivates, reactivates.

Only the coordinator (Role.ADMIN) of the organisation that offers a service may touch it; a service of another
organisation answers exactly like one that does not exist. Every change is audited with ids and codes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.db import utcnow
from mediation.errors import Conflict, InvalidInput, NotFound
from mediation.models import PartnerService, PartnerServiceLanguage, Role, User
from mediation.policy import require_role
from mediation.services.directory.fields import CheckedService, ServiceFields, in_list_order
from mediation.services.listing import KeyPart, ListQuery, Page, encode_key, fetch_page

OWN_KEY: tuple[KeyPart, ...] = ("int",)
MAX_ID = 2**31 - 1
_EDITABLE = ("kind", "custody_stage", "area", "area_key", "description", "contact")


@dataclass(frozen=True)
class OwnService:
    """A service as its own coordinator sees and edits it."""

    id: int
    kind: str
    custody_stage: str
    area: str
    languages: tuple[str, ...]
    description: str
    contact: str
    is_active: bool
    updated_at: datetime

    @property
    def seen(self) -> str:
        """Which version of the service a form showed (its last change, to the microsecond)."""
        return stamp(self.updated_at)


def stamp(moment: datetime) -> str:
    return encode_key((moment,), ("time",))


def _view(service: PartnerService) -> OwnService:
    return OwnService(service.id, service.kind, service.custody_stage, service.area,
                      in_list_order(row.language for row in service.languages), service.description, service.contact,
                      service.is_active, service.updated_at)


def languages_by_service(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The languages of a page of services, in one query (by the languages' primary key)."""
    found: dict[int, list[str]] = {service_id: [] for service_id in ids}
    if ids:
        rows = session.execute(select(PartnerServiceLanguage.service_id, PartnerServiceLanguage.language)
                               .where(PartnerServiceLanguage.service_id.in_(ids))
                               .order_by(PartnerServiceLanguage.service_id, PartnerServiceLanguage.language))
        for service_id, language in rows:
            found[service_id].append(language)
    return {service_id: in_list_order(languages) for service_id, languages in found.items()}


def _coordinator(actor: User) -> None:
    require_role(actor, Role.ADMIN)


def may_keep_services(session: Session, actor: User) -> None:
    """Refuse anyone but an active coordinator (the empty form to add a service asks this before it is shown)."""
    _coordinator(actor)


def _own(session: Session, actor: User, service_id: object) -> PartnerService:
    """The actor's organisation's service ``service_id``; another organisation's answers like a missing one."""
    _coordinator(actor)
    if isinstance(service_id, bool) or not isinstance(service_id, int) or not 0 < service_id <= MAX_ID:
        raise NotFound("There is no such service in your organisation's directory.")
    service = session.scalar(select(PartnerService).where(PartnerService.id == service_id,
                                                          PartnerService.organisation_id == actor.organisation_id))
    if service is None:
        raise NotFound("There is no such service in your organisation's directory.")
    return service


def own_services(session: Session, actor: User, query: ListQuery) -> Page[OwnService]:
    """A page of the actor's organisation's services, active or not, in the order they were added."""
    _coordinator(actor)
    statement = (select(PartnerService).where(PartnerService.organisation_id == actor.organisation_id)
                 .options(selectinload(PartnerService.languages)))
    page = fetch_page(session, statement, query, keys=(PartnerService.id,), key_of=lambda row: (row[0].id,),
                      parts=OWN_KEY)
    return page.map(lambda row: _view(row[0]))


def own_service(session: Session, actor: User, service_id: object) -> OwnService:
    """One of the actor's organisation's services, to edit."""
    return _view(_own(session, actor, service_id))


def _details(service: PartnerService, **more: Any) -> dict[str, Any]:
    return {"service_id": service.id, "organisation_id": service.organisation_id, **more}


def add_service(session: Session, actor: User, fields: ServiceFields) -> OwnService:
    """The coordinator lists a new service of their organisation; it is active (found by searches) at once."""
    _coordinator(actor)
    clean = fields.checked()
    now = utcnow()
    service = PartnerService(organisation_id=actor.organisation_id, kind=clean.kind,
                             custody_stage=clean.custody_stage, area=clean.area, area_key=clean.area_key,
                             description=clean.description, contact=clean.contact, is_active=True, created_at=now,
                             updated_at=now)
    service.languages = [PartnerServiceLanguage(language=code) for code in clean.languages]
    session.add(service)
    session.flush()
    audit.record(session, AuditTag.PARTNER_SERVICE_ADDED, actor=actor, now=now,
                 details=_details(service, kind=clean.kind, custody_stage=clean.custody_stage,
                                  languages=list(clean.languages)))
    return _view(service)


def _changed(service: PartnerService, clean: CheckedService) -> list[str]:
    names = [name for name in _EDITABLE if getattr(service, name) != getattr(clean, name) and name != "area_key"]
    if in_list_order(row.language for row in service.languages) != clean.languages:
        names.append("languages")
    return names


def edit_service(session: Session, actor: User, service_id: object, fields: ServiceFields,
                 seen: object = None) -> OwnService:
    """The coordinator changes what their organisation's service says; saving it unchanged records nothing.

    ``seen`` is the version the form showed (``OwnService.seen``): if someone changed the service since, the
    change is refused rather than silently overwriting theirs.
    """
    _coordinator(actor)
    clean = fields.checked()  # every field checked before any query
    service = _own(session, actor, service_id)
    if seen is not None and seen != stamp(service.updated_at):
        raise Conflict("Someone changed this service since you opened it; open it again to see their change, "
                       "then make yours.")
    changed = _changed(service, clean)
    if not changed:
        return _view(service)
    for name in _EDITABLE:
        setattr(service, name, getattr(clean, name))
    if "languages" in changed:
        kept = {row.language: row for row in service.languages}
        service.languages = [kept.get(code) or PartnerServiceLanguage(language=code) for code in clean.languages]
    now = utcnow()
    service.updated_at = now
    session.flush()
    audit.record(session, AuditTag.PARTNER_SERVICE_CHANGED, actor=actor, now=now,
                 details=_details(service, fields=changed, kind=service.kind,
                                  custody_stage=service.custody_stage, languages=list(clean.languages)))
    return _view(service)


def set_active(session: Session, actor: User, service_id: object, active: object) -> OwnService:
    """Deactivate a service (searches no longer find it; nothing is deleted) or reactivate it."""
    if not isinstance(active, bool):
        raise InvalidInput("Say whether the service is to be active or not.")
    service = _own(session, actor, service_id)
    if service.is_active == active:
        if active:
            raise InvalidInput("This service is already active.")
        raise InvalidInput("This service is already deactivated.")
    now = utcnow()
    service.is_active, service.updated_at = active, now
    session.flush()
    tag = AuditTag.PARTNER_SERVICE_REACTIVATED if active else AuditTag.PARTNER_SERVICE_DEACTIVATED
    audit.record(session, tag, actor=actor, now=now, details=_details(service))
    return _view(service)
