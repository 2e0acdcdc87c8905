"""Engine, session and transaction plumbing for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode and starts every writing transaction with BEGIN IMMEDIATE, so two writers queue up
instead of failing half-way; PostgreSQL relies on the case's version column to detect lost updates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from mediation.errors import Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000, **options: Any) -> Engine:
    """Create an engine with the project's connection settings for either database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **options)
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit so a caller can render what a service returned.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


# Unique constraints that two concurrent writers can trip; any other integrity error is a bug and propagates.
_RACE_MARKERS = (
    "uq_audit_entries_chain_seq", "audit_entries.chain, audit_entries.seq",
    "pk_case_reference_counters", "case_reference_counters.year",
    "uq_users_username", "users.username",
)


def _is_busy(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "could not serialize" in text or "deadlock" in text


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Run one service call as one transaction: everything commits together, or nothing does."""
    session = factory()
    try:
        with session.begin():
            yield session
    except StaleDataError:
        raise Conflict("Someone else changed this case at the same moment; reload it and try again.") from None
    except IntegrityError as error:
        if any(marker in str(error.orig) for marker in _RACE_MARKERS):
            raise Conflict("Someone else made a change at the same moment; reload and try again.") from None
        raise
    except OperationalError as error:
        if _is_busy(error):
            raise Conflict("The database is busy with another change; try again in a moment.") from None
        raise
    finally:
        session.close()
