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


@dataclass
class TrainingWorld:
    """Three clients: ``own`` (the worker's, in focus, with notes, a plan and help; referred by the officer),
    ``certified`` (the worker's, a minor, completed with a certificate issued to the officer) and ``other`` (the
    other worker's, referred by the other officer)."""

    people: TrainingPeople
    own: str
    certified: str
    other: str
    help_id: str


def build_training_world(runtime: Runtime, actors: Actors, *, note: str = "A note of the anamnesis.",
                         plan: str = "An individual plan.", help_details: str = "Instalment calendar.",
                         focus_note: str = "A note of the focus.") -> TrainingWorld:
    from mediation.services import training_help

    people = grant_training_roles(runtime, actors)
    own = enrol(runtime, people)
    move(runtime, people, own, "begin_anamnesis")
    with runtime.transaction() as s:
        training_sessions.add_phase_note(s, runtime.vault, people.worker, own, text=note)
    move(runtime, people, own, "begin_focus")
    with runtime.transaction() as s:
        training_sessions.add_phase_note(s, runtime.vault, people.worker, own, text=focus_note)
    attend(runtime, people, own, 120, 90)
    record_plan(runtime, people, own, plan)
    with runtime.transaction() as s:
        help_id = training_help.record_help(
            s, runtime.vault, people.worker, own, kind="debts", details=help_details,
            given_on=YESTERDAY.isoformat(), follow_up_on=(YESTERDAY + timedelta(days=10)).isoformat()).id
    certified = enrol(runtime, people, track="minors", client=people.other_client)
    move(runtime, people, certified, "begin_anamnesis", "begin_focus", "begin_evaluation")
    attend(runtime, people, certified, *[150] * 14)
    record_plan(runtime, people, certified, plan)
    move(runtime, people, certified, "complete")
    with runtime.transaction() as s:
        training.issue_certificate(s, people.worker, certified)
    with runtime.transaction() as s:
        other = training.enrol(s, people.coordinator, client_username=actors.stranger.username, track_code="adults",
                               worker_id=people.other_worker.id, officer_id=people.other_officer.id,
                               alternative_measure=True).reference
    return TrainingWorld(people, own, certified, other, help_id)
