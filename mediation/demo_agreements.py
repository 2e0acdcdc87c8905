"""Demo data for the dialogue's work: needs and questions, an agreement in follow-up, and a completed case closed
with a summary and letters, all through the services (mediation.demo.load_demo calls ``load_agreements_demo``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mediation.db import utcnow
from mediation.models import Case, Participant, User
from mediation.runtime import Runtime
from mediation.services import agreements, closure, needs
from mediation.services.closure import Disposition
from workflows.vocabulary import CaseState, Side

HARMED_NEEDS = (("question", "Why our house, of all the houses on the street?"),
                ("question", "Did you know my children were asleep upstairs?"),
                ("need", "To feel safe walking home again."))
RESPONSIBLE_NEEDS = (("need", "To say I am sorry, in my own words."),
                     ("question", "Is there anything I can do to make it right?"))
ITEMS = (("apology", Side.RESPONSIBLE, "A handwritten letter of apology to the family.", 14),
         ("answers", Side.RESPONSIBLE, "Written answers to the two questions still open.", 21),
         ("reparation", Side.RESPONSIBLE, "Pay for the broken window, in monthly instalments.", 90),
         ("commitment", None, "The mediator checks in with both of them after three months.", 100))


def _people(runtime: Runtime, reference: str) -> dict[str, int]:
    with runtime.transaction() as s:
        return {p.side: p.id for p in s.scalars(select(Participant).join(Case).where(Case.reference == reference))
                if p.role == "primary"}


def _dialogue_work(runtime: Runtime, mediator: User, reference: str, *, answered: int) -> list[str]:
    """Needs for both sides (the first ``answered`` of the harmed party's marked answered), an agreement dated ten
    days ago, and its items; returns the items' ids."""
    tx, vault = runtime.transaction, runtime.vault
    people = _people(runtime, reference)
    need_ids = []
    for side, entries in ((Side.HARMED, HARMED_NEEDS), (Side.RESPONSIBLE, RESPONSIBLE_NEEDS)):
        for kind, text in entries:
            with tx() as s:
                need_ids.append(needs.record_need(s, vault, mediator, reference, participant_id=people[side],
                                                  kind=kind, text=text).id)
    for need_id, status in zip(need_ids[:answered], ("answered", "partly_answered", "answered"), strict=False):
        with tx() as s:
            needs.set_need_status(s, mediator, reference, need_id=need_id, status=status)
    agreed = utcnow().date() - timedelta(days=10)
    with tx() as s:
        agreements.record_agreement(s, mediator, reference, agreed_on=agreed)
    item_ids = []
    for kind, side, what, days in ITEMS:
        with tx() as s:
            item_ids.append(agreements.add_item(
                s, vault, mediator, reference, kind=kind, what=what, due_on=agreed + timedelta(days=days),
                responsible=str(people[side]) if side else agreements.MEDIATOR).id)
    with tx() as s:
        agreements.follow_up(s, vault, mediator, reference, item_id=item_ids[0], status="completed",
                             note="The letter reached the mediator, who read it with the family.")
    return item_ids


def load_agreements_demo(runtime: Runtime) -> None:
    """Needs and an agreement in follow-up on the written dialogue (Dana and Eli's) and on the case in closing,
    and a completed case closed with a summary, whose letters Dana and Eli read in the portal."""
    from mediation.demo import _link_portal_accounts, build_case, path_to  # here: mediation.demo imports us

    with runtime.transaction() as s:
        accounts = {u.username: u for u in s.scalars(select(User))}
        written = s.scalars(select(Case).join(Participant).where(
            Case.state == CaseState.DIALOGUE_WRITTEN, Participant.user_id.is_not(None))).first()
        closing = s.scalars(select(Case).where(Case.state == CaseState.CLOSING)).first()
        work = [(case.reference, s.get(User, case.assigned_mediator_id), answered)
                for case, answered in ((written, 2), (closing, 3)) if case is not None]
    for reference, mediator, answered in work:
        if mediator is not None:
            _dialogue_work(runtime, mediator, reference, answered=answered)
    ada = accounts["mediator.ada"]
    closed = build_case(runtime, accounts["coordinator"], ada, accounts["officer.chen"],
                        steps=path_to(CaseState.CLOSING))
    with runtime.transaction() as s:
        _link_portal_accounts(s, runtime.vault, closed)
    _, *others = _dialogue_work(runtime, ada, closed, answered=3)
    endings = {others[0]: Disposition("completed", "Both answers were given in writing."),
               others[1]: Disposition("handed_over", "Handed over to the parole officer, who follows the payments."),
               others[2]: Disposition("completed")}
    with runtime.transaction() as s:
        closure.close_case(s, runtime.vault, ada, closed, reason="needs_addressed", dispositions=endings,
                           summary="Dana asked her questions and heard Eli's apology; both said they were heard. "
                                   "The reparation continues under the parole officer's follow-up.")
