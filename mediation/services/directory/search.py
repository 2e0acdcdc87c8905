"""Finding a service in the network: the active services of every organisation, by any combination of kind, area
(the start of its name, any case, accents or not), language and custody stage, a page at a time.

Every worker of the network may search (coordinators, mediators, referring staff); participants and volunteers
may not. A page is read through ``ix_partner_services_kind_area`` (kind, area_key, id) in that order, and a
language through ``ix_partner_service_languages_language``, so a page costs the same with 5 or 500 organisations.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from mediation.errors import InvalidInput
from mediation.models import Organisation, PartnerService, PartnerServiceLanguage, Role, User
from mediation.policy import require_role
from mediation.services.directory.fields import custody_stage_of, kind_of, language_of, search_text
from mediation.services.directory.manage import languages_by_service
from mediation.services.listing import Cursor, KeyPart, ListQuery, Page, page_of, position
from workflows.referral_workflow import CUSTODY_STAGES

SEARCH_KEY: tuple[KeyPart, ...] = ("int",)  # a page link names the service it continues from
SEARCHERS = (Role.ADMIN, Role.MEDIATOR, Role.STAFF)
BOTH = "both"
# Which services take a person at a stage: those for that stage and those for both.
STAGES_FOR = {stage: (stage,) if stage == BOTH else (stage, BOTH) for stage in CUSTODY_STAGES}


@dataclass(frozen=True)
class SearchFilters:
    """A search's filters, checked (None: any)."""

    kind: str | None = None
    area: str | None = None  # an area key's start
    language: str | None = None
    custody_stage: str | None = None

    def as_parameters(self) -> dict[str, str]:
        """The filters as a search form's parameters, for the links to the other pages of the results."""
        return {name: value for name, value in vars(self).items() if value}


def search_filters(kind: object = None, area: object = None, language: object = None,
                   custody_stage: object = None) -> SearchFilters:
    """The filters as they arrive (empty means any), each checked against its vocabulary or length."""

    def given(value: object) -> bool:
        return value is not None and value != ""

    return SearchFilters(kind=kind_of(kind) if given(kind) else None, area=search_text(area),
                         language=language_of(language) if given(language) else None,
                         custody_stage=custody_stage_of(custody_stage) if given(custody_stage) else None)


@dataclass(frozen=True)
class ServiceFound:
    """A service as the network sees it: what it offers, where, in which languages, and who offers it."""

    id: int
    organisation_id: int
    organisation: str
    kind: str
    custody_stage: str
    area: str
    languages: tuple[str, ...]
    description: str
    contact: str


def _conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [PartnerService.is_active == true()]
    if filters.kind is not None:
        conditions.append(PartnerService.kind == filters.kind)
    if filters.area is not None:
        conditions.append(PartnerService.area_key.startswith(filters.area, autoescape=True))
    if filters.custody_stage is not None:
        conditions.append(PartnerService.custody_stage.in_(STAGES_FOR[filters.custody_stage]))
    if filters.language is not None:
        conditions.append(PartnerService.id.in_(
            select(PartnerServiceLanguage.service_id).where(PartnerServiceLanguage.language == filters.language)))
    return conditions


def _cursor(session: Session, query: ListQuery) -> Cursor | None:
    """The page link's service, as its full position (kind, area key, id) in the index's order."""
    if query.cursor is None:
        return None
    (service_id,) = query.cursor.values
    row = session.execute(select(PartnerService.kind, PartnerService.area_key)
                          .where(PartnerService.id == service_id)).first()
    if row is None:
        raise InvalidInput("This page link is not valid; go back to the first page.")
    return Cursor(query.cursor.direction, (row.kind, row.area_key, service_id))


@dataclass(frozen=True)
class Results:
    filters: SearchFilters
    page: Page[ServiceFound]


def search(session: Session, actor: User, page: ListQuery, *, kind: object = None, area: object = None,
           language: object = None, custody_stage: object = None) -> Results:
    """A page of the network's active services that match every filter given, by kind, then area, then id."""
    require_role(actor, *SEARCHERS)
    filters = search_filters(kind, area, language, custody_stage)
    return Results(filters, _page(session, filters, page))


def _page(session: Session, filters: SearchFilters, query: ListQuery) -> Page[ServiceFound]:
    keys = (PartnerService.kind, PartnerService.area_key, PartnerService.id)
    where, order = position(keys, _cursor(session, query))
    statement = (select(PartnerService.id, PartnerService.organisation_id, Organisation.name, PartnerService.kind,
                        PartnerService.custody_stage, PartnerService.area, PartnerService.description,
                        PartnerService.contact)
                 .join(Organisation, Organisation.id == PartnerService.organisation_id)
                 .where(*_conditions(filters), *where).order_by(*order).limit(query.size + 1))
    rows = session.execute(statement).all()
    page = page_of(rows, query, lambda row: (row.id,), SEARCH_KEY)
    languages = languages_by_service(session, [row.id for row in page.items])
    return page.map(lambda row: ServiceFound(row.id, row.organisation_id, row.name, row.kind, row.custody_stage,
                                             row.area, languages[row.id], row.description, row.contact))
