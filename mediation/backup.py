"""Backing up and restoring an SQLite database while the application runs (PostgreSQL: see the README's
``pg_dump`` recipe), and emptying SQLite's write-ahead log after a purge.

A backup is taken with SQLite's backup API: a consistent copy even while the server writes. A restore checks the
copy before anything is replaced (an SQLite database, intact, of a schema revision this code knows, every live
data key opening with the current keyring), prepares it beside the database and flushes it to the disk, then
swaps it in: by a rename when there is no database, and otherwise with the backup API into the live database,
which SQLite writes as one transaction. Renaming over a database a server has open would lose everything that
server writes afterwards (into the unlinked file) and could replay its old write-ahead log onto the new file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine

from config import Settings
from mediation.crypto.keyring import Keyrings
from mediation.db import make_engine
from mediation.errors import InvalidInput
from mediation.fileio import fsync_folder, temporary_beside
from mediation.schema import alembic_config, migrate, sqlite_file
from mediation.services import keys as keyservice
from mediation.storage_guard import make_private_folder
from workflows.words import Words

POSTGRES_ADVICE = Words("this database is PostgreSQL: back it up and restore it with pg_dump and pg_restore as the "
                        "README's 'Backup and restore' section shows")


def checkpoint_wal(engine: Engine) -> bool | None:
    """Copy SQLite's write-ahead log into the database and truncate it, so that what a purge overwrote no longer
    lingers in the log. Returns whether it completed (False while a reader holds an old snapshot), None on
    PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return None
    connection = engine.raw_connection()
    try:
        busy, _frames, _copied = connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return busy == 0


def _sqlite_path(settings: Settings) -> Path:
    path = sqlite_file(settings.database_url)
    if path is None:
        if settings.uses_sqlite:
            raise InvalidInput("an in-memory database cannot be backed up or restored")
        raise InvalidInput(POSTGRES_ADVICE)
    return path


@contextlib.contextmanager
def _connect(path: Path, *, timeout_ms: int, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    target = f"file:{path}?mode=ro" if read_only else str(path)
    connection = sqlite3.connect(target, uri=read_only, timeout=timeout_ms / 1000, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def _new_private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # never world-readable, even briefly


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_quietly(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                     path.with_name(path.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _copy(source: sqlite3.Connection, target: Path, *, timeout_ms: int) -> None:
    """Copy ``source`` into the new private file ``target`` as one self-contained file (no write-ahead log)."""
    _new_private_file(target)
    with _connect(target, timeout_ms=timeout_ms) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        problem = copy.execute("PRAGMA quick_check").fetchone()[0]
    if problem != "ok":
        raise InvalidInput("the copy failed SQLite's integrity check: %(problem)s", problem=str(problem))
    _fsync_file(target)


def backup(settings: Settings, target: Path) -> Path:
    """Write a consistent copy of the SQLite database to ``target`` (mode 0600), replacing it whole."""
    database = _sqlite_path(settings)
    if not database.exists():
        raise InvalidInput("there is no database at %(database)s", database=str(database))
    target = target.expanduser().absolute()
    if target == database:
        raise InvalidInput("the backup cannot replace the database itself")
    if not target.parent.is_dir():
        raise InvalidInput("the folder %(parent)s does not exist", parent=str(target.parent))
    staged = temporary_beside(target)
    try:
        with _connect(database, timeout_ms=settings.sqlite_busy_timeout_ms) as source:
            _copy(source, staged, timeout_ms=settings.sqlite_busy_timeout_ms)
        staged.replace(target)
    finally:
        _remove_quietly(staged)
    fsync_folder(target.parent)
    return target


@dataclass(frozen=True)
class Restored:
    revision_then: str
    migrated: bool
    data_keys: int


def _revision(path: Path, *, timeout_ms: int) -> str:
    with _connect(path, timeout_ms=timeout_ms) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            raise InvalidInput("the file is an SQLite database but not one of this application (no schema "
                               "revision)") from None
    if row is None:
        raise InvalidInput("the file is an SQLite database without a schema revision; it was never initialised")
    return str(row[0])


def _check_staged(staged: Path, keyring: Keyrings, *, timeout_ms: int) -> Restored:
    """Refuse the copy unless its schema is known (migrating it if older) and every live data key opens."""
    revision = _revision(staged, timeout_ms=timeout_ms)
    engine = make_engine(f"sqlite:///{staged}", sqlite_busy_timeout_ms=timeout_ms)
    try:
        scripts = ScriptDirectory.from_config(alembic_config(engine))
        try:
            known = scripts.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise InvalidInput("the copy's schema is at revision %(revision)s, which this version of the application "
                               "does not know (it was made by a newer version)", revision=str(revision))
        head = scripts.get_current_head()
        if revision != head:
            migrate(engine)
        failing = keyservice.unopenable_data_keys(engine, keyring)
        if failing:
            named = ", ".join(f"{count} under {kek}" for kek, count in sorted(failing.items()))
            raise InvalidInput("the copy's data keys do not all open with the current keyring (%(named)s): it was "
                               "made with another keyring; restore the keyring that goes with it first", named=named)
        data_keys = keyservice.live_data_keys(engine)
    finally:
        engine.dispose()
    with _connect(staged, timeout_ms=timeout_ms) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    _fsync_file(staged)
    return Restored(revision, revision != head, data_keys)


def restore(settings: Settings, source: Path, keyring: Keyrings) -> Restored:
    """Replace the SQLite database with the backup ``source`` once the copy passed every check."""
    database = _sqlite_path(settings)
    source = source.expanduser().absolute()
    if source == database:
        raise InvalidInput("the backup to restore is the database itself")
    if not source.is_file():
        raise InvalidInput("there is no backup file at %(source)s", source=str(source))
    timeout = settings.sqlite_busy_timeout_ms
    make_private_folder(database.parent)
    staged = temporary_beside(database)
    try:
        try:
            with _connect(source, timeout_ms=timeout, read_only=True) as backup_file:
                _copy(backup_file, staged, timeout_ms=timeout)
        except sqlite3.DatabaseError as error:
            raise InvalidInput("%(source)s is not a usable SQLite database (%(error)s)",
                               source=str(source), error=str(error)) from None
        restored = _check_staged(staged, keyring, timeout_ms=timeout)
        if database.exists():
            _replace_live(staged, database, timeout_ms=timeout)
        else:
            for stale in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()  # a log without its database would be replayed onto the restored file
            staged.replace(database)
            fsync_folder(database.parent)
    finally:
        _remove_quietly(staged)
    return restored


def _replace_live(staged: Path, database: Path, *, timeout_ms: int) -> None:
    """Write the checked copy into the live database in one SQLite transaction; a running server sees either
    the old database or the restored one, never a mix, and keeps writing to the right file."""
    try:
        with _connect(staged, timeout_ms=timeout_ms, read_only=True) as copy, \
                _connect(database, timeout_ms=timeout_ms) as live:
            copy.backup(live)
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError as error:
        raise InvalidInput("the current database %(database)s cannot be written to (%(error)s); if it is damaged, "
                           "move it aside with its -wal and -shm files and run the restore again",
                           database=str(database), error=str(error)) from None
