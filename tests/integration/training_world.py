"""A resocialisation programme's people for the tests: grants, an enrolment, sessions in a few calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mediation.runtime import Runtime
from mediation.services import programme_roles, training, training_sessions
from tests.conftest import Actors
from workflows.programmes import RESOCIALISATION

YESTERDAY = date.today() - timedelta(days=1)


@dataclass
class TrainingPeople:
    """actors.admin coordinates; mediator and other_mediator are activation workers; staff and other_staff are
    referring officers; the offender's account is the client (the harmed person's account another client)."""

    actors: Actors

    @property
    def coordinator(self) -> Any:
        return self.actors.admin

    @property
    def worker(self) -> Any:
        return self.actors.mediator

    @property
    def other_worker(self) -> Any:
        return self.actors.other_mediator

    @property
    def officer(self) -> Any:
        return self.actors.staff

    @property
    def other_officer(self) -> Any:
        return self.actors.other_staff

    @property
    def client(self) -> Any:
        return self.actors.offender_user

    @property
    def other_client(self) -> Any:
        return self.actors.harmed_user


def grant_training_roles(runtime: Runtime, actors: Actors) -> TrainingPeople:
    people = TrainingPeople(actors)
    with runtime.transaction() as s:
        for user, role in ((people.coordinator, "coordinator"), (people.worker, "activation_worker"),
                           (people.other_worker, "activation_worker"), (people.officer, "referring_officer"),
                           (people.other_officer, "referring_officer")):
            programme_roles.grant(s, actors.admin, user.id, RESOCIALISATION, role)
    return people


def enrol(runtime: Runtime, people: TrainingPeople, *, track: str = "adults", client: Any = None,
          alternative_measure: bool = True, officer: bool = True) -> str:
    with runtime.transaction() as s:
        case = training.enrol(s, people.coordinator, client_username=(client or people.client).username,
                              track_code=track, worker_id=people.worker.id,
                              officer_id=people.officer.id if officer else None,
                              alternative_measure=alternative_measure)
        return case.reference


def move(runtime: Runtime, people: TrainingPeople, reference: str, *triggers: str, reason: str | None = None) -> str:
    state = ""
    for trigger in triggers:
        with runtime.transaction() as s:
            state = training.move(s, people.worker, reference, trigger, reason=reason)
    return state


def attend(runtime: Runtime, people: TrainingPeople, reference: str, *minutes: int, attended: bool = True) -> None:
    for length in minutes:  # one service call, one transaction
        with runtime.transaction() as s:
            training_sessions.record_session(s, people.worker, reference, held_on=YESTERDAY, minutes=length,
                                             attended=attended)


def record_plan(runtime: Runtime, people: TrainingPeople, reference: str, text: str = "A plan of steps.") -> None:
    with runtime.transaction() as s:
        training.record_plan(s, runtime.vault, people.worker, reference, text=text)
