"""Short notices on a person's own pages, e.g. that one of a mediator's cases went to another mediator.

A notice names a kind and a case, never content: it tells someone that something happened, not what.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base, utcnow


class NoticeKind(StrEnum):
    CASE_REASSIGNED = "case_reassigned"
    CO_MEDIATION_ENDED = "co_mediation_ended"  # the coordinator removed this co-mediator from the case
    CASE_STALE = "case_stale"  # to the case's mediators: no activity for the stale period
    CASE_STALE_ESCALATION = "case_stale_escalation"  # to every coordinator: still no activity after that
    REVIEW_WAITING = "review_waiting"  # to the case's mediators: a message has waited for review for days
    REASSESSMENT_DUE = "reassessment_due"  # to the case's mediators: a participant's safety is due again
    AGREEMENT_ITEM_DUE = "agreement_item_due"  # to the case's mediators: an agreement item comes due
    ACTIVITY_DUE = "activity_due"  # to the case's mediators: a planned activity or meeting comes up
    INVITATION_EMAIL_FAILED = "invitation_email_failed"  # to the case's mediators: invite the person again
    TIMER_FAILED = "timer_failed"  # to every coordinator: a timer kept failing (no case when it had none)
    # Circles of Support and Accountability (mediation.services.circles.timers)
    CIRCLE_MINUTES_OVERDUE = "circle_minutes_overdue"  # to the circles' coordinators: a meeting's minutes are late
    # The resocialisation training programme.
    TRAINING_HELP_FOLLOW_UP = "training_help_follow_up"  # to the activation worker: a help's follow-up is due
    # Referrals to a partner (mediation.services.referrals): no case, no content; the page is the list.
    REFERRAL_RECEIVED = "referral_received"  # to the receiving organisation's coordinators
    REFERRAL_ACCEPTED = "referral_accepted"  # to the referring worker
    REFERRAL_DECLINED = "referral_declined"
    REFERRAL_COMPLETED = "referral_completed"
    REFERRAL_ENDED = "referral_ended"


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # None: about the system (a timer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
