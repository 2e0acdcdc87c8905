"""Participants' contact details: sealed with the case's data key, read only by the case's mediator and by
the participant themselves (never by the other side), every reading audited."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.errors import Forbidden, InvalidInput, NotFound
from mediation.models import Participant, Role, User
from mediation.policy import participant_of, require_active
from mediation.services.lookup import case_to_change, find_case
from workflows.vocabulary import OPEN_STATES
from workflows.words import Code, Words

MAX_FIELD = 500
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ContactDetails:
    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    safe_times_to_call: str = ""

    def validated(self) -> ContactDetails:
        cleaned = {f.name: str(getattr(self, f.name) or "").strip() for f in fields(self)}
        for name, value in cleaned.items():
            if len(value) > MAX_FIELD:
                raise InvalidInput("The %(field)s is too long (at most %(limit)s characters).", field=Code(name),
                                   limit=MAX_FIELD)
        if cleaned["email"] and not EMAIL.match(cleaned["email"]):
            raise InvalidInput("The e-mail address does not look like one (name@example.org).")
        return ContactDetails(**cleaned)


def _context(case_id: int, participant: Participant) -> RecordContext:
    return RecordContext(case_id, "contact", str(participant.id), participant.contact_recorded_by_id,
                         f"card.r{participant.contact_revision}")


def open_card(session: Session, vault: Vault, participant: Participant) -> ContactDetails | None:
    """Decrypt a participant's card; the caller audits the reading (and says what it was for)."""
    if participant.sealed_contact is None:
        return None
    text = vault.open_text(session, _context(participant.case_id, participant), participant.sealed_contact)
    return ContactDetails(**json.loads(text))


def record_contact_details(session: Session, vault: Vault, actor: User, reference: str, *, participant_id: int,
                           details: ContactDetails) -> Participant:
    """The mediator records how to reach a participant safely; the previous card is replaced."""
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES, action=Words("record contact details"))
    participant = participant_of(case, participant_id)
    clean = details.validated()
    participant.contact_revision += 1
    participant.contact_recorded_by_id = actor.id
    participant.sealed_contact = vault.seal_text(session, _context(case.id, participant), json.dumps(asdict(clean)))
    audit.record_content(session, AuditTag.CONTACT_RECORDED, case_id=case.id, actor=actor, now=utcnow(),
                         details={"participant_id": participant.id, "revision": participant.contact_revision})
    return participant


def contact_details(session: Session, vault: Vault, actor: User, reference: str,
                    participant_id: int) -> ContactDetails | None:
    """The card, for the case's mediator or the participant it describes; an offender never sees a harmed
    party's details, nor the reverse."""
    require_active(actor)
    case = find_case(session, actor, reference)
    participant = participant_of(case, participant_id)
    if actor.role == Role.PARTICIPANT:
        if participant.user_id != actor.id:
            raise NotFound("There is no such participant on this case.")
    elif actor.role != Role.MEDIATOR or case.assigned_mediator_id != actor.id:
        raise Forbidden("Only the case's mediator and the participant themselves may see contact details.")
    card = open_card(session, vault, participant)
    if card is not None:
        audit.record_content(session, AuditTag.CONTACT_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"participant_id": participant.id})
    return card
