"""Demo of the resocialisation training programme: the coordinator coordinates it, mediator.ada is an activation
worker and officer.chen a referring officer; client.lea (adults' track) is in the focus phase with a few
sessions, one shorter than the minimum, and a practical help whose follow-up is due; client.max (minors' track,
an alternative measure) completed the programme and the certificate was issued to the officer."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from mediation.models import User
from mediation.runtime import Runtime
from mediation.services import programme_roles, training, training_help, training_sessions
from workflows.programmes import RESOCIALISATION

GRANTS = (("coordinator", "coordinator"), ("mediator.ada", "activation_worker"),
          ("officer.chen", "referring_officer"))


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def load_training_demo(runtime: Runtime) -> None:
    with runtime.transaction() as s:
        people = {u.username: u for u in s.scalars(select(User).where(User.username.in_(
            ("coordinator", "mediator.ada", "officer.chen", "client.lea", "client.max"))))}
        for username, role in GRANTS:
            programme_roles.grant(s, people["coordinator"], people[username].id, RESOCIALISATION, role)
    coordinator, worker = people["coordinator"], people["mediator.ada"]

    def enrol(client: str, track: str, *, alternative_measure: bool) -> str:
        with runtime.transaction() as s:
            return training.enrol(s, coordinator, client_username=client, track_code=track, worker_id=worker.id,
                                  officer_id=people["officer.chen"].id,
                                  alternative_measure=alternative_measure).reference

    def move(reference: str, *triggers: str) -> None:
        for trigger in triggers:
            with runtime.transaction() as s:
                training.move(s, worker, reference, trigger)

    def attend(reference: str, minutes: list[int]) -> None:
        for days_ago, length in zip(range(len(minutes) * 3, 0, -3), minutes, strict=True):
            with runtime.transaction() as s:
                training_sessions.record_session(s, worker, reference, held_on=_days_ago(days_ago), minutes=length,
                                                 attended=True)

    def note(reference: str, text: str) -> None:
        with runtime.transaction() as s:
            training_sessions.add_phase_note(s, runtime.vault, worker, reference, text=text)

    lea = enrol("client.lea", "adults", alternative_measure=False)
    move(lea, "begin_anamnesis")
    note(lea, "Lives with her sister; wants to find stable work and deal with two unpaid loans.")
    move(lea, "begin_focus")
    note(lea, "Focus: debts first (instalment calendar), then job applications.")
    attend(lea, [120, 125, 95, 120])  # the third was cut short: it counts for its hours only
    with runtime.transaction() as s:
        training_help.record_help(s, runtime.vault, worker, lea, kind="debts", given_on=_days_ago(10),
                                  details="Agreed an instalment calendar with the lender: 12 monthly payments.",
                                  follow_up_on=date.today().isoformat())

    max_ = enrol("client.max", "minors", alternative_measure=True)
    move(max_, "begin_anamnesis", "begin_focus", "begin_evaluation")
    attend(max_, [150] * 14)
    with runtime.transaction() as s:
        training.record_plan(s, runtime.vault, worker, max_,
                             text="Finish the school year; weekly football club; call the mentor before trouble.")
    move(max_, "complete")
    with runtime.transaction() as s:
        training.issue_certificate(s, worker, max_)
