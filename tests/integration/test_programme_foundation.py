"""What every programme stands on, on each database: roles given per programme, and the wall between them.

A circle or a resocialisation client is a row of ``cases`` with its programme set. Mediation's own pages and
services must never find one (not even the coordinator's), a programme's services find only their own, each
step is audited on the case's chain, and retention starts in the programme's final state and ends in a
destroyed data key, as for a closed mediation case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from mediation.audit import AuditTag
from mediation.case_record import load_record
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import FIRST_ORGANISATION as FIRST
from mediation.models import AuditEntry, Case, CaseKey, Origin, Timer, TimerKind, TimerState, case_chain
from mediation.services import keys, programme_cases, programme_roles, queries, users
from mediation.services.lookup import find_case
from workflows.errors import UnknownProgramme
from workflows.programmes import CIRCLES, RESOCIALISATION


@dataclass
class Facts:
    """The smallest subject the circle machine can move: the case's own state (assess and decline need no more)."""

    case: Case
    outcome: str | None = None

    @property
    def state(self) -> str:
        return self.case.state

    @state.setter
    def state(self, value: str) -> None:
        self.case.state = value


def _volunteer(runtime, username: str = "vol.one"):
    with runtime.transaction() as session:
        return users.create_user(session, None, username=username, display_name="Vol", role="volunteer",
                                 password=None)


def test_the_coordinator_gives_and_takes_back_a_role_in_one_programme_only(runtime, actors) -> None:
    with runtime.transaction() as session:
        programme_roles.grant(session, actors.admin, actors.mediator.id, CIRCLES, "supervising_staff")
    with runtime.transaction() as session:
        assert programme_roles.holds(session, actors.mediator, CIRCLES, "supervising_staff")
        assert not programme_roles.holds(session, actors.mediator, CIRCLES, "coordinator")
        assert not programme_roles.holds(session, actors.mediator, RESOCIALISATION, "coordinator")
        chooser = programme_roles.holders(session, actors.mediator.organisation_id, CIRCLES, "supervising_staff")
        assert [u.id for u in chooser] == [actors.mediator.id]
        with pytest.raises(Forbidden):
            programme_roles.require_programme_role(session, actors.mediator, RESOCIALISATION, "coordinator")
        tags = list(session.scalars(select(AuditEntry.tag).where(AuditEntry.tag.like("user:programme_role:%"))))
    assert tags == [AuditTag.PROGRAMME_ROLE_GRANTED.value]
    with runtime.transaction() as session:
        programme_roles.revoke(session, actors.admin, actors.mediator.id, CIRCLES, "supervising_staff")
    with runtime.transaction() as session:
        assert not programme_roles.holds(session, actors.mediator, CIRCLES, "supervising_staff")
        assert programme_roles.roles_of(session, actors.mediator.id) == []


@pytest.mark.parametrize(("programme", "role", "message"), [
    ("knitting", "coordinator", "is not a programme"),
    ("circles", "activation_worker", "Unknown role"),
    ("victim_offender_mediation", "mediator", "uses the account's own role"),
    ("circles", "volunteer", "is for volunteer accounts"),
    ("resocialisation", "client", "is for participant accounts"),
])
def test_a_role_that_cannot_be_given_is_refused_with_what_is_wrong(runtime, actors, programme, role,
                                                                     message) -> None:
    with runtime.transaction() as session, pytest.raises((InvalidInput, UnknownProgramme)) as refused:
        programme_roles.grant(session, actors.admin, actors.mediator.id, programme, role)
    assert message in str(refused.value)
    with runtime.transaction() as session:
        assert programme_roles.roles_of(session, actors.mediator.id) == []


def test_only_the_coordinator_gives_roles_and_never_twice(runtime, actors) -> None:
    volunteer = _volunteer(runtime)
    with runtime.transaction() as session, pytest.raises(Forbidden):
        programme_roles.grant(session, actors.mediator, actors.mediator.id, CIRCLES, "coordinator")
    with runtime.transaction() as session:
        programme_roles.grant(session, actors.admin, volunteer.id, CIRCLES, "volunteer")
    with runtime.transaction() as session, pytest.raises(InvalidInput, match="already holds"):
        programme_roles.grant(session, actors.admin, volunteer.id, CIRCLES, "volunteer")
    with runtime.transaction() as session, pytest.raises(InvalidInput, match="does not hold"):
        programme_roles.revoke(session, actors.admin, volunteer.id, CIRCLES, "outer_circle")
    with runtime.transaction() as session:
        overview = programme_roles.account_programmes(session, actors.admin, volunteer.id)
    assert overview.held == [(CIRCLES, "volunteer")]
    assert overview.grantable == []  # a volunteer account can hold no other programme role


