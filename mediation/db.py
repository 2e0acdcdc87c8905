"""Engine, session and transaction plumbing for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode and starts every writing transaction with BEGIN IMMEDIATE, so two writers queue up
instead of failing half-way; PostgreSQL relies on the case's version column to detect lost updates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, event
from sqlalchemy.engine import Connection, Engine
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


def table(name: str) -> Table:
    """A mapped table, typed as a Table (``Model.__table__`` is typed as a plain FromClause)."""
    return Base.metadata.tables[name]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL by default: in WAL mode, NORMAL may lose the last commits on power loss (never corrupts).
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted and overwritten content is zeroed, not left in free pages
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to the driver: this runs once per transaction, and the statement needs no SQLAlchemy help.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000, sqlite_synchronous: str = "FULL",
                **options: Any) -> Engine:
    """Create an engine with the project's connection settings for either database."""
    if url.startswith("sqlite"):
        if sqlite_synchronous not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError(f"unknown SQLite synchronous mode {sqlite_synchronous!r}")
        engine = create_engine(url, **options)
        _configure_sqlite(engine, sqlite_busy_timeout_ms, sqlite_synchronous)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


class JoinedSession(Session):
    """A session joined to a transaction already begun on its connection (see ``transaction``).

    ``connection()`` hands back that connection directly: Core statements on the hot path then skip the
    session's own transaction bookkeeping, while ORM work in the same session runs on the same connection and
    in the same database transaction.
    """

    def connection(self, bind_arguments: Any = None, execution_options: Any = None) -> Connection:
        if bind_arguments is None and execution_options is None and isinstance(self.bind, Connection):
            return self.bind
        return super().connection(bind_arguments=bind_arguments, execution_options=execution_options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that join a transaction begun on a connection (see ``transaction``) and never expire objects,
    so a caller can render what a service returned."""
    return sessionmaker(bind=engine, class_=JoinedSession, expire_on_commit=False, autoflush=False,
                        join_transaction_mode="rollback_only")


# Unique constraints that two concurrent writers can trip; any other integrity error is a bug and propagates.
_RACE_MARKERS = (
    "uq_audit_entries_chain_seq", "audit_entries.chain, audit_entries.seq",
    "pk_case_reference_counters", "case_reference_counters.year",
    "uq_users_username", "users.username",
    "pk_audit_chain_heads", "audit_chain_heads.chain",
    "pk_case_keys", "case_keys.case_id",
    "pk_two_factor_credentials", "two_factor_credentials.user_id",
)


def _is_busy(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "could not serialize" in text or "deadlock" in text


@contextmanager
def transaction(engine: Engine, factory: sessionmaker[Session]) -> Iterator[Session]:
    """Run one service call as one transaction: everything commits together, or nothing does.

    The transaction is begun on a connection and the session joins it: a service on the hot path can write
    through ``session.connection()`` without paying for the session's own transaction bookkeeping, and ORM
    changes are flushed into the same transaction before it commits.
    """
    try:
        with engine.begin() as connection:
            session = factory(bind=connection)
            try:
                yield session
                session.flush()
            finally:
                session.close()
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
