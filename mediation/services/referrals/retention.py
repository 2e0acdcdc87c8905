"""A referral's content ends with its retention period, like a case's: once a referral has been over (declined,
completed, ended or withdrawn) longer than the retention period, ``mediation purge`` erases its shared values and
the partner's notes and destroys both sides' data keys. The referral row stays, with its states, kind and dates,
for the indicators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, exists, select, update
from sqlalchemy.orm import Session

from mediation.models import Referral, ReferralField, ReferralKey, ReferralNote
from workflows.referral_workflow import REFERRAL_WORKFLOW

_OVER = tuple(str(state) for state in REFERRAL_WORKFLOW.final_states)


def expired(cutoff: datetime) -> Select[tuple[int]]:
    """Referrals over before ``cutoff`` that still have a key to destroy."""
    live = exists(select(ReferralKey.referral_id).where(ReferralKey.referral_id == Referral.id,
                                                        ReferralKey.wrapped_key.is_not(None)))
    return select(Referral.id).where(Referral.state.in_(_OVER), Referral.closed_at < cutoff, live)


def purge_expired(session: Session, cutoff: datetime, now: datetime, *, dry_run: bool = False) -> list[str]:
    """Erase the content of the referrals over before ``cutoff``; returns their references."""
    rows = session.execute(select(Referral.id, Referral.reference).where(Referral.id.in_(expired(cutoff)))
                           .order_by(Referral.id)).all()
    ids = [referral_id for referral_id, _ in rows]
    if ids and not dry_run:
        session.execute(delete(ReferralNote).where(ReferralNote.referral_id.in_(ids)))
        session.execute(update(ReferralField).where(ReferralField.referral_id.in_(ids)).values(sealed_value=None))
        session.execute(update(ReferralKey).where(ReferralKey.referral_id.in_(ids))
                        .values(wrapped_key=None, kek_id=None, destroyed_at=now))
    return [reference for _, reference in rows]
