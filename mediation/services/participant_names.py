"""Participants' names, for the case's mediator only: the name each gave when activating their portal account,
or else the name on the contact card the mediator recorded, both sealed with the case's data key.

Their account itself shows a pseudonym, so the list of accounts, the audit log and a database dump hold no
participant's name. Only the case's assigned mediator reads names (on the case page and their list of cases),
and every reading is audited, as for contact cards; the coordinator, staff and the other side never see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.models import Case, Participant, Role, User
from mediation.policy import mediated_by, require_mediator_of, require_role
from mediation.services.contacts import open_card
from mediation.services.lookup import find_case


def _context(participant: Participant) -> RecordContext:
    return RecordContext(participant.case_id, "participant", str(participant.id), participant.user_id, "name")


def seal_name(session: Session, vault: Vault, participant: Participant, name: str) -> None:
    """Seal the name a participant gave; their account (``user_id``) must already be set."""
    participant.sealed_name = vault.seal_text(session, _context(participant), name)


def _open_name(session: Session, vault: Vault, participant: Participant) -> str | None:
    """The name the person gave, else their contact card's name; None when neither was recorded."""
    if participant.sealed_name is not None:
        return vault.open_text(session, _context(participant), participant.sealed_name)
    card = open_card(session, vault, participant)
    return (card.name or None) if card is not None else None


def _has_name(participant: Participant) -> bool:
    return participant.sealed_name is not None or participant.sealed_contact is not None


def names_for_mediator(session: Session, vault: Vault, actor: User, reference: str) -> dict[int, str]:
    """The case's participants' names, by participant id, for the case's mediator; each reading is audited.

    Participants with no name recorded are left out (nothing is decrypted, nothing audited), and so is everyone
    on a case whose content was destroyed at the end of its retention period.
    """
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    names: dict[int, str] = {}
    for participant in case.participants:
        if not _has_name(participant):
            continue
        try:
            name = _open_name(session, vault, participant)
        except KeyUnavailable:
            return {}
        if name is not None:
            names[participant.id] = name
        audit.record_content(session, AuditTag.NAME_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"participant_id": participant.id})
    return names


@dataclass(frozen=True)
class NamedPerson:
    participant_id: int
    relationship: str
    role: str
    name: str


def names_on_my_list(session: Session, vault: Vault, actor: User,
                     references: Sequence[str]) -> dict[str, list[NamedPerson]]:
    """The names of the people of the listed cases (one page of the mediator's list), by case reference.

    Only the mediator's own cases are read, in one query for the page; each case whose names were opened gets
    one audit entry naming the participants read.
    """
    require_role(actor, Role.MEDIATOR)
    if not references:
        return {}
    rows = session.execute(select(Case.id, Case.reference, Participant).join(Participant,
                                                                            Participant.case_id == Case.id)
                           .where(Case.reference.in_(list(references)), mediated_by(actor.id))
                           .order_by(Case.id, Participant.id))
    by_case: dict[tuple[int, str], list[Participant]] = {}
    for case_id, reference, participant in rows:
        by_case.setdefault((case_id, reference), []).append(participant)
    result: dict[str, list[NamedPerson]] = {}
    for (case_id, reference), people in by_case.items():
        opened = [p for p in people if _has_name(p)]
        if not opened:
            continue
        try:
            names = [(p, _open_name(session, vault, p)) for p in opened]
        except KeyUnavailable:  # the case's content was destroyed at the end of its retention period
            continue
        result[reference] = [NamedPerson(p.id, p.relationship_to_case, p.role, name) for p, name in names if name]
        audit.record_content(session, AuditTag.NAME_DECRYPTED, case_id=case_id, actor=actor, now=utcnow(),
                             details={"participant_ids": [p.id for p in opened]})
    return result
