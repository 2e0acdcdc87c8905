"""Arming and cancelling timers inside the caller's transaction, so they commit (or vanish) with the change.

Lock order on PostgreSQL: a service holds the case's row, then touches its timers with ``SKIP LOCKED``; the
worker holds a timer, then takes the case's row. A timer the worker is firing right now is therefore never
waited for: arming makes a new row beside it, and cancelling leaves it to the worker, which finds the case moved
on and records a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from mediation.db import utcnow
from mediation.models import Timer, TimerKind, TimerState


def arm(session: Session, kind: TimerKind, due_at: datetime, *, case_id: int | None = None,
        user_id: int | None = None, subject_id: int | None = None, subject_key: str | None = None,
        case_version: int | None = None, now: datetime | None = None) -> Timer:
    """Arm the one pending timer of ``kind`` for this case, person and subject at ``due_at``: an existing one
    is moved (not duplicated); one being fired at this moment is left alone and a new one armed beside it."""
    session.flush()
    existing = session.scalars(
        select(Timer).where(Timer.kind == kind.value, Timer.state == TimerState.PENDING.value,
                            _same(Timer.case_id, case_id), _same(Timer.user_id, user_id),
                            _same(Timer.subject_id, subject_id), _same(Timer.subject_key, subject_key))
        .order_by(Timer.id).limit(1).with_for_update(skip_locked=True)).first()
    if existing is not None:
        existing.due_at, existing.case_version = due_at, case_version
        existing.attempts, existing.last_error = 0, None
        return existing
    timer = Timer(kind=kind.value, state=TimerState.PENDING.value, due_at=due_at, case_id=case_id, user_id=user_id,
                  subject_id=subject_id, subject_key=subject_key, case_version=case_version,
                  created_at=now or utcnow(), attempts=0)
    session.add(timer)
    return timer


def _same(column: InstrumentedAttribute[int | None] | InstrumentedAttribute[str | None],
          value: int | str | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def cancel(session: Session, kinds: Iterable[TimerKind], *, case_id: int | None = None,
           subject_id: int | None = None, subject_key: str | None = None, user_id: int | None = None,
           now: datetime | None = None) -> int:
    """Cancel the pending timers of ``kinds`` for this case (and subject, or person), as part of the change
    that makes them moot. Returns how many were cancelled."""
    if case_id is None and subject_id is None and subject_key is None and user_id is None:
        raise ValueError("cancel needs a case, a subject or a person")  # never every timer of a kind
    session.flush()
    wanted = select(Timer.id).where(Timer.state == TimerState.PENDING.value,
                                    Timer.kind.in_([k.value for k in kinds]))
    if case_id is not None:
        wanted = wanted.where(Timer.case_id == case_id)
    if subject_id is not None:
        wanted = wanted.where(Timer.subject_id == subject_id)
    if subject_key is not None:
        wanted = wanted.where(Timer.subject_key == subject_key)
    if user_id is not None:
        wanted = wanted.where(Timer.user_id == user_id)
    ids = list(session.scalars(wanted.with_for_update(skip_locked=True)))
    if not ids:
        return 0
    session.execute(update(Timer).where(Timer.id.in_(ids), Timer.state == TimerState.PENDING.value)
                    .values(state=TimerState.CANCELLED.value, fired_at=now or utcnow(), outcome="cancelled"))
    return len(ids)