def _open_circle(runtime, actors) -> str:
    with runtime.transaction() as session:
        case = programme_cases.open_case(session, actors.admin, CIRCLES, Origin.CIRCLE_REQUEST,
                                         AuditTag.CIRCLE_REQUESTED)
        runtime.vault.data_key(session, case.id, create=True)
        return case.reference


def test_a_programme_case_is_invisible_to_every_mediation_service_even_the_coordinators(runtime, actors,
                                                                                      make_case) -> None:
    mediation = make_case()
    reference = _open_circle(runtime, actors)
    assert reference.startswith("CS-")
    with runtime.transaction() as session:
        for actor in (actors.admin, actors.mediator, actors.staff, actors.harmed_user):
            with pytest.raises(NotFound):
                find_case(session, actor, reference)
            assert load_record(session, actor, reference) is None
        with pytest.raises(NotFound):
            queries.case_for_operator(session, reference)
        assert [c.reference for c in queries.all_cases(session)] == [mediation]
        with pytest.raises(NotFound):  # and a programme's services find only their own
            programme_cases.programme_case(session, RESOCIALISATION, reference, organisation_id=FIRST)
        with pytest.raises(NotFound):
            programme_cases.programme_case(session, CIRCLES, mediation, organisation_id=FIRST)
        case = programme_cases.programme_case(session, CIRCLES, reference.lower(), organisation_id=FIRST)
        assert (case.programme, case.workflow_version, case.state) == (CIRCLES, "cosa-1", "requested")


def test_each_step_is_audited_and_the_end_starts_retention_that_destroys_the_key(runtime, actors) -> None:
    reference = _open_circle(runtime, actors)
    with runtime.transaction() as session:
        case = programme_cases.programme_case(session, CIRCLES, reference, organisation_id=FIRST, lock=True)
        assert programme_cases.fire(session, actors.admin, case, Facts(case), "assess") == "assessment"
    with runtime.transaction() as session:
        case = programme_cases.programme_case(session, CIRCLES, reference, organisation_id=FIRST, lock=True)
        with pytest.raises(Exception, match="reason"):  # decline needs one of its reasons
            programme_cases.fire(session, actors.admin, case, Facts(case), "decline", reason="bored")
    with runtime.transaction() as session:
        case = programme_cases.programme_case(session, CIRCLES, reference, organisation_id=FIRST, lock=True)
        programme_cases.fire(session, actors.admin, case, Facts(case), "decline", reason="not_ready")
    with runtime.transaction() as session:
        case = programme_cases.programme_case(session, CIRCLES, reference, organisation_id=FIRST)
        assert (case.state, case.closed_at is not None) == ("ended", True)
        entries = session.execute(select(AuditEntry.tag, AuditEntry.from_state, AuditEntry.to_state,
                                         AuditEntry.reason).where(AuditEntry.chain == case_chain(case.id))
                                  .order_by(AuditEntry.seq)).all()
        timers = session.execute(select(Timer.kind).where(Timer.case_id == case.id,
                                                          Timer.state == TimerState.PENDING.value)).scalars().all()
        case_id = case.id
    assert entries == [("circle:request:received", None, "requested", None),
                       ("circle:workflow:assess", "requested", "assessment", None),
                       ("circle:workflow:decline", "assessment", "ended", "not_ready")]
    # No stale-case reminder (mediation's own), only the end of retention.
    assert timers == [TimerKind.RETENTION_ENDS.value]
    with runtime.transaction() as session:
        purged = keys.purge_expired(session, runtime.vault, retention_days=1,
                                    now=utcnow() + timedelta(days=2))
    assert purged.cases == [reference]
    with runtime.transaction() as session:
        assert session.get(CaseKey, case_id).wrapped_key is None
