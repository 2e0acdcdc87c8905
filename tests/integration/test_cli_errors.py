"""The command line's error boundary: every failure an operator can cause or meet ends as one clear line on
standard error and exit status 1 (2 for a malformed argument), never a traceback.

Each case runs the real ``mediation`` entry point: in-process through click's CliRunner (an exception escaping
the command fails the test with it), or as a real process where the case needs one (bytes that are not UTF-8 in
argv, a read-only filesystem).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import Result

from mediation.audit.checkpoint import FORMAT
from mediation.keyfiles import load_audit_signing_key
from mediation.schema import sqlite_file
from tests.integration.test_cli import COMMAND, Cli, _isolated, assert_one_line_error

DEEP = "[" * 100_000


@pytest.fixture
def cli(environment: dict[str, str]) -> Cli:
    Cli(environment)("init")
    return Cli(environment)


def assert_usage_error(result: Result | subprocess.CompletedProcess[str], message: str) -> None:
    """Exit status 2, click's usage lines, and the message on the last line; no traceback."""
    code = result.exit_code if isinstance(result, Result) else result.returncode
    assert code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


def run_bytes(environment: dict[str, str], *args: bytes) -> subprocess.CompletedProcess[str]:
    """A real process whose argv holds bytes that are not UTF-8 (a shell passes them through as they are)."""
    env = {k: v for k, v in {**os.environ, **_isolated(environment, {})}.items() if v is not None}
    return subprocess.run([bytes(COMMAND), *args], env=env, capture_output=True, text=True, errors="replace",
                          timeout=120, check=False)


# --- numbers and arguments ----------------------------------------------------------------------------------------


def test_a_retention_beyond_the_calendar_is_a_usage_error(cli) -> None:
    assert_usage_error(cli("purge", "--retention-days", "1000000"),
                       "Invalid value for '--retention-days': 1000000 is not in the range 1<=x<=36600.")


def test_a_retention_setting_beyond_the_calendar_is_one_line(cli) -> None:
    assert_one_line_error(cli("purge", MEDIATION_RETENTION_DAYS="1000000"),
                          "MEDIATION_RETENTION_DAYS is 1000000; it can be at most 36600")


def test_a_reference_that_is_not_utf8_is_a_usage_error(cli, environment) -> None:
    assert_usage_error(run_bytes(environment, b"show", b"RO-2026-\xff\xfe"),
                       "an argument is not valid UTF-8 text: RO-2026-\\xff\\xfe")


def test_a_username_that_is_not_utf8_is_a_usage_error(cli, environment) -> None:
    result = run_bytes(environment, b"create-user", b"--username", b"caf\xe9", b"--display-name", b"Cafe",
                       b"--role", b"staff", b"--password", b"violet harbour lamp 9274 quietly")
    assert_usage_error(result, "an argument is not valid UTF-8 text: caf\\xe9")


def test_a_display_name_too_long_for_its_column_is_one_line_on_both_databases(cli) -> None:
    assert_one_line_error(cli("create-user", "--username", "long.name", "--display-name", "N" * 121, "--role",
                              "staff", "--password", "violet harbour lamp 9274 quietly"),
                          "The display name is too long (121 characters; at most 120).")


# --- settings that point at the wrong thing -----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), [
    ("not a database url", "Could not parse SQLAlchemy URL from given URL string"),
    ("mysql+nodriver://user@host/name", "Can't load plugin: sqlalchemy.dialects:mysql.nodriver"),
])
def test_a_database_url_that_is_not_one_is_one_line(cli, url: str, why: str) -> None:
    assert_one_line_error(cli("cases", MEDIATION_DATABASE_URL=url),
                          f"MEDIATION_DATABASE_URL is not a usable database URL ({why}); it looks like "
                          "sqlite:////path/to/mediation.db or postgresql+psycopg://user@host/name")


def test_an_unreachable_postgresql_server_is_one_line(cli) -> None:
    result = cli("cases", MEDIATION_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/mediation")
    assert result.exit_code == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: The database cannot be reached; the service is unavailable. "
                                    "(connection failed:")
    assert len(result.stderr.splitlines()) == 1


