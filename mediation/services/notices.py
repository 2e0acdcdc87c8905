"""Notices on a person's own pages: that something happened to them (a case reassigned), never any content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from mediation.db import utcnow
from mediation.errors import NotFound
from mediation.models import Case, Notice, NoticeKind, User
from mediation.policy import require_active


def tell(session: Session, user_id: int, kind: NoticeKind, case_id: int | None, now: datetime) -> None:
    """Leave a notice for ``user_id`` in the caller's transaction (``case_id`` None: about no case)."""
    session.add(Notice(user_id=user_id, kind=kind.value, case_id=case_id, created_at=now))


@dataclass(frozen=True)
class NoticeView:
    id: int
    kind: str
    reference: str | None  # None: a notice about no case (a timer of the system)
    created_at: datetime


NOTICES_SHOWN = 20  # a page shows the newest ones; dismissing some brings older ones up


def my_notices(session: Session, actor: User, *, limit: int = NOTICES_SHOWN) -> list[NoticeView]:
    """The actor's newest ``limit`` notices not yet dismissed, newest first (timers can leave many)."""
    require_active(actor)
    rows = session.execute(select(Notice.id, Notice.kind, Case.reference, Notice.created_at)
                           # a case of another organisation is never named, whatever a notice points to
                           .outerjoin(Case, and_(Case.id == Notice.case_id,
                                                 Case.organisation_id == actor.organisation_id))
                           .where(Notice.user_id == actor.id, Notice.dismissed_at.is_(None))
                           .order_by(Notice.id.desc()).limit(limit))
    return [NoticeView(*row) for row in rows]


def dismiss(session: Session, actor: User, notice_id: int) -> None:
    """The actor puts away one of their own notices; someone else's answers as one that does not exist."""
    require_active(actor)
    notice = session.get(Notice, notice_id)
    if notice is None or notice.user_id != actor.id or notice.dismissed_at is not None:
        raise NotFound("There is no such notice.")
    notice.dismissed_at = utcnow()
