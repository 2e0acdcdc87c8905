"""Backup, restore and fsck through the command line.

A backup of SQLite is a consistent private copy; a restore brings the old state back, and refuses (replacing
nothing) a file that is not a database of this application, one of a schema newer than the code, or one whose
data keys do not all open with the current keyring. PostgreSQL is pointed at pg_dump. ``fsck`` removes what
interrupted uploads and purges leave in the blob folder, never an upload in progress, and reports rows whose
file is missing.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mediation import backup as backups
from mediation.crypto.keyring import new_kek, read_keyring
from mediation.db import make_engine, utcnow
from mediation.models import Case, CaseKey, Message
from mediation.schema import migrate, sqlite_file
from mediation.services import messages, notes
from mediation.services.lookup import find_case
from tests.integration.test_key_management import Cli, _next_request
from workflows.vocabulary import CaseState, Modality, Side

WEBM = b"\x1a\x45\xdf\xa3"


@pytest.fixture
def cli(environment, runtime) -> Cli:
    command = Cli(environment)
    command.ok("init")
    return command


@pytest.fixture
def sqlite_only(database_url: str) -> Path:
    path = sqlite_file(database_url)
    if path is None:
        pytest.skip("SQLite files; PostgreSQL is backed up with pg_dump (tested below)")
    return path


def _note(runtime, actors, reference: str, text: str) -> None:
    with runtime.transaction() as session:
        notes.add_assessment_note(session, runtime.vault, actors.mediator, reference, text=text)


def _notes(runtime, actors, reference: str) -> list[str]:
    with runtime.transaction() as session:
        return [n.text for n in notes.assessment_notes(session, runtime.vault, actors.mediator, reference)]


def _references(runtime) -> list[str]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Case.reference).order_by(Case.reference)))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- backup and restore ----------------------------------------------------------------------------------------

def test_a_backup_restores_the_state_it_was_taken_in(cli, runtime, actors, make_case, sqlite_only, tmp_path):
    first = make_case(CaseState.ASSESSMENT)
    _note(runtime, actors, first, "Before the backup")
    target = tmp_path / "backups" / "mediation-1.db"
    target.parent.mkdir()
    assert f"database copied to {target} (mode 0600)" in cli.ok("backup", target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(target.parent) == []

    make_case(CaseState.REQUESTED)
    _note(runtime, actors, first, "After the backup")
    assert len(_references(runtime)) == 2

    restored = cli.ok("restore", target)
    assert f"restored {target}: 1 data key(s), all opening with the keyring" in restored
    assert _references(runtime) == [first]
    assert _notes(runtime, actors, first) == ["Before the backup"]
    assert cli.ok("verify-audit").startswith("audit log intact")
    assert _leftovers(sqlite_only.parent) == []
    # ... and the running process writes on into the restored database, not into a file that was replaced.
    _note(runtime, actors, first, "After the restore")
    assert _notes(runtime, actors, first) == ["Before the backup", "After the restore"]


def test_a_backup_made_under_a_retired_kek_is_refused_and_nothing_is_replaced(cli, runtime, actors, make_case,
                                                                             sqlite_only, tmp_path):
    reference = make_case(CaseState.ASSESSMENT)
    _note(runtime, actors, reference, "Sealed under the first KEK")
    old = read_keyring(runtime.settings.keyring_file, None).active
    cli.ok("backup", tmp_path / "old.db")
    cli.ok("keys", "rotate")
    _next_request(runtime)
    cli.ok("keys", "retire", old)
    runtime.engine.dispose()
    before = _digest(sqlite_only)

    refusal = cli.refused("restore", tmp_path / "old.db")
    assert refusal == (f"Error: the copy's data keys do not all open with the current keyring (1 under {old}): it "
                       "was made with another keyring; restore the keyring that goes with it first")
    assert _digest(sqlite_only) == before
    assert _leftovers(sqlite_only.parent) == []
    assert _notes(runtime, actors, reference) == ["Sealed under the first KEK"]


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"these are not the pages of a database " * 100)


def _another_application(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    connection.close()


def _a_newer_schema(path: Path) -> None:
    _another_application(path)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
    connection.close()


@pytest.mark.parametrize(("make", "message"), [
    (_not_a_database, "is not a usable SQLite database (file is not a database)"),
    (_another_application, "the file is an SQLite database but not one of this application (no schema revision)"),
    (_a_newer_schema, "the copy's schema is at revision 9999, which this version of the application does not know"),
])
def test_a_file_that_is_not_a_backup_of_this_application_is_refused(cli, runtime, make_case, sqlite_only, tmp_path,
                                                                     make, message):
    make_case()
    runtime.engine.dispose()
    candidate = tmp_path / "candidate.db"
    make(candidate)
    before = _digest(sqlite_only)
    assert message in cli.refused("restore", candidate)
    assert _digest(sqlite_only) == before
    assert _leftovers(sqlite_only.parent) == []
    assert "no backup file at" in cli.refused("restore", tmp_path / "absent.db")


def test_a_backup_of_an_older_schema_is_migrated_as_it_is_restored(cli, runtime, sqlite_only, tmp_path):
    older = tmp_path / "older.db"
    engine = make_engine(f"sqlite:///{older}")
    migrate(engine, "0005")
    engine.dispose()
    restored = cli.ok("restore", older)
    assert "migrated from revision 0005" in restored
    assert cli.ok("keys", "status") is not None  # the schema is current: commands run


def test_a_restore_into_a_missing_database_puts_the_copy_in_place(cli, runtime, actors, make_case, sqlite_only,
                                                                 tmp_path):
    reference = make_case()
    cli.ok("backup", tmp_path / "copy.db")
    runtime.engine.dispose()
    sqlite_only.rename(tmp_path / "lost.db")
    stale_log = sqlite_only.with_name(sqlite_only.name + "-wal")
    stale_log.write_bytes(b"a log that belonged to the lost database")
    cli.ok("restore", tmp_path / "copy.db")
    assert not stale_log.exists() or stale_log.read_bytes() != b"a log that belonged to the lost database"
    assert _references(runtime) == [reference]


def test_a_restore_that_fails_half_way_leaves_the_database_and_no_copy(runtime, make_case, sqlite_only, tmp_path,
                                                                       monkeypatch):
    make_case()
    good = tmp_path / "good.db"
    backups.backup(runtime.settings, good)
    make_case()
    runtime.engine.dispose()
    before = _digest(sqlite_only)

    def power_cut(_path: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(backups, "_fsync_file", power_cut)
    with pytest.raises(OSError, match="Input/output error"):
        backups.restore(runtime.settings, good, runtime.vault.keyring)
    assert _digest(sqlite_only) == before
    assert _leftovers(sqlite_only.parent) == []


def test_postgresql_is_pointed_at_pg_dump(cli, runtime, database_url, tmp_path):
    if sqlite_file(database_url) is not None:
        pytest.skip("PostgreSQL only")
    for command in (["backup", tmp_path / "x.db"], ["restore", tmp_path / "x.db"]):
        assert "back it up and restore it with pg_dump and pg_restore" in cli.refused(*command)
    assert not (tmp_path / "x.db").exists()


def test_keys_check_opens_every_data_key(cli, runtime, actors, make_case):
    _note(runtime, actors, make_case(CaseState.ASSESSMENT), "A note")
    assert cli.ok("keys", "check") == "all 1 data key(s) open with this keyring\n"
    current = read_keyring(runtime.settings.keyring_file, None)
    lost = current.with_new_active(*new_kek()).without(current.active)  # the KEK that wraps the key is gone
    other = Cli({**cli.environment, "MEDIATION_KEYRING": lost.to_json()})
    assert "1 of 1 data key(s) do not open with this keyring" in other.refused("keys", "check")


# --- fsck --------------------------------------------------------------------------------------------------------

def _video(runtime, actors, make_case) -> tuple[str, Path]:
    """A video message stored through the services; its reference and encrypted file."""
    reference = make_case(CaseState.DIALOGUE_VIDEO, modality=Modality.VIDEO)
    with runtime.transaction() as session:
        for participant in find_case(session, actors.mediator, reference).participants:
            if participant.side == Side.HARMED:
                participant.user_id = actors.harmed_user.id
    received = runtime.blobs.receive(io.BytesIO(WEBM + os.urandom(3000)), limit=10_000)
    with runtime.transaction() as session:
        messages.submit_video_message(session, runtime.vault, actors.harmed_user, reference, received=received)
    return reference, runtime.blobs.path(received.blob_id)


def _aged(path: Path, seconds: float) -> Path:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))
    return path


def _stray(runtime, name: str, age: float) -> Path:
    folder = runtime.settings.blob_dir / name[:2]
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / name
    path.write_bytes(os.urandom(100))
    return _aged(path, age)


def test_fsck_removes_what_interrupted_uploads_left_and_spares_uploads_in_progress(cli, runtime, actors, make_case):
    _, kept = _video(runtime, actors, make_case)
    stale_part = _stray(runtime, "ab" + "1" * 30 + ".part", 2 * 3600)
    live_part = _stray(runtime, "ab" + "2" * 30 + ".part", 60)
    orphan = _stray(runtime, "cd" + "3" * 30 + ".rjs", 2 * 3600)
    young_orphan = _stray(runtime, "cd" + "4" * 30 + ".rjs", 60)  # an upload about to be recorded
    unknown = runtime.settings.blob_dir / "README.txt"
    unknown.write_text("not ours")

    dry = cli.ok("fsck", "--dry-run")
    assert sorted(dry.splitlines()) == sorted([
        f"would remove unfinished upload: {stale_part}", f"would remove file with no row: {orphan}",
        f"found file that is not the application's: {unknown}"])
    assert stale_part.exists() and orphan.exists()

    done = cli.ok("fsck")
    assert f"removed unfinished upload: {stale_part}" in done and f"removed file with no row: {orphan}" in done
    assert not stale_part.exists() and not orphan.exists()
    assert live_part.exists() and young_orphan.exists() and kept.exists() and unknown.exists()


def test_fsck_reports_a_missing_file_and_finishes_an_interrupted_purge(cli, runtime, actors, make_case):
    reference, path = _video(runtime, actors, make_case)
    path.unlink()
    result = cli("fsck")
    assert result.exit_code == 3
    assert f"found row whose file is missing: {path.stem}" in result.output
    assert "restore the blob folder from the backup made with the database" in result.output

    reference, path = _video(runtime, actors, make_case)
    with runtime.transaction() as session:  # a purge that stopped after its transaction, before deleting files
        case_id = session.scalar(select(Case.id).where(Case.reference == reference))
        session.execute(update(CaseKey).where(CaseKey.case_id == case_id)
                        .values(wrapped_key=None, kek_id=None, destroyed_at=utcnow()))
        assert session.scalar(select(Message.blob_id).where(Message.case_id == case_id)) == path.stem
    assert f"removed file of a purged case: {path}" in cli("fsck").output
    assert not path.exists()
