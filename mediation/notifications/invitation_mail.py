"""Invitations by e-mail, for a participant who agreed to receive theirs that way.

The mediator gives the address and confirms the person agreed; the invitation is made as usual and its code,
with the address and the language, is sealed in the outbox row under the active KEK (bound to the row's id),
sent by the worker and wiped once sent (or dropped, if the invitation was used, replaced or expired first).
The audit says an invitation was e-mailed, never to which address nor with which code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.audit import chain as audit
from mediation.crypto.keyring import Keyrings
from mediation.db import utcnow
from mediation.errors import InvalidInput
from mediation.languages import LANGUAGES
from mediation.models import Invitation, OutboxEvent, OutboxMessage, User
from mediation.moments import aware
from mediation.notifications import addresses, outbox
from mediation.notifications.preferences import one_of
from mediation.services import invitations
from mediation.services.lookup import find_case
from workflows.words import Words

PURPOSE = "outbox-invitation"


@dataclass(frozen=True)
class InvitationMail:
    code: str
    address: str
    language: str
    until: str  # when the code stops working, UTC, as the e-mail shows it


def invite_by_email(session: Session, keyring: Keyrings, actor: User, reference: str, *, participant_id: int,
                    hours: int, address: object, agreed: bool, language: object = "en",
                    now: datetime | None = None) -> None:
    """Invite a participant and queue the code for e-mail, in one transaction; refused unless the person
    agreed to receive it by e-mail. The code is not returned: it goes only to the person."""
    if not agreed:
        raise InvalidInput("Send an invitation by e-mail only when the person agreed to receive it that way.")
    to = addresses.checked_address(address)
    chosen_language = one_of(language or "en", LANGUAGES, Words("language"))
    now = now or utcnow()
    code = invitations.invite_participant(session, actor, reference, participant_id=participant_id, hours=hours,
                                          now=now)
    session.flush()
    invitation = session.scalars(select(Invitation).where(
        Invitation.token_hash == invitations.code_key(code))).one()
    key = outbox.idempotency_key(OutboxEvent.INVITATION, f"participant-{participant_id}", f"inv-{invitation.id}")
    outbox.insert_once(session, OutboxEvent.INVITATION, key, now, participant_id=participant_id)
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
    payload = json.dumps({"code": code, "address": to, "language": chosen_language, "invitation": invitation.id})
    case = find_case(session, actor, reference)
    row.kek_id, row.sealed_payload = addresses.seal(keyring.of(case.organisation_id), row.id, payload, PURPOSE)
    audit.record(session, AuditTag.INVITATION_EMAILED, actor=actor, now=now, case=case,
                 details={"participant_id": participant_id, "language": chosen_language})


def opened(session: Session, keyring: Keyrings, row: OutboxMessage, now: datetime) -> InvitationMail | None:
    """The invitation to send, or None when it is moot (used, replaced, expired, nothing sealed)."""
    if row.sealed_payload is None or row.kek_id is None:
        return None
    payload = json.loads(addresses.open_sealed(keyring.holding(row.kek_id), row.id, row.kek_id, row.sealed_payload,
                                               PURPOSE))
    invitation = session.get(Invitation, payload["invitation"])
    if (invitation is None or invitation.used_at is not None or invitation.revoked_at is not None
            or aware(invitation.expires_at) <= now):
        return None
    until = aware(invitation.expires_at).strftime("%Y-%m-%d %H:%M")
    return InvitationMail(payload["code"], payload["address"], payload["language"], until)
