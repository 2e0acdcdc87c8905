"""Transactions that say what went wrong: busy, unreachable, storage gone; reading transactions that cannot
write and never wait for a writer; SQLite kept analysed; and a truncated -shm file that no longer kills the
process with SIGBUS."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from mediation.errors import DatabaseBusy, DatabaseUnreachable, StorageUnavailable
from mediation.models import User
from mediation.runtime import open_runtime
from mediation.schema import sqlite_file
from mediation.services import users
from mediation.sqlite import SHM_REGION, check_files, companion_files


def sqlite_only(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("about SQLite's own files and locks")


def test_a_write_lock_held_elsewhere_is_a_busy_error_not_an_unbound_local(runtime, database_url) -> None:
    """BEGIN IMMEDIATE fails after the busy timeout: the caller gets DatabaseBusy (once: UnboundLocalError)."""
    sqlite_only(database_url)
    impatient = open_runtime(replace(runtime.settings, sqlite_busy_timeout_ms=20))
    holder = sqlite3.connect(sqlite_file(database_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy, match="try again in a moment"), impatient.transaction() as session:
            users.create_user(session, None, username="never.made", display_name="Never", role="staff",
                              password=None)
        with impatient.transaction(read_only=True) as session:  # reading does not wait for the writer
            assert session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.close()


def test_a_reading_transaction_cannot_write(runtime) -> None:
    """A service wrongly called as a read fails loudly, on both databases, instead of writing."""
    with pytest.raises(DBAPIError), runtime.transaction(read_only=True) as session:
        users.create_user(session, None, username="no.write", display_name="No", role="staff", password=None)
    with runtime.transaction() as session:  # the same pooled connection writes again afterwards
        users.create_user(session, None, username="yes.write", display_name="Yes", role="staff", password=None)
    with runtime.transaction(read_only=True) as session:
        assert list(session.scalars(select(User.username))) == ["yes.write"]


def test_an_unreachable_database_is_said_to_be_unreachable(runtime) -> None:
    unreachable = open_runtime(replace(runtime.settings,
                                       database_url="postgresql+psycopg://postgres@127.0.0.1:9/mediation"))
    try:
        with pytest.raises(DatabaseUnreachable), unreachable.transaction(read_only=True) as session:
            session.connection().execute(text("SELECT 1"))
    finally:
        unreachable.close()


def test_writes_are_refused_once_the_instance_folder_is_gone(runtime) -> None:
    with runtime.transaction() as session:
        users.create_user(session, None, username="before", display_name="Before", role="staff", password=None)
    shutil.rmtree(runtime.settings.instance_dir)
    with pytest.raises(StorageUnavailable, match="instance folder"), runtime.transaction() as session:
        users.create_user(session, None, username="after", display_name="After", role="staff", password=None)
    with runtime.transaction(read_only=True) as session:
        assert list(session.scalars(select(User.username))) == ["before"]


def test_sqlite_statistics_are_gathered_without_anyone_running_analyze(runtime, actors, make_case,
                                                                        database_url) -> None:
    """PRAGMA optimize runs on a connection going back to the pool (hourly) and on every connection closed."""
    sqlite_only(database_url)
    make_case()
    runtime.close()
    with sqlite3.connect(sqlite_file(database_url)) as connection:
        analysed = {row[0] for row in connection.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
    assert analysed & {"cases", "participants", "audit_entries", "users"}  # what these connections queried


def test_startup_refuses_a_shm_file_it_cannot_write(runtime, database_url) -> None:
    """A read-only -shm (here a read-only bind mount, when this machine lets a test make one) is refused at
    start, with the file named, instead of a server whose every change fails."""
    sqlite_only(database_url)
    database = sqlite_file(database_url)
    assert database is not None
    shm = companion_files(database)[1]
    shm.write_bytes(b"\0" * SHM_REGION)
    code = ("import sys; from pathlib import Path; from mediation.sqlite import check_files; "
            "check_files(Path(sys.argv[1]))")
    mount = 'mount --bind "$3" "$3" && mount -o remount,bind,ro "$3"'
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "sh", "-c", mount, "sh", "", "", str(shm)],
                                                         check=False, capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only bind mount here (needs root and unshare)")
    result = subprocess.run(["unshare", "-m", "sh", "-c", f'{mount} && exec "$0" -c "$1" "$2"', sys.executable, code,
                             str(database), str(shm)], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"StorageUnavailable: {shm} cannot be opened for writing (read-only file system)" in result.stderr
    check_files(database)  # outside that mount namespace, the same file is fine


SIGBUS_PROGRAM = textwrap.dedent("""
    import os, sys
    from dataclasses import replace
    from config import load_settings
    from mediation.errors import StorageUnavailable
    from mediation.runtime import open_runtime
    from sqlalchemy import text

    settings = load_settings({"MEDIATION_DATABASE_URL": sys.argv[1], "MEDIATION_INSTANCE_DIR": sys.argv[2],
                              "MEDIATION_ENV": "test"})
    runtime = open_runtime(settings)
    with runtime.transaction() as session:
        session.connection().execute(text("SELECT count(*) FROM users"))
    os.truncate(sys.argv[1].removeprefix("sqlite:///") + "-shm", 0)  # another program, under the server
    for read_only in (True, False):
        try:
            with runtime.transaction(read_only=read_only) as session:
                session.connection().execute(text("SELECT count(*) FROM users"))
            print("served")
        except StorageUnavailable as error:
            print("refused:", error)
    runtime.close()
    print("closed")
""")


def test_a_shm_file_truncated_under_the_server_is_refused_instead_of_killing_it(runtime, database_url) -> None:
    """Without the check, the next transaction touches a mapped page past the end of the file: SIGBUS (-7)."""
    sqlite_only(database_url)
    result = subprocess.run([sys.executable, "-c", SIGBUS_PROGRAM, database_url,
                             str(runtime.settings.instance_dir)], check=False, capture_output=True, text=True,
                            timeout=60, cwd=Path(__file__).parents[2], env={**os.environ, "PYTHONPATH": "."})
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[-1] == "closed", lines
    assert all(line.startswith("refused: SQLite's shared-memory file") and "restart the server" in line
               for line in lines[:2])
    with sqlite3.connect(sqlite_file(database_url)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
