"""Steps the dialogue tests share: each service call in a transaction of its own, as one request would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from mediation.db import utcnow
from mediation.models import AgreementItem, ParticipantNeed, User
from mediation.runtime import Runtime
from mediation.services import agreements, closure, needs
from mediation.services.lookup import find_case
from tests.conftest import Actors
from tests.integration.test_messages import link_accounts


def days_from_today(days: int) -> date:
    return utcnow().date() + timedelta(days=days)


@dataclass
class Dialogue:
    """A case and its mediator, with the victim's and the offender's participant ids (accounts linked)."""

    runtime: Runtime
    actors: Actors
    reference: str
    harmed_id: int
    offender_id: int

    @property
    def mediator(self) -> User:
        return self.actors.mediator

    def run(self, service: Any, *args: Any, actor: User | None = None, **kwargs: Any) -> Any:
        with self.runtime.transaction() as s:
            return service(s, actor or self.mediator, self.reference, *args, **kwargs)

    def sealed(self, service: Any, *args: Any, actor: User | None = None, **kwargs: Any) -> Any:
        with self.runtime.transaction() as s:
            return service(s, self.runtime.vault, actor or self.mediator, self.reference, *args, **kwargs)

    def need(self, text: str = "Why our house?", *, participant_id: int | None = None, kind: str = "question",
             actor: User | None = None) -> str:
        return self.sealed(needs.record_need, participant_id=participant_id or self.harmed_id, kind=kind,
                           text=text, actor=actor).id

    def agreement(self, agreed_on: date | str | None = None, **kwargs: Any) -> str:
        return self.run(agreements.record_agreement, agreed_on=agreed_on or days_from_today(-3), **kwargs).id

    def item(self, what: str = "A written apology to the family.", *, responsible: str | None = None,
             due_on: date | str | None = None, kind: str = "apology") -> str:
        return self.sealed(agreements.add_item, kind=kind, responsible=responsible or str(self.offender_id),
                           what=what, due_on=due_on or days_from_today(14)).id

    def close(self, summary: str | None = "Both said what they came to say.", reason: str = "dialogue_completed",
              dispositions: dict[str, closure.Disposition] | None = None, actor: User | None = None) -> Any:
        return self.sealed(closure.close_case, summary=summary, reason=reason, dispositions=dispositions,
                           actor=actor)

    def state(self) -> str:
        with self.runtime.transaction() as s:
            return find_case(s, self.mediator, self.reference).state

    def items(self) -> dict[str, AgreementItem]:
        with self.runtime.transaction() as s:
            return {i.id: i for i in s.scalars(select(AgreementItem))}

    def need_rows(self) -> dict[str, ParticipantNeed]:
        with self.runtime.transaction() as s:
            return {n.id: n for n in s.scalars(select(ParticipantNeed))}


def dialogue_of(runtime: Runtime, actors: Actors, reference: str) -> Dialogue:
    relay = link_accounts(runtime, actors, reference)
    assert relay.offender_id is not None
    return Dialogue(runtime, actors, reference, relay.harmed_id, relay.offender_id)
