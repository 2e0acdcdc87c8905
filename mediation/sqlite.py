"""SQLite's side of the engine: connection pragmas, how each transaction begins, its errors, and upkeep.

Writing transactions begin with BEGIN IMMEDIATE, so writers queue for the lock (up to the busy timeout) instead
of failing half-way; reading transactions begin DEFERRED with ``query_only`` on, so they never queue behind a
writer (WAL lets them read alongside it) and a page that was meant to only read cannot write by mistake.

The database file: a connection refuses to work on once the path no longer names the file it opened (``_Files``).
The -shm file: SQLite maps it into memory (MAP_SHARED; no pragma but ``locking_mode=EXCLUSIVE``, which would
shut out every other connection, avoids that). If another program truncates it while the server runs, the next
access to a mapped page kills the process with SIGBUS. A full disk or a read-only -shm does not: SQLite reports
those as errors (disk I/O, read-only). So at start every file must be writable (``check_files``), and before each
transaction a connection that mapped the file checks it did not shrink, and refuses (503) instead of crashing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from mediation.errors import DatabaseBusy, DatabaseUnreachable, StorageUnavailable, Unavailable

log = logging.getLogger(__name__)

READ_ONLY = "mediation_read_only"  # the execution option that asks for a reading transaction
# The execution option of a migration's transaction: SQLite's own recipe for changing a table others point at
# (https://sqlite.org/lang_altertable.html#otheralter) turns foreign keys off before BEGIN, so copying and
# renaming a referenced table (Alembic's batch mode) does not trip over the rows that point at it, and checks
# every key before the commit instead (mediation.schema).
SCHEMA_CHANGE = "mediation_schema_change"
OPTIMIZE_EVERY_SECONDS = 3600.0
_QUERY_ONLY = "mediation.query_only"  # whether query_only is on, per DBAPI connection
_MAPPED = "mediation.shm_mapped"  # whether this DBAPI connection ran a transaction, so mapped the -shm file
_OPENED = "mediation.opened"  # the (device, inode) of the database file when this DBAPI connection opened it
SHM_REGION = 32 * 1024  # SQLite maps its -shm file (the WAL index) in regions of 32 KiB

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


def refused_a_write(error: BaseException) -> bool:
    """SQLite's "attempt to write a readonly database": in a reading transaction, code that tried to write."""
    return isinstance(error, sqlite3.Error) and (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF == _READONLY


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


def companion_files(database: Path) -> tuple[Path, Path]:
    """The -wal and -shm files SQLite keeps beside the database in WAL mode."""
    return database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")


def check_files(database: Path) -> None:
    """Refuse to start on a database, -wal or -shm file this process cannot write (a read-only mount, another
    owner): SQLite would open it read-only and every change would fail. Missing files are fine (created later).

    Only ``access`` and ``stat``, never ``open``: closing any descriptor of a file drops every POSIX lock this
    process holds on it, the locks of its SQLite connections included.
    """
    for path in (database, *companion_files(database)):
        if not os.path.lexists(path):
            continue
        if os.path.islink(path) or not os.path.isfile(path):
            raise StorageUnavailable("%(path)s is not a regular file; SQLite needs to write the database and its -wal "
                                     "and -shm files", path=str(path))
        if not os.access(path, os.R_OK | os.W_OK):
            problem = "read-only file system" if _on_read_only_mount(path) else "permission denied"
            raise StorageUnavailable("%(path)s cannot be opened for writing (%(problem)s); SQLite needs to write the "
                                     "database and its -wal and -shm files", path=str(path), problem=str(problem))


def _on_read_only_mount(path: Path) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _shared_memory_shrunk(shm: Path) -> bool:
    """The -shm file got smaller than what every open connection maps: someone truncated it (or swapped it).

    SQLite maps that file into memory; touching a mapped page past its end kills the process with SIGBUS.
    """
    try:
        return os.stat(shm).st_size < SHM_REGION
    except FileNotFoundError:
        return False  # deleted: the mapping still holds the old file, nothing crashes


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

    def optimize(self, driver: sqlite3.Connection, info: dict[str, Any], *, then_checkpoint: bool = False) -> None:
        try:
            _set_query_only(driver, info, False)
            driver.execute("PRAGMA busy_timeout=0")
            driver.execute("PRAGMA analysis_limit=400")
            driver.execute("PRAGMA optimize")
            if then_checkpoint:
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as error:
            log.info("PRAGMA optimize skipped: %s", error)
        finally:
            with contextlib.suppress(sqlite3.Error):
                driver.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return status.st_dev, status.st_ino


class _Files:
    """The database file as each connection opened it, and its -shm file: what a transaction must still find.

    SQLite keeps an open file: deleted or replaced, it still answers every write with success, and all of it is
    gone at the next start. So before each transaction (one ``stat``) the connection checks the path is still the
    very file it opened, and refuses otherwise; and once the engine has worked on a file, a missing file is never
    created again empty by a new connection.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.shm = companion_files(database)[1]
        self.worked_on = False

    def before_connect(self) -> None:
        if self.worked_on and not self.database.exists():
            raise self._gone()

    def opened(self, info: dict[str, Any]) -> None:
        info[_OPENED] = _identity(self.database)
        self.worked_on = True

    def check(self, info: dict[str, Any]) -> None:
        if _identity(self.database) != info.get(_OPENED):
            raise self._gone()
        if info.get(_MAPPED) and _shared_memory_shrunk(self.shm):
            raise StorageUnavailable("SQLite's shared-memory file %(shm)s was truncated under the running server; "
                                     "restart the server (and keep other programs away from that file)",
                                     shm=str(self.shm))
        info[_MAPPED] = True

    def _gone(self) -> StorageUnavailable:
        return StorageUnavailable("The database file %(path)s disappeared or was replaced under the running "
                                  "server; nothing can be read or saved until the server is restarted on the right "
                                  "file. Tell the server's operator.", path=str(self.database))


def configure(engine: Engine, busy_timeout_ms: int, synchronous: str, database: Path | None = None) -> None:
    """``database`` is the file behind the engine (None in memory), watched as ``_Files`` says."""
    upkeep = _Upkeep(busy_timeout_ms)
    files = _Files(database) if database is not None else None

    @event.listens_for(engine, "do_connect")
    def before_connect(*_args: Any) -> None:
        if files is not None:
            try:
                files.before_connect()
            except StorageUnavailable as error:  # wrapped like a driver's error, so any caller can handle it
                raise OperationalError("connect", None, error) from None

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL by default: in WAL mode, NORMAL may lose the last commits on power loss (never corrupts).
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")  # deleted content is zeroed, never left in free pages
        except sqlite3.Error as error:
            raise OperationalError("PRAGMA (on connect)", None, error) from None
        finally:
            cursor.close()
        if files is not None:
            files.opened(record.info)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to the driver: this runs once per transaction, and the statements need no SQLAlchemy help.
        proxied = connection.connection
        driver = proxied.driver_connection
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        try:
            if files is not None:
                files.check(proxied.info)
        except StorageUnavailable as error:
            raise OperationalError("BEGIN", None, error) from None
        try:
            _set_query_only(driver, proxied.info, read_only)
            if connection.get_execution_options().get(SCHEMA_CHANGE):
                driver.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: hence here
            driver.execute("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
        except sqlite3.Error as error:  # as SQLAlchemy would have wrapped it, for ``mediation.db.unavailable``
            raise OperationalError("BEGIN", None, error) from None

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None and upkeep.due():
            upkeep.optimize(dbapi_connection, record.info)

    @event.listens_for(engine, "close")
    def on_close(dbapi_connection: Any, record: Any) -> None:
        if files is not None and _shared_memory_shrunk(files.shm):
            # Closing reads the mapping (a last checkpoint): give it back pages (zeros, which SQLite takes as an
            # index to rebuild from the WAL) rather than die with SIGBUS on the way out.
            with contextlib.suppress(OSError):
                os.truncate(files.shm, SHM_REGION * 8)
            return
        # And leave no log behind the statistics (a purge truncates the log so no copy of a key stays in it).
        upkeep.optimize(dbapi_connection, record.info, then_checkpoint=True)
