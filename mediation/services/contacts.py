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
from mediation.languages import LANGUAGES
from mediation.models import Participant, Role, User
from mediation.policy import mediates, participant_of, require_active
from mediation.services.lookup import case_to_change, find_case
from workflows.vocabulary import OPEN_STATES
from workflows.words import Code, Words, codes

MAX_FIELD = 500
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WAYS_TO_REACH = ("phone", "email", "post")  # preferred_contact: which of the card's ways to use first
YES_NO = ("yes", "no")  # may_leave_message
# How each field is named in a refusal (translatable phrases).
FIELD_WORDS = {"name": Words("name"), "address": Words("postal address"), "phone": Words("phone number"),
               "email": Words("e-mail address"), "safe_times_to_call": Words("safe times to call"),
               "preferred_contact": Words("preferred way of contact"),
               "may_leave_message": Words("whether a message may be left"), "language": Words("language"),
               "accessibility_needs": Words("accessibility needs")}
_CHOICES = {"preferred_contact": WAYS_TO_REACH, "may_leave_message": YES_NO, "language": LANGUAGES}
_WAY_FIELD = {"phone": "phone", "email": "email", "post": "address"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # what undecodable bytes become: not text


def refuse_unstorable(value: str, field: Words) -> None:
    """Refuse what one database would store and the other refuse (a NUL), or what is not text at all."""
    if "\x00" in value:
        raise InvalidInput("The %(field)s contains a NUL character, which is not allowed.", field=field)
    if _SURROGATE.search(value):
        raise InvalidInput("The %(field)s is not valid UTF-8 text.", field=field)


@dataclass(frozen=True)
class ContactDetails:
    """How to reach a person safely. Every field is text ("" when not given), so cards sealed before a field
    existed still open (a missing field reads as "")."""

    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    safe_times_to_call: str = ""
    preferred_contact: str = ""  # one of WAYS_TO_REACH
    may_leave_message: str = ""  # "yes" or "no"
    language: str = ""  # one of mediation.languages.LANGUAGES
    accessibility_needs: str = ""

    def validated(self) -> ContactDetails:
        cleaned = {f.name: str(getattr(self, f.name) or "").strip() for f in fields(self)}
        for name, value in cleaned.items():
            refuse_unstorable(value, FIELD_WORDS[name])
            if len(value) > MAX_FIELD:
                raise InvalidInput("The %(field)s is too long (at most %(limit)s characters).",
                                   field=FIELD_WORDS[name], limit=MAX_FIELD)
        if cleaned["email"] and not EMAIL.match(cleaned["email"]):
            raise InvalidInput("The e-mail address does not look like one (name@example.org).")
        for name, allowed in _CHOICES.items():
            if cleaned[name] and cleaned[name] not in allowed:
                raise InvalidInput("Choose the %(field)s among: %(allowed)s.", field=FIELD_WORDS[name],
                                   allowed=codes(allowed))
        way = cleaned["preferred_contact"]
        if way and not cleaned[_WAY_FIELD[way]]:
            raise InvalidInput("The preferred way of contact is %(way)s, so the %(field)s is needed too.",
                               way=Code(way), field=FIELD_WORDS[_WAY_FIELD[way]])
        return ContactDetails(**cleaned)

    def reachable(self) -> bool:
        """Whether the card holds at least one way to reach the person."""
        return bool(self.phone or self.email or self.address)

    @classmethod
    def from_json(cls, text: str) -> ContactDetails:
        stored = json.loads(text)
        return cls(**{f.name: str(stored.get(f.name) or "") for f in fields(cls)})


def _context(case_id: int, participant: Participant) -> RecordContext:
    return RecordContext(case_id, "contact", str(participant.id), participant.contact_recorded_by_id,
                         f"card.r{participant.contact_revision}")


def open_card(session: Session, vault: Vault, participant: Participant) -> ContactDetails | None:
    """Decrypt a participant's card; the caller audits the reading (and says what it was for)."""
    if participant.sealed_contact is None:
        return None
    text = vault.open_text(session, _context(participant.case_id, participant), participant.sealed_contact)
    return ContactDetails.from_json(text)
def seal_card(session: Session, vault: Vault, case_id: int, participant: Participant, details: ContactDetails, *,
              recorded_by_id: int | None) -> None:
    """Seal validated ``details`` as the participant's next card; the caller checked who may, and audits it."""
    participant.contact_revision = (participant.contact_revision or 0) + 1
    participant.contact_recorded_by_id = recorded_by_id
    participant.sealed_contact = vault.seal_text(session, _context(case_id, participant), json.dumps(asdict(details)))


def record_contact_details(session: Session, vault: Vault, actor: User, reference: str, *, participant_id: int,
                           details: ContactDetails) -> Participant:
    """The mediator records how to reach a participant safely; the previous card is replaced."""
    case = case_to_change(session, actor, reference, allowed=OPEN_STATES, action=Words("record contact details"))
    participant = participant_of(case, participant_id)
    seal_card(session, vault, case.id, participant, details.validated(), recorded_by_id=actor.id)
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
    elif not mediates(actor, case):
        raise Forbidden("Only the case's mediator and the participant themselves may see contact details.")
    card = open_card(session, vault, participant)
    if card is not None:
        audit.record_content(session, AuditTag.CONTACT_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"participant_id": participant.id})
    return card
