"""Engine, session and transaction plumbing for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode and starts every writing transaction with BEGIN IMMEDIATE, so two writers queue up
instead of failing half-way (see ``mediation.sqlite``); PostgreSQL relies on the case's version column to detect
lost updates, and on one lock order (a case row before its chain heads) to never deadlock.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, Table, create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from config import SettingsError
from mediation import sqlite
from mediation.errors import (
    Conflict,
    DatabaseBusy,
    DatabaseUnreachable,
    InvalidInput,
    StorageUnavailable,
    Unavailable,
)
from mediation.schema import sqlite_file

log = logging.getLogger(__name__)

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


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000, sqlite_synchronous: str = "FULL",
                **options: Any) -> Engine:
    """Create an engine with the project's connection settings for either database.

    A URL that is not a database URL (or names a driver that is not installed) is a SettingsError, said in
    one line, not a traceback.
    """
    try:
        if url.startswith("sqlite"):
            if sqlite_synchronous not in {"FULL", "NORMAL", "EXTRA"}:
                raise SettingsError(f"unknown SQLite synchronous mode {sqlite_synchronous!r}")
            engine = create_engine(url, **options)
            sqlite.configure(engine, sqlite_busy_timeout_ms, sqlite_synchronous, sqlite_file(url))
            return engine
        options.setdefault("pool_pre_ping", True)
        return create_engine(url, **options)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        if isinstance(error, SettingsError):
            raise
        raise SettingsError(f"MEDIATION_DATABASE_URL is not a usable database URL ({error}); it looks like "
                            "sqlite:////path/to/mediation.db or postgresql+psycopg://user@host/name") from None


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


class RaceLost(Conflict):
    """Two transactions created the same first row at once (a chain head, a counter, a data key): running the
    call again sees the winner's row and succeeds."""


# Unique constraints that two concurrent writers can trip; any other integrity error is a bug and propagates.
_RACE_MARKERS = (
    "uq_audit_entries_chain_seq", "audit_entries.chain, audit_entries.seq",
    "pk_case_reference_counters", "case_reference_counters.year",
    "uq_users_username", "users.username",
    "pk_audit_chain_heads", "audit_chain_heads.chain",
    "pk_case_keys", "case_keys.case_id",
    "pk_two_factor_credentials", "two_factor_credentials.user_id",
)
# PostgreSQL SQLSTATEs: lost a deadlock or a serialisation race, a lock not granted, too many connections.
_PG_BUSY = frozenset({"40P01", "40001", "55P03", "53300"})
_PG_DISK_FULL = "53100"


def unavailable(error: DBAPIError) -> Unavailable | None:
    """The clear error a database failure stands for, or None when it is a bug to be seen as one."""
    if isinstance(error.orig, Unavailable):  # raised by a connection hook (mediation.sqlite), wrapped on its way
        return error.orig
    found = sqlite.failure(error.orig)
    if found is not None:
        return found
    state = str(getattr(error.orig, "sqlstate", None) or "")
    if state in _PG_BUSY:
        return DatabaseBusy()
    if state == _PG_DISK_FULL:
        return StorageUnavailable("The database server's disk is full; nothing was saved. Tell the server's "
                                  "operator.")
    lost = error.connection_invalidated or state.startswith(("08", "57P"))
    # A PostgreSQL driver error without a SQLSTATE is a failure to connect or to talk to the server.
    if lost or (isinstance(error, OperationalError) and not state and not isinstance(error.orig, sqlite3.Error)):
        return DatabaseUnreachable()
    return None


def _connection(engine: Engine, read_only: bool) -> Connection:
    connection = engine.connect()
    if read_only:
        options: dict[str, Any] = {sqlite.READ_ONLY: True}
        if engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        connection = connection.execution_options(**options)
    return connection


@contextmanager
def transaction(engine: Engine, factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """Run one service call as one transaction: everything commits together, or nothing does.

    The transaction is begun on a connection and the session joins it: a service on the hot path can write
    through ``session.connection()`` without paying for the session's own transaction bookkeeping, and ORM
    changes are flushed into the same transaction before it commits. ``read_only`` begins a transaction that
    cannot write (on SQLite it then never waits for a writer).

    A busy or unreachable database, or a full disk, becomes an ``Unavailable`` error that says so; a change
    lost to someone else's becomes a ``Conflict``.
    """
    try:
        with _connection(engine, read_only) as connection, connection.begin():
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
            raise RaceLost("Someone else made a change at the same moment; reload and try again.") from None
        raise
    except DataError as error:
        # Input is checked before any query; this is the net under a check that was forgotten.
        log.warning("a value the database refused reached it unchecked: %s", type(error.orig).__name__)
        raise InvalidInput("A value is too long or holds characters that cannot be stored.") from None
    except DBAPIError as error:
        failure = unavailable(error)
        if failure is None or (read_only and sqlite.refused_a_write(error.orig)):
            raise  # (a reading transaction that tried to write is a bug, not a read-only disk)
        if failure is not error.orig:
            failure.detail = failure.detail or str(error.orig)
        raise failure from None
