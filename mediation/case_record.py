"""The hot path of the workflow: a case read and written with prebuilt Core statements.

Firing a trigger is the most frequent write. Loading the ORM ``Case`` and flushing it through the unit of work
costs several times the SQL itself, so ``fire`` reads the row into a plain ``CaseRecord``, fires the shared
machine on it, and writes it back with one version-checked UPDATE. Participants and the sentence, which only
some guards read, are loaded through the ORM when first asked for, and flushed with the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select, update
from sqlalchemy.orm import Session

from mediation.db import table
from mediation.errors import Conflict
from mediation.models import Participant, Role, SentenceRecord, User
from mediation.models.case import CaseFactsMixin
from mediation.policy import visibility

_CASES = table("cases")


@dataclass(eq=False)
class CaseRecord(CaseFactsMixin):
    """The columns the workflow reads and moves, plus lazy access to participants and the sentence."""

    id: int
    reference: str
    version: int
    workflow_version: str
    state: str
    modality: str | None
    paused_from: str | None
    outcome: str | None
    withdrawn_by_participant_id: int | None
    withdrawn_from: str | None
    assigned_mediator_id: int | None
    co_mediator_id: int | None
    closed_at: datetime | None
    updated_at: datetime
    audit_head_seq: int
    audit_head_hash: str | None
    session: Session = field(repr=False, compare=False)
    connection: Connection = field(repr=False, compare=False)

    @property
    def participants(self) -> list[Participant]:  # type: ignore[override]
        loaded = self.__dict__.get("_participants")
        if loaded is None:
            loaded = list(self.session.scalars(
                select(Participant).where(Participant.case_id == self.id).order_by(Participant.id)))
            self.__dict__["_participants"] = loaded
        return loaded

    @property
    def sentence(self) -> SentenceRecord | None:  # type: ignore[override]
        if "_sentence" not in self.__dict__:
            self.__dict__["_sentence"] = self.session.get(SentenceRecord, self.id)
        return self.__dict__["_sentence"]


_ROLES = frozenset(r.value for r in Role)
_COLUMNS = tuple(f.name for f in fields(CaseRecord) if f.name not in {"session", "connection"})
# What a transition may change; everything else on the row is left alone.
_MOVABLE = ("state", "modality", "paused_from", "outcome", "withdrawn_by_participant_id", "withdrawn_from",
            "closed_at", "updated_at", "audit_head_seq", "audit_head_hash")

_SAVE = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("record_id"), _CASES.c.version == bindparam("seen_version"))
    .values({name: bindparam(name) for name in _MOVABLE} | {"version": bindparam("next_version")})
)


@cache
def _select_for(role: str) -> Select[Any]:
    """Built once per role: the reference and the actor's id are bound at each call."""
    return (select(*(_CASES.c[name] for name in _COLUMNS))
            .where(_CASES.c.reference == bindparam("reference"), visibility(role, bindparam("actor_id"))))


def load_record(session: Session, actor: User, reference: str) -> CaseRecord | None:
    """The case row if ``actor`` may see it (None otherwise, or for a deactivated account)."""
    if not actor.is_active or actor.role not in _ROLES:
        return None
    connection = session.connection()
    row = connection.execute(_select_for(actor.role), {"reference": reference, "actor_id": actor.id}).first()
    return None if row is None else CaseRecord(*row, session=session, connection=connection)  # type: ignore[misc]


def save_record(record: CaseRecord) -> None:
    """Write the record's movable columns if nobody changed the row since it was read."""
    values: dict[str, Any] = {name: getattr(record, name) for name in _MOVABLE}
    values |= {"record_id": record.id, "seen_version": record.version, "next_version": record.version + 1}
    if record.connection.execute(_SAVE, values).rowcount != 1:
        raise Conflict("Case %(reference)s was changed by someone else at the same moment; reload it and "
                       "try again.", reference=record.reference)
    record.version += 1
