"""The leak test (DESIGN.md section 4): "a dump of the database plus the application's files, without the KEK,
reveals no message, note or contact detail".

A whole exchange runs through the services with a unique canary in every piece of sensitive content: a message,
a draft sent back, the mediator's note, a revision, a text before and after redaction, a message withheld when the
case closes, a contact card (name, phone, address), an assessment note, a coordinator's eligibility rationale and
the bytes of a video. The application's logs are captured at DEBUG the whole time (SQL statements and their
parameters included). Then every file the run wrote, the logs, and on PostgreSQL every column of every table and a
``pg_dump``, are searched for each canary in several encodings. The canaries must come back through the services,
and nowhere else.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

import mediation.models  # noqa: F401  (every table on Base.metadata)
from mediation.crypto.stream import DEFAULT_CHUNK
from mediation.db import Base, make_engine
from mediation.models import Message
from mediation.runtime import Runtime
from mediation.schema import sqlite_file
from mediation.services import contacts, messages, notes, sentences, workflow
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from workflows.vocabulary import CaseState, Side

CANARY_LABELS = ("message_body", "returned_draft", "return_note", "revised_body", "text_before_redaction",
                 "redacted_version", "withheld_body", "contact_name", "contact_phone", "contact_address",
                 "assessment_note", "override_rationale", "video_bytes")


def make_canaries() -> dict[str, str]:
    return {label: f"canary-{label.replace('_', '-')}-{uuid.uuid4().hex}" for label in CANARY_LABELS}


def encodings(canary: str) -> dict[str, list[bytes]]:
    """The byte patterns a canary would leave: as UTF-8, UTF-16-LE, hex, and base64 at each of the three
    alignments it may sit at in a longer encoded text (the characters it shares with its neighbours left out)."""
    raw = canary.encode()
    base64s = []
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw)
            base64s.append(encoded[4 if shift else 0:-4])
    return {"utf-8": [raw], "utf-16-le": [canary.encode("utf-16-le")], "hex": [raw.hex().encode(),
                                                                               raw.hex().upper().encode()],
            "base64": base64s}


def leaks_in(data: bytes, canaries: dict[str, str]) -> list[tuple[str, str]]:
    """(canary label, encoding) for each canary found in ``data``."""
    return [(label, form) for label, canary in canaries.items() for form, patterns in encodings(canary).items()
            if any(pattern in data for pattern in patterns)]


def files_under(folder: Path) -> Iterator[Path]:
    yield from (path for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def as_bytes(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


@contextmanager
def application_logs_at_debug(log_file: Path) -> Iterator[None]:
    """Every logger at DEBUG, none disabled, everything also written to ``log_file``; all restored after."""
    loggers = [logging.getLogger(), *(logger for logger in logging.root.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        for logger in loggers:
            logger.disabled = False
            logger.setLevel(logging.DEBUG)
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


# ---------------------------------------------------------------------------------------------------------------
# The exchange


def full_exchange(runtime: Runtime, actors, make_case, canaries: dict[str, str]) -> dict[str, list[object]]:
    """Write every canary through the services and read each back; return what the services handed out."""
    tx, vault, mediator = runtime.transaction, runtime.vault, actors.mediator
    harmed, offender = actors.harmed_user, actors.offender_user
    returned: dict[str, list[object]] = {label: [] for label in canaries}

    # The coordinator overrides a computed decision on a case in requested, with a recorded (short) sentence.
    screened = make_case(steps=[("sentence", "1")])
    with tx() as s:
        sentences.override_eligibility(s, vault, actors.admin, screened, eligible=True,
                                       rationale=canaries["override_rationale"])
    with tx() as s:
        returned["override_rationale"].append(sentences.override_rationale(s, vault, actors.admin, screened))
    with tx() as s:
        assert workflow.fire(s, mediator, screened, "screen").state == CaseState.ASSESSMENT

    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    with tx() as s:
        case = find_case(s, mediator, reference)
        victim = next(p for p in case.participants if p.side == Side.HARMED)
        responsible = next(p for p in case.participants if p.side == Side.RESPONSIBLE)
        victim.user_id, responsible.user_id = harmed.id, offender.id
        victim_id = victim.id

    card = ContactDetails(name=canaries["contact_name"], address=canaries["contact_address"],
                          phone=canaries["contact_phone"], email="reach.me@example.org",
                          safe_times_to_call="weekday mornings")
    with tx() as s:
        contacts.record_contact_details(s, vault, mediator, reference, participant_id=victim_id, details=card)
    for reader in (mediator, harmed):
        with tx() as s:
            seen = contacts.contact_details(s, vault, reader, reference, victim_id)
        assert seen is not None
        for label in ("contact_name", "contact_phone", "contact_address"):
            returned[label].append(getattr(seen, label.removeprefix("contact_")))

    with tx() as s:
        notes.add_assessment_note(s, vault, mediator, reference, text=canaries["assessment_note"],
                                  participant_id=victim_id)
    with tx() as s:
        returned["assessment_note"] += [n.text for n in notes.assessment_notes(s, vault, mediator, reference)]

    def submit(author, body: str) -> str:
        with tx() as s:
            return messages.submit_message(s, vault, author, reference, text=body).id

    def review(message_id: str, trigger: str, **arguments: str) -> None:
        with tx() as s:
            messages.review(s, vault, mediator, reference, message_id=message_id, trigger=trigger, **arguments)

    def respond(author, message_id: str, trigger: str, body: str | None = None) -> None:
        with tx() as s:
            messages.respond(s, vault, author, reference, message_id=message_id, trigger=trigger, text=body)

    def open_as(reader, message_id: str) -> str | None:
        with tx() as s:
            return messages.open_message(s, vault, reader, reference, message_id).text

    def sent_by(author) -> dict[str, messages.SentMessage]:
        with tx() as s:
            return {m.id: m for m in messages.sent_messages(s, vault, author, reference)}

    first = submit(harmed, canaries["message_body"])
    review(first, "approve")
    returned["message_body"].append(open_as(offender, first))

    second = submit(harmed, canaries["returned_draft"])
    review(second, "return", note=canaries["return_note"])
    draft = sent_by(harmed)[second]
    returned["returned_draft"].append(draft.text)
    returned["return_note"].append(draft.review_note)
    respond(harmed, second, "revise", canaries["revised_body"])
    review(second, "approve")
    returned["revised_body"].append(open_as(offender, second))

    third = submit(offender, canaries["text_before_redaction"])
    review(third, "redact", redacted_text=canaries["redacted_version"])
    respond(offender, third, "accept")
    returned["redacted_version"].append(open_as(harmed, third))
    returned["text_before_redaction"].append(sent_by(offender)[third].text)

    fourth = submit(harmed, canaries["withheld_body"])
    with tx() as s:
        returned["withheld_body"].append(messages.case_messages_for_review(s, vault, mediator, reference)[-1].text)

    with tx() as s:
        workflow.fire(s, mediator, reference, "change_modality", modality="video")
    marker = canaries["video_bytes"].encode()
    video = (b"\x1a\x45\xdf\xa3" + marker + os.urandom(DEFAULT_CHUNK - 20 - len(marker)) + marker
             + os.urandom(DEFAULT_CHUNK // 2) + marker)  # in the sniffed head, across a chunk boundary, at the end
    received = runtime.blobs.receive(io.BytesIO(video), limit=runtime.settings.video_max_bytes)
    with tx() as s:
        fifth = messages.submit_video_message(s, vault, harmed, reference, received=received).id
    review(fifth, "approve")
    with tx() as s:
        content_type, _, chunks = messages.open_video(s, vault, runtime.blobs, offender, reference, message_id=fifth)
        streamed = b"".join(chunks)
    assert (content_type, streamed) == ("video/webm", video)
    returned["video_bytes"].append(streamed)

    with tx() as s:
        workflow.fire(s, mediator, reference, "conclude")
    with tx() as s:
        workflow.fire(s, mediator, reference, "close", reason="dialogue_completed")
    with tx() as s:
        assert s.get(Message, fourth).state == "withheld"
    return returned


# ---------------------------------------------------------------------------------------------------------------
# Where a canary could be left


Leak = tuple[str, str, str]  # where, canary label, encoding


def scan(where: str, data: bytes, canaries: dict[str, str]) -> list[Leak]:
    return [(where, label, form) for label, form in leaks_in(data, canaries)]


def scan_files(folders: Iterable[Path], canaries: dict[str, str], *, since: float | None = None,
               ) -> tuple[list[Leak], set[Path]]:
    """Leaks found in the files under ``folders`` (only those written after ``since``, if given)."""
    leaks: list[Leak] = []
    scanned: set[Path] = set()
    for folder in folders:
        for path in files_under(folder):
            if path in scanned or (since is not None and path.stat().st_mtime < since):
                continue
            scanned.add(path)
            leaks += scan(str(path), path.read_bytes(), canaries)
    return leaks, scanned


def scan_postgres_tables(database_url: str, canaries: dict[str, str]) -> tuple[list[Leak], dict[str, int]]:
    """Leaks found in any column of any table (SELECT *), and how many rows each table had."""
    engine = make_engine(database_url)
    leaks: list[Leak] = []
    rows_by_table: dict[str, int] = {}
    try:
        with engine.connect() as connection:
            names = {table.name for table in Base.metadata.sorted_tables} | set(inspect(connection).get_table_names())
            for name in sorted(names):
                rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
                rows_by_table[name] = len(rows)
                data = b"\x1f".join(as_bytes(value) for row in rows for value in row)
                leaks += scan(f"table {name}", data, canaries)
    finally:
        engine.dispose()
    return leaks, rows_by_table


def pg_dump(database_url: str) -> bytes | None:
    """The database's plain-text dump, or None when no usable pg_dump is installed."""
    binary = shutil.which("pg_dump")
    if binary is None:
        return None
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run([binary, "--no-owner", "--no-privileges", "--dbname", url], capture_output=True,
                          timeout=300, check=False)
    if done.returncode != 0 and b"version mismatch" in done.stderr:
        return None
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


