"""The wall between organisations (issue 11), through the services, on SQLite and PostgreSQL.

The first organisation (the shared ``actors``) has a mediation case, a held request, a circle and a training
client; a second organisation "b" has its own coordinator, mediator, staff member, volunteer and participant.
Every lookup, list and action of one organisation's accounts on the other's cases and accounts answers as for
something that does not exist (NotFound, or an empty list, or the chooser's "choose from the list"), both ways;
what an account creates belongs to its organisation; the choosers offer only the organisation's accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from mediation.demo import DEMO_REFERRAL, DEMO_REQUEST
from mediation.demo_statistics import insert_closed_cases
from mediation.errors import DomainError, InvalidInput, NotFound
from mediation.models import FIRST_ORGANISATION, Case, NoticeKind, Organisation, Role, User
from mediation.organisation_keys import add_organisation_with_keys
from mediation.passwords import new_password
from mediation.runtime import Runtime
from mediation.services import (
    assignment,
    evaluation,
    intake,
    invitations,
    lookup,
    notices,
    programme_roles,
    queries,
    timer_views,
    training,
    training_views,
    two_factor,
    users,
)
from mediation.services.circles import access, lifecycle, requests, roster, views, volunteers
from mediation.services.listing import ListQuery
from mediation.statistics import queries as statistics_queries
from mediation.statistics.period import year_period
from mediation.statistics.report import programme_report
from tests.conftest import Actors
from tests.integration.circles_steps import CirclePeople, circle_in, circle_people, grant, register_volunteer
from tests.integration.test_cli import Cli
from tests.integration.training_world import TrainingPeople, enrol, grant_training_roles
from workflows.circle_workflow import CircleState
from workflows.programmes import CIRCLES, RESOCIALISATION
from workflows.vocabulary import CaseState, Relationship

PAGE = ListQuery(size=100)


@dataclass
class B:
    """Organisation b and its accounts."""

    organisation: Organisation
    admin: User
    mediator: User
    staff: User
    volunteer: User
    participant: User


@dataclass
class Walled:
    actors: Actors
    b: B
    case: str  # organisation 1's mediation case (its mediator: actors.mediator; forwarded by actors.staff)
    held: int  # organisation 1's held request
    circle: str  # organisation 1's active circle
    circles: CirclePeople
    client: str  # organisation 1's training client
    training: TrainingPeople


def _account(runtime: Runtime, organisation_id: int, username: str, role: str) -> User:
    with runtime.transaction() as s:
        return users.create_user(s, None, username=username, display_name=username.title(), role=role,
                                 password=None, organisation_id=organisation_id)


@pytest.fixture
def walled(runtime: Runtime, actors: Actors, make_case) -> Walled:
    added, _ = add_organisation_with_keys(runtime, "b", "Organisation B")  # add_organisation, with b's own KEK
    with runtime.transaction() as s:
        organisation = s.get(Organisation, added)
    b = B(organisation, *(_account(runtime, added, f"b.{role}", role)
                          for role in ("admin", "mediator", "staff", "volunteer", "participant")))
    case = make_case(CaseState.ASSESSMENT)
    with runtime.transaction() as s:
        held = intake.submit_harmed_party_request(s, runtime.vault, Relationship.VICTIM.value, DEMO_REQUEST).id
    people = circle_people(runtime, actors.admin, actors.staff)
    circle = circle_in(runtime, people, CircleState.ACTIVE)
    training_people = grant_training_roles(runtime, actors)
    client = enrol(runtime, training_people)
    return Walled(actors, b, case, held, circle, people, client, training_people)


def _refused_as_missing(call, *arguments, **keywords) -> DomainError:
    """The call is refused the way a missing object is: NotFound, or the chooser's InvalidInput."""
    with pytest.raises((NotFound, InvalidInput)) as refused:
        call(*arguments, **keywords)
    return refused.value


# --- creation inherits the organisation ----------------------------------------------------------------------


