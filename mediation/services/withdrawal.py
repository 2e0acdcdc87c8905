"""Withdrawing on someone's behalf: the mediator records a participant's withdrawal for them, deliberately.

The person and the reason are chosen (there is no default), the mediator confirms, and the audit entry says who
acted (the mediator) and for whom (``participant_id``, ``on_behalf``). A participant's own withdrawal, from the
portal, is recorded as theirs (``workflow.fire`` as the participant).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation.case_record import CaseRecord
from mediation.errors import InvalidInput
from mediation.models import User
from mediation.services import workflow


def withdraw_on_behalf(session: Session, actor: User, reference: str, *, participant_id: int | None,
                       reason: str | None, confirmed: bool, expected_version: int | None = None) -> CaseRecord:
    if participant_id is None:
        raise InvalidInput("Choose the person who is withdrawing.")
    if reason is None:
        raise InvalidInput("Choose the reason for the withdrawal.")
    return workflow.fire(session, actor, reference, "withdraw", reason=reason, participant_id=participant_id,
                         expected_version=expected_version, confirmed=confirmed)
