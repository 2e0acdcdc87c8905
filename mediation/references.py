"""Human case references like RO-2026-00042: a counter per year, incremented inside the transaction."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from mediation.models import CaseReferenceCounter

PREFIX = "RO"


def next_reference(session: Session, year: int, prefix: str = PREFIX) -> str:
    """Take the next number for ``year``; the row lock (or SQLite's write lock) keeps numbers unique. Every
    programme draws from the one counter, under its own ``prefix`` (mediation.services.programme_cases)."""
    number = session.execute(
        update(CaseReferenceCounter).where(CaseReferenceCounter.year == year)
        .values(last_number=CaseReferenceCounter.last_number + 1).returning(CaseReferenceCounter.last_number)
    ).scalar_one_or_none()
    if number is None:
        number = 1
        session.execute(insert(CaseReferenceCounter).values(year=year, last_number=number))
    return f"{prefix}-{year}-{number:05d}"