def test_what_an_account_creates_belongs_to_its_organisation(runtime: Runtime, walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        forwarded = intake.forward_offender_request(s, runtime.vault, b.staff, willing_to_take_responsibility=True,
                                                    referral=DEMO_REFERRAL)
        created, _ = invitations.create_account(s, b.admin, username="b.new.mediator", display_name="New",
                                                role="mediator", hours=24)
        programme_roles.grant(s, b.admin, b.admin.id, CIRCLES, "coordinator")
    with runtime.transaction() as s:
        circle = requests.record_request(s, runtime.vault, b.admin, note="")
    with runtime.transaction() as s:
        assert s.get(Case, forwarded.id).organisation_id == b.organisation.id
        assert s.get(User, created.id).organisation_id == b.organisation.id
        assert s.get(Case, circle.id).organisation_id == b.organisation.id
        own = s.scalar(select(Case.organisation_id).where(Case.reference == walled.case))
        assert own == FIRST_ORGANISATION  # the public form's request, accepted by the first coordinator


def test_the_operator_creates_an_account_in_a_chosen_organisation(runtime: Runtime, walled: Walled) -> None:
    with runtime.transaction() as s:
        made = users.create_user(s, None, username="b.second.admin", display_name="Second", role="admin",
                                 password=None, organisation_id=walled.b.organisation.id)
        assert made.organisation_id == walled.b.organisation.id
        with pytest.raises(NotFound):  # a coordinator never creates an account in another organisation
            users.create_user(s, walled.actors.admin, username="sneaky", display_name="Sneaky", role="mediator",
                              password=None, organisation_id=walled.b.organisation.id)


# --- mediation cases ------------------------------------------------------------------------------------------


def test_another_organisations_case_is_not_found_by_any_of_its_roles(runtime: Runtime, walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        for actor in (b.admin, b.mediator, b.staff, b.participant):
            _refused_as_missing(lookup.find_case, s, actor, walled.case)
        for actor in (b.admin, b.mediator):
            listed = queries.case_list(s, actor, PAGE, stale_days=30)
            assert walled.case not in [row.reference for row in listed.items]
            assert queries.step_counts(s, actor, stale_days=30).by_step == []
        _refused_as_missing(assignment.assign_mediator, s, b.admin, walled.case, b.mediator.id)
        _refused_as_missing(assignment.assign_co_mediator, s, b.admin, walled.case, b.mediator.id)
        _refused_as_missing(assignment.remove_co_mediator, s, b.admin, walled.case)
        assert intake.list_referrals(s, b.staff, PAGE).items == []


def test_a_mediator_tied_to_another_organisations_case_by_a_stray_id_still_does_not_see_it(
        runtime: Runtime, walled: Walled) -> None:
    """Rows written around the services (a bad import, a hand-edited row) open nothing across the wall."""
    b = walled.b
    with runtime.transaction() as s:
        s.execute(update(Case).where(Case.reference == walled.case)
                  .values(co_mediator_id=b.mediator.id, referred_by_id=b.staff.id))
    with runtime.transaction() as s:
        for actor in (b.mediator, b.staff):
            _refused_as_missing(lookup.find_case, s, actor, walled.case)
        assert walled.case not in [r.reference for r in queries.case_list(s, b.mediator, PAGE, stale_days=30).items]
        assert intake.list_referrals(s, b.staff, PAGE).items == []


def test_the_coordinator_cannot_tie_another_organisations_mediator_to_a_case(runtime: Runtime,
                                                                            walled: Walled) -> None:
    actors, b = walled.actors, walled.b
    with runtime.transaction() as s:
        refused = _refused_as_missing(assignment.assign_mediator, s, actors.admin, walled.case, b.mediator.id)
        assert isinstance(refused, InvalidInput)
        _refused_as_missing(assignment.assign_co_mediator, s, actors.admin, walled.case, b.mediator.id)
        chooser = [u.id for u in users.mediators(s, actors.admin)]
        assert actors.mediator.id in chooser and b.mediator.id not in chooser
        assert [u.id for u in users.mediators(s, b.admin)] == [b.mediator.id]


def test_each_coordinator_sees_only_their_own_organisations_cases(runtime: Runtime, walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        theirs = intake.forward_offender_request(s, runtime.vault, b.staff, willing_to_take_responsibility=True,
                                                 referral=DEMO_REFERRAL).reference
    with runtime.transaction() as s:
        mine = [row.reference for row in queries.case_list(s, walled.actors.admin, PAGE, stale_days=30).items]
        assert walled.case in mine and theirs not in mine
        _refused_as_missing(lookup.find_case, s, walled.actors.admin, theirs)
        assert [row.reference for row in queries.case_list(s, b.admin, PAGE, stale_days=30).items] == [theirs]
        assert [r.reference for r in intake.list_referrals(s, b.staff, PAGE).items] == [theirs]
        _refused_as_missing(lookup.find_case, s, walled.actors.staff, theirs)


# --- held requests --------------------------------------------------------------------------------------------


def test_a_held_request_of_the_first_organisation_is_for_its_coordinator_only(runtime: Runtime,
                                                                             walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        assert intake.pending_requests(s, b.admin, PAGE).items == []
        assert walled.held in [r.id for r in intake.pending_requests(s, walled.actors.admin, PAGE).items]
        _refused_as_missing(intake.accept_held_request, s, runtime.vault, b.admin, walled.held)
    with runtime.transaction() as s:
        _refused_as_missing(intake.dismiss_held_request, s, b.admin, walled.held)
    with runtime.transaction() as s:
        accepted = intake.accept_held_request(s, runtime.vault, walled.actors.admin, walled.held)
        assert accepted.organisation_id == FIRST_ORGANISATION


# --- accounts -------------------------------------------------------------------------------------------------


def test_another_organisations_accounts_are_neither_listed_nor_changed(runtime: Runtime, walled: Walled) -> None:
    actors, b = walled.actors, walled.b
    with runtime.transaction() as s:
        listed_by_b = {u.username for u in users.list_accounts(s, b.admin, PAGE).items}
        assert listed_by_b == {"b.admin", "b.mediator", "b.staff", "b.volunteer", "b.participant"}
        listed_by_first = {u.username for u in users.list_accounts(s, actors.admin, PAGE).items}
        assert actors.mediator.username in listed_by_first and not any(n.startswith("b.") for n in listed_by_first)
        for target, coordinator in ((actors.mediator, b.admin), (b.mediator, actors.admin)):
            _refused_as_missing(users.deactivate_user, s, coordinator, target.id)
            _refused_as_missing(two_factor.reset, s, coordinator, target.id)
            _refused_as_missing(invitations.invite_account, s, coordinator, target.id, hours=24)
            _refused_as_missing(programme_roles.account_programmes, s, coordinator, target.id)
            _refused_as_missing(programme_roles.grant, s, coordinator, target.id, CIRCLES, "supervising_staff")
            _refused_as_missing(programme_roles.revoke, s, coordinator, target.id, CIRCLES, "coordinator")
        assert two_factor.enrolled_user_ids(s, b.admin) <= {b.admin.id, b.mediator.id, b.staff.id}
    with runtime.transaction() as s:
        assert s.get(User, actors.mediator.id).is_active and s.get(User, b.mediator.id).is_active


def test_the_programme_role_choosers_list_only_the_organisations_holders(runtime: Runtime, walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        programme_roles.grant(s, b.admin, b.staff.id, CIRCLES, "supervising_staff")
    with runtime.transaction() as s:
        first = programme_roles.holders(s, FIRST_ORGANISATION, CIRCLES, "supervising_staff")
        assert walled.circles.supervisor.id in [u.id for u in first] and b.staff.id not in [u.id for u in first]
        assert [u.id for u in programme_roles.holders(s, b.organisation.id, CIRCLES, "supervising_staff")] == [
            b.staff.id]


# --- circles --------------------------------------------------------------------------------------------------


@pytest.fixture
def b_circles(runtime: Runtime, walled: Walled) -> Walled:
    """b's coordinator coordinates b's circles; b's staff supervises; b's volunteer is screened and trained."""
    b = walled.b
    with runtime.transaction() as s:
        programme_roles.grant(s, b.admin, b.admin.id, CIRCLES, "coordinator")
        programme_roles.grant(s, b.admin, b.staff.id, CIRCLES, "supervising_staff")
    register_volunteer(runtime, b.admin, b.volunteer)
    return walled


def test_another_organisations_circle_is_not_found_and_not_listed(runtime: Runtime, b_circles: Walled) -> None:
    b, circle = b_circles.b, b_circles.circle
    with runtime.transaction() as s:
        _refused_as_missing(access.find_circle, s, b.admin, circle)
        assert views.circles_list(s, b.admin, PAGE).items == []
        _refused_as_missing(views.circle_page, s, b.admin, circle, PAGE)
        assert views.overdue_minutes(s, b.admin, PAGE).items == []
        _refused_as_missing(lifecycle.move, s, b.admin, circle, "renew")
        first = [row.reference for row in views.circles_list(s, b_circles.circles.coordinator, PAGE).items]
        assert circle in first


def test_a_circle_takes_no_account_of_another_organisation(runtime: Runtime, b_circles: Walled) -> None:
    b, coordinator = b_circles.b, b_circles.circles.coordinator
    with runtime.transaction() as s:
        forming = requests.record_request(s, runtime.vault, coordinator, note="").reference
    with runtime.transaction() as s:
        lifecycle.move(s, coordinator, forming, "assess")
    with runtime.transaction() as s:
        _refused_as_missing(roster.link_core_member, s, coordinator, forming, b.participant.username)
        _refused_as_missing(roster.assign_supervisor, s, coordinator, forming, b.staff.id)
        _refused_as_missing(lifecycle.add_volunteer, s, coordinator, b_circles.circle, b.volunteer.id)
        _refused_as_missing(volunteers.record_step, s, coordinator, b.volunteer.id, step="interview",
                            on=datetime.now(UTC).date())
        assert b.volunteer.id not in [u.id for u in roster.ready_volunteers(s, coordinator)]
        assert b.staff.id not in [u.id for u in roster.supervisors(s, coordinator)]
        assert b.volunteer.id not in [row.user_id for row in volunteers.registry(s, coordinator, PAGE).items]
        assert [row.user_id for row in volunteers.registry(s, b.admin, PAGE).items] == [b.volunteer.id]
        assert [u.id for u in roster.ready_volunteers(s, b.admin)] == [b.volunteer.id]
        assert [u.id for u in roster.supervisors(s, b.admin)] == [b.staff.id]


# --- training -------------------------------------------------------------------------------------------------


def test_another_organisations_client_is_not_found_and_not_enrolled_with_its_people(runtime: Runtime,
                                                                                    walled: Walled) -> None:
    b, people = walled.b, walled.training
    with runtime.transaction() as s:
        for user, role in ((b.admin, "coordinator"), (b.mediator, "activation_worker"),
                           (b.staff, "referring_officer")):
            programme_roles.grant(s, b.admin, user.id, RESOCIALISATION, role)
    with runtime.transaction() as s:
        _refused_as_missing(training_views.client_summary, s, b.admin, walled.client)
        assert training_views.clients_page(s, b.admin, PAGE).items == []
        _refused_as_missing(training.assign_worker, s, b.admin, walled.client, b.mediator.id)
        _refused_as_missing(training.enrol, s, people.coordinator, client_username=b.participant.username,
                            track_code="adults")
        _refused_as_missing(training.enrol, s, people.coordinator, client_username=people.other_client.username,
                            track_code="adults", worker_id=b.mediator.id)
        _refused_as_missing(training.assign_worker, s, people.coordinator, walled.client, b.mediator.id)
        chooser = training_views.enrolment_form(s, people.coordinator)
        assert b.mediator.id not in [i for i, _ in chooser.workers]
        assert b.staff.id not in [i for i, _ in chooser.officers]
        assert [i for i, _ in training_views.enrolment_form(s, b.admin).workers] == [b.mediator.id]
        assert walled.client in [r.reference for r in training_views.clients_page(s, people.coordinator, PAGE).items]


# --- statistics, timers, notices ------------------------------------------------------------------------------


def test_each_coordinators_statistics_count_only_their_own_organisations_cases(runtime: Runtime,
                                                                               walled: Walled) -> None:
    b = walled.b
    period = year_period(datetime.now(UTC).year)
    with runtime.transaction() as s:
        for _ in range(5):
            intake.forward_offender_request(s, runtime.vault, b.staff, willing_to_take_responsibility=True,
                                            referral=DEMO_REFERRAL)
    with runtime.transaction() as s:
        first = programme_report(s, walled.actors.admin, period).table("requests").rows[0][1].total
        second = programme_report(s, b.admin, period).table("requests").rows[0][1].total
        raw = {organisation: sum(statistics_queries.requests_by_month(s, period, organisation).values())
               for organisation in (FIRST_ORGANISATION, b.organisation.id, None)}
    assert second == 5 and first is None  # the first organisation's one request is under 5: suppressed
    assert raw == {FIRST_ORGANISATION: 1, b.organisation.id: 5, None: 6}  # the operator's view: every one


def test_the_coordinators_timers_and_notices_name_no_case_of_another_organisation(runtime: Runtime,
                                                                                  walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        own_case_id = s.scalar(select(Case.id).where(Case.reference == walled.case))
        notices.tell(s, b.admin.id, NoticeKind.CASE_STALE, own_case_id, datetime.now(UTC))
    with runtime.transaction() as s:
        for which in ("overdue", "upcoming", "failed"):
            rows = timer_views.all_timers(s, b.admin, PAGE, which).items
            assert all(row.reference is None or not row.reference.startswith("RO-") for row in rows), rows
        first = timer_views.all_timers(s, walled.actors.admin, PAGE, "upcoming").items
        assert walled.case in {row.reference for row in first}
        assert [n.reference for n in notices.my_notices(s, b.admin)] == [None]


def test_the_coordinators_role_gives_nothing_in_another_organisation(runtime: Runtime, walled: Walled) -> None:
    """A b account with every programme role still reaches nothing of the first organisation's."""
    b = walled.b
    with runtime.transaction() as s:
        for programme, role in ((CIRCLES, "coordinator"), (RESOCIALISATION, "coordinator")):
            programme_roles.grant(s, b.admin, b.admin.id, programme, role)
    grant(runtime, b.admin, b.staff, "supervising_staff")
    with runtime.transaction() as s:
        _refused_as_missing(access.find_circle, s, b.staff, walled.circle)
        _refused_as_missing(training_views.client_summary, s, b.admin, walled.client)
        assert s.get(User, b.admin.id).role == Role.ADMIN


def test_the_questionnaires_comments_and_closed_cases_count_in_their_own_organisation(runtime: Runtime,
                                                                                       walled: Walled) -> None:
    with runtime.transaction() as s:
        insert_closed_cases(s, 30, mediator=walled.actors.mediator, vault=runtime.vault, seed=5,
                            closed_from=datetime(2020, 1, 1, tzinfo=UTC),
                            closed_until=datetime(2020, 12, 1, tzinfo=UTC))
    period = year_period(2020)
    with runtime.transaction() as s:
        first = evaluation.period_comments(s, runtime.vault, walled.actors.admin, period)
        second = evaluation.period_comments(s, runtime.vault, walled.b.admin, period)
        outcomes = {organisation: sum(statistics_queries.by_case_column(s, period, organisation, "outcomes",
                                                                        []).values())
                    for organisation in (FIRST_ORGANISATION, walled.b.organisation.id)}
    assert first.readable and first.comments
    assert not second.readable and second.comments == []  # b has no answered case in 2020: nothing to read
    assert outcomes == {FIRST_ORGANISATION: 30, walled.b.organisation.id: 0}


# --- the operator's command line ------------------------------------------------------------------------------


def test_the_operator_creates_an_account_in_an_organisation_and_lists_cases_by_organisation(
        runtime: Runtime, walled: Walled, environment: dict[str, str]) -> None:
    cli = Cli(environment)
    made = cli("create-user", "--organisation", "b", "--username", "b.second", "--display-name", "B Second",
               "--role", "admin", "--password", "a perfectly long passphrase")
    assert made.exit_code == 0, made.output
    assert made.stdout.endswith("created admin account b.second (organisation b)\n")
    unknown = cli("create-user", "--organisation", "nowhere", "--username", "lost.one", "--display-name", "Lost",
                  "--role", "admin", "--password", "a perfectly long passphrase")
    assert unknown.exit_code != 0 and "nowhere" in unknown.output
    with runtime.transaction() as s:
        assert s.scalar(select(User.organisation_id).where(User.username == "b.second")) == walled.b.organisation.id
        assert s.scalar(select(User.id).where(User.username == "lost.one")) is None
    with runtime.transaction() as s:
        theirs = intake.forward_offender_request(s, runtime.vault, walled.b.staff, willing_to_take_responsibility=True,
                                                 referral=DEMO_REFERRAL).reference
    every = cli("cases").stdout.splitlines()
    assert every[0].split()[-1] == "organisation"
    assert {line.split()[0]: line.split()[-1] for line in every[1:-1]} == {walled.case: "main", theirs: "b"}
    only_b = cli("cases", "--organisation", "b").stdout.splitlines()
    assert [line.split()[0] for line in only_b[1:-1]] == [theirs]


def test_a_participant_invited_on_bs_case_gets_an_account_of_b(runtime: Runtime, walled: Walled) -> None:
    b = walled.b
    with runtime.transaction() as s:
        case = intake.forward_offender_request(s, runtime.vault, b.staff, willing_to_take_responsibility=True,
                                               referral=DEMO_REFERRAL)
        reference, offender = case.reference, case.participants[0].id
    with runtime.transaction() as s:
        assignment.assign_mediator(s, b.admin, reference, b.mediator.id)
    with runtime.transaction() as s:
        _refused_as_missing(invitations.invite_participant, s, walled.actors.mediator, reference,
                            participant_id=offender, hours=72)
        code = invitations.invite_participant(s, b.mediator, reference, participant_id=offender, hours=72)
    chosen = new_password("a perfectly long passphrase", username="new.person", display_name="Participant")
    with runtime.transaction() as s:
        user = invitations.activate_participant(s, runtime.vault, invitations.code_key(code),
                                                username_stem="new.person", name="Oscar", password=chosen)
        assert user.organisation_id == b.organisation.id


def test_each_coordinator_sees_the_health_of_their_own_organisations_e_mail(runtime: Runtime, walled: Walled):
    from mediation.models import OutboxMessage, OutboxState
    from mediation.notifications import health

    rows = {"ours": walled.actors.harmed_user.id, "theirs": walled.b.participant.id, "nobody's": None}
    with runtime.transaction() as s:
        for key, user_id in rows.items():
            s.add(OutboxMessage(event="something_new", idempotency_key=f"wall-{key}", attempts=8, user_id=user_id,
                                state=OutboxState.FAILED.value, last_error=f"smtp_{len(key)}"))
    with runtime.transaction() as s:
        ours = health.counts(s, walled.actors.admin).by_state[OutboxState.FAILED.value]
        theirs = health.counts(s, walled.b.admin).by_state[OutboxState.FAILED.value]
        failing_b = [row.last_error for row in health.failing(s, walled.b.admin, PAGE).items]
    assert (ours, theirs) == (2, 1)  # the first organisation's, and the row for nobody; b's one only
    assert failing_b == ["smtp_6"]
