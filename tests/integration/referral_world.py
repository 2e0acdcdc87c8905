"""Three organisations for the referral tests: A refers (its mediator is a training client's worker), B offers
housing (and an inactive service, and one for people in custody only), C is a third organisation that must see
nothing. Built through the services; each call is one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mediation.models import PartnerService, PartnerServiceLanguage, User
from mediation.organisation_keys import add_organisation_with_keys
from mediation.runtime import Runtime
from mediation.services import users
from mediation.services.referrals import drafting, moves
from mediation.services.referrals.wording import CURRENT_WORDING
from tests.conftest import Actors
from tests.integration.training_world import enrol, grant_training_roles


@dataclass
class ReferralWorld:
    actors: Actors
    a_worker: User  # A's mediator: the training client's activation worker
    a_coordinator: User
    a_other_worker: User  # another mediator of A: not the referrer
    person: User  # A's training client (a participant account)
    other_person: User  # a participant account of B
    b_coordinator: User
    b_worker: User
    b_other_worker: User
    c_coordinator: User
    c_worker: User
    case: str  # the client's enrolment, RT-...
    housing: int  # B's active housing service, after release
    inactive: int  # B's inactive employment service
    in_custody_only: int  # B's education service for people in custody
    own_service: int  # A's own service
    a: int
    b: int
    c: int


def _account(runtime: Runtime, username: str, role: str, organisation_id: int) -> User:
    with runtime.transaction() as s:
        user = users.create_user(s, None, username=username, display_name=username.title(), role=role,
                                 password=None)
        user.organisation_id = organisation_id
    return user


def _service(runtime: Runtime, organisation_id: int, kind: str, stage: str, *, active: bool = True) -> int:
    with runtime.transaction() as s:
        service = PartnerService(organisation_id=organisation_id, kind=kind, custody_stage=stage, area="Timiș",
                                 area_key="timis", description="", contact="", is_active=active,
                                 languages=[PartnerServiceLanguage(language=code) for code in ("en", "ro")])
        s.add(service)
        s.flush()
        return service.id


def build_world(runtime: Runtime, actors: Actors) -> ReferralWorld:
    people = grant_training_roles(runtime, actors)
    case = enrol(runtime, people)
    b, _ = add_organisation_with_keys(runtime, "casa-b", "Casa B")
    c, _ = add_organisation_with_keys(runtime, "third-c", "Third C")
    return ReferralWorld(
        actors=actors, a_worker=actors.mediator, a_coordinator=actors.admin, a_other_worker=actors.other_mediator,
        person=actors.offender_user, other_person=_account(runtime, "b.person", "participant", b),
        b_coordinator=_account(runtime, "b.coordinator", "admin", b),
        b_worker=_account(runtime, "b.worker", "staff", b),
        b_other_worker=_account(runtime, "b.other", "mediator", b),
        c_coordinator=_account(runtime, "c.coordinator", "admin", c),
        c_worker=_account(runtime, "c.worker", "staff", c),
        case=case, housing=_service(runtime, b, "housing", "after_release"),
        inactive=_service(runtime, b, "employment", "both", active=False),
        in_custody_only=_service(runtime, b, "education", "in_custody"),
        own_service=_service(runtime, 1, "housing", "both"), a=1, b=b, c=c)


def draft(runtime: Runtime, world: ReferralWorld, *, fields: dict[str, tuple[Any, Any]] | None = None,
          service: int | None = None, person: bool = True, **extra: Any) -> str:
    chosen = {"name": ("Ana Pop", True), "contact": ("0722 000 000", True)} if fields is None else fields
    with runtime.transaction() as s:
        referral = drafting.create_draft(
            s, runtime.vault, world.a_worker, service_id=service or world.housing, stage="after_release",
            case_reference=world.case if person else None, person_id=world.person.id if person else None,
            choices=chosen, wording=CURRENT_WORDING if chosen else None, **extra)
        return referral.reference


def step(runtime: Runtime, actor: User, reference: str, trigger: str, reason: str | None = None) -> str:
    with runtime.transaction() as s:
        if trigger == "send":
            return moves.send(s, actor, reference)
        if trigger == "withdraw":
            return moves.withdraw(s, actor, reference)
        return moves.move(s, actor, reference, trigger, reason=reason)