def test_a_database_file_that_is_a_folder_is_one_line(cli, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    assert_one_line_error(cli("cases", MEDIATION_DATABASE_URL=f"sqlite:///{folder}"),
                          f"{folder} is not a regular file; SQLite needs to write the database and its -wal and "
                          "-shm files")


def test_a_database_locked_by_another_writer_is_one_line(cli, environment, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    holder = sqlite3.connect(sqlite_file(database_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("create-user", "--username", "while.busy", "--display-name", "Busy", "--role", "staff",
                     "--password", "violet harbour lamp 9274 quietly", MEDIATION_SQLITE_BUSY_TIMEOUT_MS="20")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_one_line_error(result, "The database is busy with other changes; try again in a moment. "
                                  "(database is locked)")


# --- key files ----------------------------------------------------------------------------------------------------


def test_a_keyring_that_is_a_folder_is_one_line(cli, tmp_path: Path) -> None:
    folder = tmp_path / "keyring-folder"
    folder.mkdir()
    result = cli("keys", "status", MEDIATION_KEYRING_FILE=str(folder))
    assert result.exit_code == 1 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert str(folder) in result.stderr


def test_a_keyring_that_is_not_utf8_is_one_line(cli, tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_bytes(b"\xff\xfe{not text")
    result = cli("keys", "status", MEDIATION_KEYRING_FILE=str(keyring))
    assert result.exit_code == 1 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_keyring_in_the_environment_nested_too_deeply_is_one_line(cli) -> None:
    result = cli("keys", "status", MEDIATION_KEYRING=DEEP)
    assert result.exit_code == 1 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_audit_signing_key_that_is_a_folder_is_one_line(cli, tmp_path: Path) -> None:
    folder = tmp_path / "signing-folder"
    folder.mkdir()
    assert_one_line_error(cli("audit-checkpoint", MEDIATION_AUDIT_SIGNING_KEY_FILE=str(folder)),
                          f"cannot use {folder}: Is a directory")


# --- checkpoints --------------------------------------------------------------------------------------------------


def test_a_checkpoint_nested_too_deeply_is_one_line(cli, tmp_path: Path) -> None:
    checkpoint = tmp_path / "deep.json"
    checkpoint.write_text(DEEP)
    result = cli("verify-audit", "--checkpoint", str(checkpoint))
    assert result.exit_code == 1 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("heads", [[1, 2], {"case:1": "not an object"}, {"case:1": {"seq": "x", "hash": 1}}, None])
def test_a_checkpoint_signed_with_our_key_but_malformed_inside_is_one_line(cli, environment, heads) -> None:
    key = load_audit_signing_key(Path(environment["MEDIATION_INSTANCE_DIR"]) / "audit-signing.key")
    canonical = json.dumps(heads, sort_keys=True, separators=(",", ":")).encode()
    payload = {"format": FORMAT, "created_at": "2026-01-01T00:00:00.000000+00:00", "chains": 1,
               "digest": hashlib.sha256(canonical).hexdigest(), "heads": heads}
    signature = key.sign(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
    document = {"payload": payload, "signature": base64.b64encode(signature).decode(), "public_key": ""}
    checkpoint = Path(environment["MEDIATION_INSTANCE_DIR"]).parent / "signed.json"
    checkpoint.write_text(json.dumps(document))
    result = cli("verify-audit", "--checkpoint", str(checkpoint))
    assert result.exit_code in (1, 3) and "Traceback" not in result.stderr, result.stderr
    if result.exit_code == 1:
        assert len(result.stderr.splitlines()) == 1, result.stderr


# --- folders ------------------------------------------------------------------------------------------------------


def test_init_pointed_at_a_file_is_one_line(environment, tmp_path: Path) -> None:
    file = tmp_path / "not-a-folder"
    file.write_text("")
    assert_one_line_error(Cli(environment)("init", MEDIATION_INSTANCE_DIR=str(file),
                                           MEDIATION_DATABASE_URL=None),
                          f"cannot use {file}: Not a directory")


def test_init_with_a_blob_folder_that_is_a_file_is_one_line(environment, tmp_path: Path) -> None:
    file = tmp_path / "blobs-file"
    file.write_text("")
    assert_one_line_error(Cli(environment)("init", MEDIATION_BLOB_DIR=str(file)),
                          f"cannot use {file}: Not a directory")


def test_init_on_a_read_only_filesystem_is_one_line(environment, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A real read-only bind mount where this machine allows one (root and unshare); else the same OSError
    (EROFS) raised where the folder is made, through the same command."""
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    instance = read_only / "instance"
    if shutil.which("unshare") and subprocess.run(["unshare", "-m", "true"], check=False).returncode == 0:
        env = {k: v for k, v in {**os.environ, **_isolated(environment, {
            "MEDIATION_INSTANCE_DIR": str(instance), "MEDIATION_DATABASE_URL": None})}.items() if v is not None}
        mount = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" init'
        result = subprocess.run(["unshare", "-m", "sh", "-c", mount, "sh", str(read_only), str(COMMAND)], env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert_one_line_error(result, f"cannot use {instance}: Read-only file system")
        return
    original = Path.mkdir

    def refuse(path: Path, *args: object, **kwargs: object) -> None:
        if path == instance:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert_one_line_error(Cli(environment)("init", MEDIATION_INSTANCE_DIR=str(instance),
                                           MEDIATION_DATABASE_URL=None),
                          f"cannot use {instance}: Read-only file system")


def test_a_checkpoint_written_into_a_missing_folder_is_one_line(cli, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "checkpoint.json"
    assert_one_line_error(cli("audit-checkpoint", "-o", str(target)),
                          f"cannot write {target}: No such file or directory")


def test_an_unknown_environment_is_one_line(cli) -> None:
    assert_one_line_error(cli("cases", MEDIATION_ENV="staging"),
                          "MEDIATION_ENV must be development, production or test, got 'staging'")
