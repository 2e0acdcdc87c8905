"""Closing letters: after a case closes with a summary, one printable letter for each participant.

A letter holds only what was already that person's or delivered to them: the reference, the date of closing,
the outcome in plain words, their OWN needs and questions with their status, and the agreement's items as
agreed with their final status. Never the closing summary, follow-up notes, or the other side's needs. It is
drawn in the person's language: their contact card's, else English (accounts hold no language yet).
Opening a letter opens sealed content, so every opening is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import NotFound
from mediation.languages import DEFAULT_LANGUAGE, LANGUAGES
from mediation.models import Case, CaseClosure, Participant, Role, User
from mediation.policy import own_participation, participant_of, require_active, require_mediator_of
from mediation.services.agreements import ItemView, opened_agreement
from mediation.services.contacts import open_card
from mediation.services.lookup import find_case
from mediation.services.needs import NeedView, opened_needs


@dataclass(frozen=True)
class Letter:
    reference: str
    closed_on: date
    outcome: str
    language: str
    participant_id: int
    side: str
    role: str
    needs: list[NeedView]
    agreed_on: date | None
    items: list[ItemView]  # follow-up notes are never opened for a letter
    sides: dict[int, str]  # who is to do an item, named by side only (harmed party, person responsible)


@dataclass(frozen=True)
class LetterLink:
    participant_id: int
    side: str
    relationship: str
    role: str


def _closure(session: Session, case: Case) -> CaseClosure:
    closure = session.get(CaseClosure, case.id)
    if closure is None:
        raise NotFound("No closing letter exists for this case: letters follow a closing with a summary.")
    return closure


def letter_language(session: Session, vault: Vault, person: Participant) -> str:
    card = open_card(session, vault, person)
    return card.language if card is not None and card.language in LANGUAGES else DEFAULT_LANGUAGE


def _letter(session: Session, vault: Vault, actor: User, case: Case, person: Participant) -> Letter:
    closure = _closure(session, case)
    language = letter_language(session, vault, person)
    needs = opened_needs(session, vault, actor, case, person.id)
    agreement = opened_agreement(session, vault, actor, case, with_follow_up=False)
    audit.record_content(session, AuditTag.LETTER_OPENED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"participant_id": person.id, "language": language})
    return Letter(case.reference, closure.closed_at.date(), case.outcome or "", language, person.id, person.side,
                  person.role, needs, agreement.agreed_on if agreement else None,
                  agreement.items if agreement else [], {p.id: p.side for p in case.participants})


def letters_of(session: Session, actor: User, reference: str) -> list[LetterLink]:
    """The letters of a case closed with a summary (one per participant), for its mediators; [] otherwise."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    if session.get(CaseClosure, case.id) is None:
        return []
    return [LetterLink(p.id, p.side, p.relationship_to_case, p.role) for p in case.participants]


def letter_for(session: Session, vault: Vault, actor: User, reference: str, participant_id: int) -> Letter:
    """A participant's closing letter, opened by the case's mediator to print or send."""
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    return _letter(session, vault, actor, case, participant_of(case, participant_id))


def my_letter(session: Session, vault: Vault, actor: User, reference: str) -> Letter:
    """The signed-in participant's own closing letter, in the portal after closure."""
    require_active(actor)
    case = find_case(session, actor, reference)
    mine = own_participation(actor, case) if actor.role == Role.PARTICIPANT else None
    if mine is None:
        raise NotFound("No case %(reference)s was found.", reference=case.reference)
    return _letter(session, vault, actor, case, mine)

