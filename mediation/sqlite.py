"""SQLite's side of the engine: connection pragmas, how each transaction begins, its errors, and upkeep.

Writing transactions begin with BEGIN IMMEDIATE, so writers queue for the lock (up to the busy timeout) instead
of failing half-way; reading transactions begin DEFERRED with ``query_only`` on, so they never queue behind a
writer (WAL lets them read alongside it) and a page that was meant to only read cannot write by mistake.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from mediation.errors import DatabaseBusy, DatabaseUnreachable, StorageUnavailable, Unavailable

log = logging.getLogger(__name__)

READ_ONLY = "mediation_read_only"  # the execution option that asks for a reading transaction
OPTIMIZE_EVERY_SECONDS = 3600.0
_QUERY_ONLY = "mediation.query_only"  # whether query_only is on, per DBAPI connection

# Primary result codes (https://sqlite.org/rescode.html); Python gives them as ``sqlite_errorcode``.
_BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN = 5, 6, 8, 10, 13, 14


def failure(error: BaseException) -> Unavailable | None:
    """The clear error an SQLite failure stands for (busy, gone, full...), or None when it is not one of those."""
    if not isinstance(error, sqlite3.Error):
        return None
    found = _classify(error)
    if found is not None:
        found.detail = str(error)
    return found


def _classify(error: sqlite3.Error) -> Unavailable | None:
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(error).lower()
    if code in (_BUSY, _LOCKED) or "database is locked" in text:
        return DatabaseBusy()
    if code == _FULL or "disk is full" in text:
        return StorageUnavailable("The disk that holds the database is full; nothing was saved. Tell the "
                                  "server's operator.")
    if code == _READONLY:
        return StorageUnavailable("The database cannot be written (its file or folder is read-only); nothing "
                                  "was saved. Tell the server's operator.")
    if code in (_IOERR, _CANTOPEN):
        return DatabaseUnreachable("The database file cannot be opened or read; the service is unavailable.")
    return None


def _set_query_only(driver: sqlite3.Connection, info: dict[str, Any], wanted: bool) -> None:
    """Switch ``query_only`` only when it changes: a run of writes (or of reads) pays for nothing extra."""
    if info.get(_QUERY_ONLY, False) != wanted:
        driver.execute(f"PRAGMA query_only={int(wanted)}")
        info[_QUERY_ONLY] = wanted


class _Upkeep:
    """``PRAGMA optimize`` (which runs ANALYZE where the statistics are missing or stale: a new database, a
    table that grew) once an hour on a connection going back to the pool, and on every connection closed.

    It never waits for a lock: when the database is busy it is simply tried again later.
    """

    def __init__(self, busy_timeout_ms: int) -> None:
        self.busy_timeout_ms = busy_timeout_ms
        self.last_run = float("-inf")
        self.lock = threading.Lock()

    def due(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.last_run < OPTIMIZE_EVERY_SECONDS:
                return False
            self.last_run = now
            return True

    def optimize(self, driver: sqlite3.Connection, info: dict[str, Any]) -> None:
        try:
            _set_query_only(driver, info, False)
            driver.execute("PRAGMA busy_timeout=0")
            driver.execute("PRAGMA analysis_limit=400")
            driver.execute("PRAGMA optimize")
        except sqlite3.Error as error:
            log.info("PRAGMA optimize skipped: %s", error)
        finally:
            with contextlib.suppress(sqlite3.Error):
                driver.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")


def configure(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    upkeep = _Upkeep(busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL by default: in WAL mode, NORMAL may lose the last commits on power loss (never corrupts).
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as error:
            raise failure(error) or error from None
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to the driver: this runs once per transaction, and the statements need no SQLAlchemy help.
        proxied = connection.connection
        driver = proxied.driver_connection
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        try:
            _set_query_only(driver, proxied.info, read_only)
            driver.execute("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise failure(error) or error from None

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None and upkeep.due():
            upkeep.optimize(dbapi_connection, record.info)

    @event.listens_for(engine, "close")
    def on_close(dbapi_connection: Any, record: Any) -> None:
        upkeep.optimize(dbapi_connection, record.info)
