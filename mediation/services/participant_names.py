"""The names participants give when they activate their portal account: sealed with the case's data key.

Their account itself shows a pseudonym, so the list of accounts, the audit log and a database dump hold no
participant's name. Only the case's mediator reads the name, and every reading is audited, as for contact cards.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.models import Participant, User
from mediation.policy import require_mediator_of
from mediation.services.lookup import find_case


def _context(participant: Participant) -> RecordContext:
    return RecordContext(participant.case_id, "participant", str(participant.id), participant.user_id, "name")


def seal_name(session: Session, vault: Vault, participant: Participant, name: str) -> None:
    """Seal the name a participant gave; their account (``user_id``) must already be set."""
    participant.sealed_name = vault.seal_text(session, _context(participant), name)


def names_for_mediator(session: Session, vault: Vault, actor: User, reference: str) -> dict[int, str]:
    """The names the case's participants gave, by participant id, for the case's mediator; the reading is audited.

    Participants without a portal account gave no name and are left out (nothing is decrypted, nothing audited),
    and so is everyone on a case whose content was destroyed at the end of its retention period.
    """
    case = find_case(session, actor, reference)
    require_mediator_of(actor, case)
    names: dict[int, str] = {}
    for participant in case.participants:
        if participant.sealed_name is None:
            continue
        try:
            names[participant.id] = vault.open_text(session, _context(participant), participant.sealed_name)
        except KeyUnavailable:
            return {}
        audit.record_content(session, AuditTag.NAME_DECRYPTED, case_id=case.id, actor=actor, now=utcnow(),
                             details={"participant_id": participant.id})
    return names
