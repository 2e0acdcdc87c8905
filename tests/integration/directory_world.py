"""A small network for the partner directory's tests: two organisations, each with its coordinator, a mediator
and referring staff, plus a participant and a volunteer of the first (who may not search)."""

from __future__ import annotations

from dataclasses import dataclass

from mediation.models import User
from mediation.organisation_keys import add_organisation_with_keys
from mediation.runtime import Runtime
from mediation.services import users
from mediation.services.directory import manage
from mediation.services.directory.fields import ServiceFields


@dataclass(frozen=True)
class Network:
    north: int  # organisation ids
    south: int
    accounts: dict[str, User]  # coordinator, mediator, staff, participant, volunteer (north); other_* (south)

    def __getitem__(self, key: str) -> User:
        return self.accounts[key]


ACCOUNTS = {
    "coordinator": ("admin", "north"), "mediator": ("mediator", "north"), "staff": ("staff", "north"),
    "participant": ("participant", "north"), "volunteer": ("volunteer", "north"),
    "other_coordinator": ("admin", "south"), "other_mediator": ("mediator", "south"),
    "other_staff": ("staff", "south"),
}


def build_network(runtime: Runtime, prefix: str = "net") -> Network:
    north, _ = add_organisation_with_keys(runtime, f"{prefix}-north", "North Reintegration Trust")
    south, _ = add_organisation_with_keys(runtime, f"{prefix}-south", "Asociația Sud Timiș")
    made: dict[str, User] = {}
    for key, (role, side) in ACCOUNTS.items():
        with runtime.transaction() as s:
            user = users.create_user(s, None, username=f"{prefix}.{key}".replace("_", "-"),
                                     display_name=key.replace("_", " ").title(), role=role, password=None)
            user.organisation_id = north if side == "north" else south
            s.flush()
            s.expunge(user)
            made[key] = user
    return Network(north, south, made)


def service(kind: str = "housing", area: str = "Timiș", languages: tuple[str, ...] = ("ro",),
            custody_stage: str = "after_release", description: str = "", contact: str = "") -> ServiceFields:
    return ServiceFields(kind=kind, custody_stage=custody_stage, area=area, languages=list(languages),
                         description=description, contact=contact)


def add(runtime: Runtime, coordinator: User, fields: ServiceFields) -> int:
    with runtime.transaction() as s:
        return manage.add_service(s, coordinator, fields).id