@dataclass
class AtRest:
    """What a story left at rest once it is over: the leaks found, and on PostgreSQL its tables and dump."""

    leaks: list[Leak]
    rows_by_table: dict[str, int]  # PostgreSQL: rows per table (empty on SQLite)
    dump: bytes | None  # PostgreSQL: pg_dump's output, when a usable pg_dump is installed


def leaks_at_rest(runtime: Runtime, database_url: str, canaries: dict[str, str], *, folders: Iterable[Path],
                  tmp_path_factory: pytest.TempPathFactory, started: float, log_file: Path, logged: str) -> AtRest:
    """Scan every place a canary could rest: the instance's files (and SQLite's) while the app runs and after
    it closed, temp files written since ``started``, the captured logs, and on PostgreSQL every table and a dump.
    Closes ``runtime``."""
    database_file = sqlite_file(database_url)
    local_folders = [*folders, *([database_file.parent] if database_file is not None else [])]
    leaks = scan_files(local_folders, canaries)[0]
    runtime.close()
    more, scanned = scan_files(local_folders, canaries)
    leaks += more
    leaks += scan_files([tmp_path_factory.getbasetemp()], canaries, since=started)[0]
    leaks += scan("captured logs", logged.encode(), canaries)
    assert log_file in scanned
    if database_file is not None:
        assert database_file in scanned
        return AtRest(leaks, {}, None)
    table_leaks, rows_by_table = scan_postgres_tables(database_url, canaries)
    assert rows_by_table, "no table was read"  # so a caller's checks of its rows never pass by being skipped
    dump = pg_dump(database_url)
    leaks += table_leaks + (scan("pg_dump", dump, canaries) if dump is not None else [])
    return AtRest(leaks, rows_by_table, dump)


