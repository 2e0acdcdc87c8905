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


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
