"""The partner directory through its services, on SQLite and PostgreSQL: a coordinator keeps only their own
organisation's services, every field is checked, every change is audited with codes only, and the network's
workers find active services by any combination of filters, a page at a time, in a stable order."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mediation.audit.verify import verify_audit_log
from mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from mediation.models import AuditEntry, PartnerService
from mediation.services.directory import manage
from mediation.services.directory.fields import ServiceFields, area_key
from mediation.services.directory.search import search
from mediation.services.listing import parse_list_query
from tests.integration.directory_world import Network, add, build_network, service


@pytest.fixture
def network(runtime) -> Network:
    return build_network(runtime)


def found(runtime, actor, size: int = 50, args: dict[str, str] | None = None, **filters: object) -> list[int]:
    with runtime.transaction(read_only=True) as s:
        query = parse_list_query(args or {}, size=size, key=("int",))
        return [item.id for item in search(s, actor, query, **filters).page.items]


def test_the_area_key_is_casefolded_without_accents() -> None:
    assert area_key("Timiș") == area_key("TIMIŞ") == area_key("timis") == "timis"
    assert area_key("  Montréal   Nord ") == "montreal nord"
    assert area_key("Straße") == "strasse"
    assert len(area_key("ß" * 80)) == 80


def test_a_coordinator_adds_edits_deactivates_and_reactivates_their_own_service(runtime, network) -> None:
    coordinator = network["coordinator"]
    service_id = add(runtime, coordinator, service(area="Timiș", languages=("ro", "hu", "rmy"),
                                                   description="Rooms for the first weeks.", contact="0256 000 000"))
    with runtime.transaction() as s:
        shown = manage.own_service(s, coordinator, service_id)
    assert (shown.area, shown.languages, shown.is_active) == ("Timiș", ("ro", "hu", "rmy"), True)
    with runtime.transaction() as s:
        edited = manage.edit_service(s, coordinator, service_id, service(kind="employment", area="Arad",
                                                                          languages=("ro",)))
    assert (edited.kind, edited.area, edited.languages, edited.description) == ("employment", "Arad", ("ro",), "")
    with runtime.transaction() as s:
        assert s.scalar(select(PartnerService.area_key).where(PartnerService.id == service_id)) == "arad"
        assert manage.set_active(s, coordinator, service_id, False).is_active is False
    assert found(runtime, network["mediator"]) == []
    with runtime.transaction() as s:
        with pytest.raises(InvalidInput, match="already deactivated"):
            manage.set_active(s, coordinator, service_id, False)
    with runtime.transaction() as s:
        manage.set_active(s, coordinator, service_id, True)
    assert found(runtime, network["mediator"]) == [service_id]


def test_every_change_is_audited_with_ids_and_codes_never_the_words(runtime, network) -> None:
    coordinator = network["coordinator"]
    service_id = add(runtime, coordinator, service(area="Canary-area-Q1", description="Canary-description-Q2",
                                                   contact="Canary-contact-Q3"))
    with runtime.transaction() as s:
        manage.edit_service(s, coordinator, service_id, service(area="Canary-area-Q1", languages=("ro", "de"),
                                                                description="Canary-description-Q4"))
        manage.set_active(s, coordinator, service_id, False)
    with runtime.transaction() as s:
        manage.set_active(s, coordinator, service_id, True)
        manage.edit_service(s, coordinator, service_id, service(area="Canary-area-Q1", languages=("ro", "de"),
                                                                description="Canary-description-Q4"))  # unchanged
    with runtime.transaction(read_only=True) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.tag.like("system:partner_service:%"))
                            .order_by(AuditEntry.seq)).all()
        assert [e.tag for e in entries] == ["system:partner_service:added", "system:partner_service:changed",
                                            "system:partner_service:deactivated",
                                            "system:partner_service:reactivated"]
        assert all(e.actor_id == coordinator.id for e in entries)
        changed = json.loads(entries[1].details)
        assert changed["fields"] == ["description", "contact", "languages"]
        assert changed["service_id"] == service_id and changed["organisation_id"] == network.north
        assert not any("Canary" in (e.details or "") for e in entries)
        assert verify_audit_log(s).intact


def test_another_organisations_service_answers_like_a_missing_one(runtime, network) -> None:
    theirs = add(runtime, network["other_coordinator"], service())
    coordinator = network["coordinator"]
    for service_id in (theirs, 999_999):
        with runtime.transaction() as s:
            with pytest.raises(NotFound) as refused:
                manage.own_service(s, coordinator, service_id)
            message = str(refused.value)
        with runtime.transaction() as s:
            with pytest.raises(NotFound, match=message):
                manage.edit_service(s, coordinator, service_id, service(area="Taken"))
        with runtime.transaction() as s:
            with pytest.raises(NotFound, match=message):
                manage.set_active(s, coordinator, service_id, False)
    with runtime.transaction(read_only=True) as s:
        row = s.get(PartnerService, theirs)
        assert (row.area, row.is_active) == ("Timiș", True)
        own = manage.own_services(s, coordinator, parse_list_query({}, size=10, key=("int",)))
        assert own.items == []


@pytest.mark.parametrize("who", ["mediator", "staff", "participant", "volunteer"])
def test_only_the_coordinator_keeps_the_directory(runtime, network, who) -> None:
    service_id = add(runtime, network["coordinator"], service())
    with runtime.transaction() as s:
        with pytest.raises(Forbidden):
            manage.add_service(s, network[who], service())
        with pytest.raises(Forbidden):
            manage.edit_service(s, network[who], service_id, service(area="Elsewhere"))
        with pytest.raises(Forbidden):
            manage.set_active(s, network[who], service_id, False)


JUNK = [
    ({"kind": "plumbing"}, "Unknown kind of help 'plumbing'; choose one of: housing"),
    ({"kind": None}, "The kind of help is missing; choose one of: housing"),
    ({"custody_stage": ""}, "The stage of custody is missing"),
    ({"custody_stage": "paroled"}, "Unknown stage of custody 'paroled'; choose one of: in_custody, after_release"),
    ({"languages": ["ro", "xx"]}, "Unknown language 'xx'"),
    ({"languages": []}, "at least one language"),
    ({"languages": "ro"}, "from the list"),
    ({"languages": ["ro"] * 100}, "from the list"),
    ({"area": ""}, "Write the area"),
    ({"area": "   "}, "Write the area"),
    ({"area": "x" * 81}, "area is too long"),
    ({"area": "Timi\x00ș"}, "NUL character"),
    ({"area": "Timiș\nArad"}, "one line"),
    ({"area": "\udcff"}, "not valid UTF-8"),
    ({"area": 42}, "must be text"),
    ({"description": "d" * 501}, "description is too long"),
    ({"contact": "c" * 201}, "public contact is too long"),
    ({"contact": "a\x00"}, "NUL character"),
]


@pytest.mark.parametrize(("change", "message"), JUNK, ids=[str(i) for i in range(len(JUNK))])
def test_junk_in_any_field_is_refused_with_what_is_wrong_and_changes_nothing(runtime, network, change,
                                                                             message) -> None:
    coordinator = network["coordinator"]
    service_id = add(runtime, coordinator, service())
    fields = vars(service()) | change
    with runtime.transaction() as s:
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
            manage.add_service(s, coordinator, ServiceFields(**fields))
    with runtime.transaction() as s:
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
            manage.edit_service(s, coordinator, service_id, ServiceFields(**fields))
    with runtime.transaction(read_only=True) as s:
        assert s.scalars(select(PartnerService.area)).all() == ["Timiș"]


def test_the_longest_fields_are_stored_whole(runtime, network) -> None:
    service_id = add(runtime, network["coordinator"], service(area="ș" * 80, description="d" * 500,
                                                              contact="c" * 200))
    with runtime.transaction(read_only=True) as s:
        row = s.get(PartnerService, service_id)
        assert (len(row.area), len(row.description), len(row.contact), row.area_key) == (80, 500, 200, "s" * 80)


def test_the_search_combines_filters_across_organisations(runtime, network) -> None:
    north, south = network["coordinator"], network["other_coordinator"]
    housing_timis = add(runtime, north, service("housing", "Timiș", ("ro", "hu"), "after_release"))
    housing_timisoara = add(runtime, south, service("housing", "Timișoara", ("ro",), "both"))
    housing_arad = add(runtime, south, service("housing", "Arad", ("ro", "de"), "in_custody"))
    jobs_timis = add(runtime, south, service("employment", "Timiș", ("hu",), "in_custody"))
    quiet = add(runtime, north, service("housing", "Timiș", ("ro",), "both"))
    with runtime.transaction() as s:
        manage.set_active(s, north, quiet, False)
    staff = network["staff"]
    assert found(runtime, staff) == [jobs_timis, housing_arad, housing_timis, housing_timisoara]
    assert found(runtime, staff, kind="housing") == [housing_arad, housing_timis, housing_timisoara]
    assert found(runtime, staff, area="TIMIS") == [jobs_timis, housing_timis, housing_timisoara]
    assert found(runtime, staff, area="Timișoara") == [housing_timisoara]
    assert found(runtime, staff, language="hu") == [jobs_timis, housing_timis]
    assert found(runtime, staff, custody_stage="in_custody") == [jobs_timis, housing_arad, housing_timisoara]
    assert found(runtime, staff, custody_stage="after_release") == [housing_timis, housing_timisoara]
    assert found(runtime, staff, custody_stage="both") == [housing_timisoara]
    assert found(runtime, staff, kind="housing", area="tim", language="ro", custody_stage="in_custody") == [
        housing_timisoara]
    assert found(runtime, staff, area="tim%") == []  # a wildcard is a character like any other
    assert found(runtime, staff, area="", kind="", language="", custody_stage="") == found(runtime, staff)
    with runtime.transaction(read_only=True) as s:
        query = parse_list_query({}, size=10, key=("int",))
        [first] = [item for item in search(s, staff, query, area="arad").page.items]
        assert (first.organisation, first.languages, first.area) == ("Asociația Sud Timiș", ("ro", "de"), "Arad")


def test_the_search_pages_forward_and_back_in_a_stable_order(runtime, network) -> None:
    coordinator = network["coordinator"]
    made = [add(runtime, coordinator, service(kind, area)) for kind in ("legal", "housing")
            for area in ("Cluj", "Arad", "Iași", "Bihor", "Arad")]
    everything = found(runtime, network["mediator"])
    assert len(everything) == 10 and set(everything) == set(made)
    seen, args = [], {}
    with runtime.transaction(read_only=True) as s:
        pages = []
        while True:
            page = search(s, network["mediator"], parse_list_query(args, size=3, key=("int",))).page
            pages.append(page)
            seen += [item.id for item in page.items]
            if page.next_after is None:
                break
            args = {"after": page.next_after}
        assert seen == everything
        back = search(s, network["mediator"], parse_list_query({"before": pages[-1].previous_before}, size=3,
                                                               key=("int",))).page
        assert [item.id for item in back.items] == [item.id for item in pages[-2].items]


@pytest.mark.parametrize("who", ["coordinator", "mediator", "staff", "other_staff"])
def test_every_worker_of_the_network_may_search(runtime, network, who) -> None:
    service_id = add(runtime, network["other_coordinator"], service())
    assert found(runtime, network[who]) == [service_id]


@pytest.mark.parametrize("who", ["participant", "volunteer"])
def test_participants_and_volunteers_may_not_search(runtime, network, who) -> None:
    add(runtime, network["coordinator"], service())
    with pytest.raises(Forbidden):
        found(runtime, network[who])


SEARCH_JUNK = [
    ({"kind": "plumbing"}, "Unknown kind of help"), ({"language": "klingon"}, "Unknown language"),
    ({"custody_stage": "free"}, "Unknown stage of custody"), ({"area": "a" * 81}, "area is too long"),
    ({"area": "a\x00"}, "NUL character"), ({"kind": ["housing"]}, "Unknown kind of help"),
    ({"args": {"after": "abc"}}, "page link is not valid"), ({"args": {"after": "999999"}}, "page link is not valid"),
]


@pytest.mark.parametrize(("filters", "message"), SEARCH_JUNK, ids=[str(i) for i in range(len(SEARCH_JUNK))])
def test_a_search_with_junk_says_what_is_wrong(runtime, network, filters, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        found(runtime, network["staff"], **filters)


def test_an_edit_from_a_stale_form_is_refused_and_keeps_the_other_change(runtime, network) -> None:
    coordinator = network["coordinator"]
    service_id = add(runtime, coordinator, service(area="Cluj"))
    with runtime.transaction() as s:
        opened = manage.own_service(s, coordinator, service_id).seen
    with runtime.transaction() as s:
        manage.edit_service(s, coordinator, service_id, service(area="Arad"), seen=opened)  # the first to save
    with runtime.transaction() as s:
        with pytest.raises(Conflict, match="Someone changed this service since you opened it"):
            manage.edit_service(s, coordinator, service_id, service(area="Bihor"), seen=opened)
    with runtime.transaction() as s:
        assert manage.own_service(s, coordinator, service_id).area == "Arad"
        fresh = manage.own_service(s, coordinator, service_id).seen
    with runtime.transaction() as s:
        assert manage.edit_service(s, coordinator, service_id, service(area="Bihor"), seen=fresh).area == "Bihor"