# ---------------------------------------------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("shift", range(3))
@pytest.mark.parametrize("form", ["utf-8", "utf-16-le", "hex", "base64", "urlsafe-base64"])
def test_the_scanner_finds_a_canary_in_every_form_it_looks_for(form, shift):
    canaries = make_canaries()
    canary = canaries["message_body"].encode()
    padded = b"x" * shift + canary + b"y" * shift
    hidden = {"utf-8": padded, "utf-16-le": padded.decode().encode("utf-16-le"), "hex": padded.hex().encode(),
              "base64": base64.b64encode(padded), "urlsafe-base64": base64.urlsafe_b64encode(padded)}[form]
    assert [label for label, _ in leaks_in(b"before " + hidden + b" after", canaries)] == ["message_body"]


def test_no_canary_leaks_into_the_database_the_files_or_the_logs(runtime, actors, make_case, database_url, tmp_path,
                                                                 tmp_path_factory, caplog):
    canaries = make_canaries()
    started = time.time() - 2  # file times are coarse on some filesystems
    settings = runtime.settings
    log_file = settings.instance_dir / "debug.log"

    caplog.set_level(logging.DEBUG)
    with application_logs_at_debug(log_file):
        returned = full_exchange(runtime, actors, make_case, canaries)

    # Not vacuous: every canary went in and came back out through the services, decrypted.
    for label, canary in canaries.items():
        expected: object = canary.encode() if label == "video_bytes" else canary
        assert returned[label], label
        assert all((expected in value) if isinstance(value, bytes) else value == expected
                   for value in returned[label]), label
    # ... and the logs really captured the run, SQL and parameters included.
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "INSERT INTO messages" in logged and "UPDATE messages" in logged

    blob_files = list(settings.blob_dir.rglob("*.rjs"))
    assert blob_files  # the video is there to be scanned, encrypted
    database_file = sqlite_file(database_url)
    local_folders = [tmp_path, settings.instance_dir, settings.blob_dir]
    if database_file is not None:
        local_folders.append(database_file.parent)
    leaks, scanned_open = scan_files(local_folders, canaries)  # with the SQLite -wal and -shm as the run left them

    runtime.close()

    more, scanned = scan_files(local_folders, canaries)
    leaks += more
    basetemp_leaks, _ = scan_files([tmp_path_factory.getbasetemp()], canaries, since=started)
    leaks += basetemp_leaks
    leaks += scan("captured logs", logged.encode(), canaries)
    assert log_file in scanned and all(path in scanned for path in blob_files)
    if database_file is not None:
        assert database_file in scanned
        for suffix in ("-wal", "-shm"):
            assert database_file.with_name(database_file.name + suffix) in scanned | scanned_open, suffix
    else:
        table_leaks, rows_by_table = scan_postgres_tables(database_url, canaries)
        leaks += table_leaks
        for table in ("messages", "blobs", "participants", "assessment_notes", "sentences", "audit_entries"):
            assert rows_by_table[table] > 0, table
        dump = pg_dump(database_url)
        if dump is not None:
            assert b"COPY public.messages" in dump
            leaks += scan("pg_dump", dump, canaries)

    assert leaks == []


def test_the_leak_scan_would_see_plaintext_left_in_the_database(runtime, actors, make_case, database_url, tmp_path):
    """The control: the same scans catch a canary written in clear into a column, so a clean result means clean."""
    canaries = make_canaries()
    reference = make_case(CaseState.DIALOGUE_WRITTEN)
    with runtime.transaction() as s:
        case_id = find_case(s, actors.mediator, reference).id
        s.execute(text("UPDATE participants SET sealed_contact = :leak WHERE case_id = :id"),
                  {"leak": canaries["contact_name"].encode(), "id": case_id})
    runtime.close()
    if sqlite_file(database_url) is not None:
        leaks, _ = scan_files([tmp_path], canaries)
    else:
        leaks, _ = scan_postgres_tables(database_url, canaries)
        dump = pg_dump(database_url)
        if dump is not None:
            leaks += scan("pg_dump", dump, canaries)
            assert ("pg_dump", "contact_name", "hex") in leaks
    assert leaks
    assert {label for _, label, _ in leaks} == {"contact_name"}
