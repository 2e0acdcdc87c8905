"""The person withdraws their consent to a referral, from their own page (or a referring worker records it for
them): the values shared are erased in the same transaction, and the partner sees no field from then on.

Withdrawing consent is not a step of the referral's workflow (``workflows.referral_workflow``): the referral stays
where it is, but ``fields_for_partner`` is empty and a draft can no longer be sent.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediation.audit import AuditTag
from mediation.db import utcnow
from mediation.errors import WrongState
from mediation.models import Referral, User
from mediation.services.referrals import trail
from mediation.services.referrals.access import find_referral, require_side


def withdraw_consent(session: Session, actor: User, reference: object) -> Referral:
    """Consent withdrawn: every shared value erased (sealed_value NULL), both sides audited, at once."""
    referral, standing = find_referral(session, actor, reference, lock=True)
    require_side(standing, "person", "referring")
    if referral.consent_withdrawn_at is not None:
        raise WrongState("The consent to this referral was already withdrawn.")
    now = utcnow()
    referral.consent_withdrawn_at = now
    referral.updated_at = now
    for field in referral.fields:
        field.sealed_value = None
    session.flush()
    details = {"erased": [f.field for f in referral.fields], "by": standing.side}
    if referral.state == "draft":  # the partner never had it: only the referring side's chain
        trail.one_side(session, referral.referring_organisation_id, referral, AuditTag.REFERRAL_CONSENT_WITHDRAWN,
                       actor=actor, now=now, details=details)
    else:
        trail.both_sides(session, referral, AuditTag.REFERRAL_CONSENT_WITHDRAWN, actor, now, details=details)
    return referral
