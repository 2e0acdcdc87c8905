"""Keys while the application runs, and what a purge leaves: on each database.

A running process sees a rotation made by another process without a restart (it reads keys rewrapped under the
new KEK and wraps new ones under it only); a KEK is never retired under a live process; ``init`` and ``keys
generate`` never create a keyring over data keys; key files reach the disk whole, folder included; a purge
anonymises the people of the purged cases and leaves no copy of their keys in memory or in SQLite's files.
"""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from config import load_settings
from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import KeyringSource, generate_keyring, new_kek, read_keyring, write_keyring
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.demo import DEMO_REQUEST
from mediation.heartbeat import LIVE_SECONDS
from mediation.keyfiles import ensure_instance
from mediation.models import Case, CaseKey, Invitation, Participant, ProcessHeartbeat, User
from mediation.runtime import open_runtime
from mediation.schema import sqlite_file
from mediation.services import contacts, invitations, notes, workflow
from mediation.services import keys as keyservice
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from tests.integration.test_key_management import Cli, _next_request
from workflows.vocabulary import CaseState


@pytest.fixture
def cli(environment, runtime) -> Cli:
    command = Cli(environment)
    command.ok("init")
    return command


def _card(runtime, actors, reference: str, text: str) -> None:
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        contacts.record_contact_details(session, runtime.vault, actors.mediator, reference,
                                        participant_id=case.participants[0].id, details=ContactDetails(text, text))


def _read_card(runtime, actors, reference: str) -> str | None:
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, reference)
        seen = contacts.contact_details(session, runtime.vault, actors.mediator, reference, case.participants[0].id)
    return None if seen is None else seen.name


def _kek_of(runtime, reference: str) -> str | None:
    with runtime.transaction() as session:
        return session.scalar(select(CaseKey.kek_id).join(Case, Case.id == CaseKey.case_id)
                              .where(Case.reference == reference))


def _heartbeats(runtime) -> list[tuple[str, str]]:
    with runtime.transaction() as session:
        return [(row.program, row.active_kek) for row in session.scalars(select(ProcessHeartbeat))]


# --- a rotation seen by a running process ----------------------------------------------------------------------

def test_a_running_process_reads_and_writes_under_a_key_rotated_by_another_process(cli, runtime, actors, make_case):
    old = runtime.vault.keyring.active
    before = make_case()
    _card(runtime, actors, before, "Written before the rotation")
    assert _read_card(runtime, actors, before) == "Written before the rotation"  # the key is now in the cache

    rotated = cli.ok("keys", "rotate")
    new = read_keyring(runtime.settings.keyring_file, None).active
    assert new != old and f"active KEK is now {new}" in rotated
    assert _kek_of(runtime, before) == new

    # The running process was never restarted: it still reads what was there, and new keys go under the new KEK.
    assert _read_card(runtime, actors, before) == "Written before the rotation"
    after = make_case()
    _card(runtime, actors, after, "Written after the rotation")
    assert _kek_of(runtime, after) == new
    assert runtime.vault.keyring.active == new

    _next_request(runtime)
    cli.ok("keys", "retire", old)
    restarted = open_runtime(runtime.settings)  # a restart with the retired keyring loses nothing
    try:
        assert set(restarted.vault.keyring.keys) == {new}
        for reference, text in ((before, "Written before the rotation"), (after, "Written after the rotation")):
            assert _read_card(restarted, actors, reference) == text
    finally:
        restarted.close()


def test_a_new_data_key_is_never_wrapped_under_a_kek_replaced_a_moment_ago(runtime, actors, make_case):
    vault = runtime.vault
    # the vault is loaded, its once-a-second look done (the case's card came from the request it began with)
    assert _read_card(runtime, actors, make_case()) == DEMO_REQUEST.contact.name
    rotated = vault.keyring.with_new_active(*new_kek())
    write_keyring(runtime.settings.keyring_file, rotated)  # another process, within the same second
    reference = make_case()
    _card(runtime, actors, reference, "Sealed right after")
    assert _kek_of(runtime, reference) == rotated.active


def test_a_key_rewrapped_under_a_kek_the_process_has_not_loaded_is_read_at_once(runtime, actors, make_case):
    reference = make_case()
    _card(runtime, actors, reference, "Rewrapped elsewhere")
    other = Vault(runtime.vault.keyring)  # another process
    other.keyring = other.keyring.with_new_active(*new_kek())
    write_keyring(runtime.settings.keyring_file, other.keyring)
    with runtime.transaction() as session:
        assert keyservice.rewrap_batch(session, other) == 1
    runtime.vault.forget(find_case_id(runtime, actors, reference))
    assert _read_card(runtime, actors, reference) == "Rewrapped elsewhere"


def find_case_id(runtime, actors, reference: str) -> int:
    with runtime.transaction() as session:
        return find_case(session, actors.mediator, reference).id


# --- retiring under live processes ----------------------------------------------------------------------------

def test_retire_refuses_while_a_live_process_still_uses_the_old_kek_and_names_it(cli, runtime, actors, make_case):
    _card(runtime, actors, make_case(), "In use")
    old = runtime.vault.keyring.active
    assert [kek for _, kek in _heartbeats(runtime)] == [old]
    cli.ok("keys", "rotate")
    refusal = cli.refused("keys", "retire", old)
    assert f"KEK {old!r} is still the active key of 1 running process(es)" in refusal
    assert f"pid {os.getpid()}" in refusal
    assert old in read_keyring(runtime.settings.keyring_file, None).keys  # nothing was removed

    _next_request(runtime)  # the live process looks at the keyring again and says so
    assert {kek for _, kek in _heartbeats(runtime)} == {read_keyring(runtime.settings.keyring_file, None).active}
    assert f"retired {old}" in cli.ok("keys", "retire", old)


def test_a_process_not_seen_for_a_while_is_not_waited_for(cli, runtime, actors, make_case):
    _card(runtime, actors, make_case(), "In use")
    old = runtime.vault.keyring.active
    cli.ok("keys", "rotate")
    with runtime.transaction() as session:
        session.execute(update(ProcessHeartbeat).values(seen_at=utcnow() - timedelta(seconds=LIVE_SECONDS + 5)))
        session.execute(insert(ProcessHeartbeat).values(
            id="elsewhere:1:dead", host="elsewhere", pid=1, program="gunicorn", active_kek=old,
            started_at=utcnow() - timedelta(days=1), seen_at=utcnow() - timedelta(hours=1)))
    assert f"retired {old}" in cli.ok("keys", "retire", old)


def test_a_process_removes_its_heartbeat_when_it_closes(runtime, actors, make_case):
    _card(runtime, actors, make_case(), "From this process")
    other = open_runtime(runtime.settings)
    _card(other, actors, make_case(), "From another process")
    with other.transaction():
        pass
    assert len(_heartbeats(runtime)) == 2  # this test's runtime and the other one
    other.close()
    assert len(_heartbeats(runtime)) == 1


# --- never a new keyring over data keys -------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["init"], ["keys", "generate"], ["demo"]])
def test_a_missing_keyring_is_never_replaced_while_data_keys_need_it(cli, runtime, actors, make_case, command):
    _card(runtime, actors, make_case(), "Needs the old keyring")
    keyring_file = runtime.settings.keyring_file
    keyring_file.rename(keyring_file.with_name("keyring.json.moved"))
    refusal = cli.refused(*command)
    assert "the keyring is missing" in refusal and "restore the keyring from its backup" in refusal
    assert "holds 1 data key(s)" in refusal
    assert not keyring_file.exists()
    assert "restore the keyring from its backup" in cli.refused("keys", "status")
    assert "init" not in cli.refused("keys", "status")


def test_init_creates_a_keyring_when_no_data_key_needs_one(cli, runtime):
    runtime.settings.keyring_file.unlink()
    assert f"created {runtime.settings.keyring_file}" in cli.ok("init")
    assert read_keyring(runtime.settings.keyring_file, None).active


# --- key files reach the disk whole ----------------------------------------------------------------------------

def _watch_fsyncs(monkeypatch) -> list[tuple[str, bool]]:
    """Record every fsync (is it a folder?) and every rename, in order."""
    events: list[tuple[str, bool]] = []
    real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

    def fsync(descriptor: int) -> None:
        events.append(("fsync", stat.S_ISDIR(os.fstat(descriptor).st_mode)))
        real_fsync(descriptor)

    def replace(source, target, **kwargs) -> None:
        events.append(("rename", False))
        real_replace(source, target, **kwargs)

    def link(source, target, **kwargs) -> None:
        events.append(("rename", False))
        real_link(source, target, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)
    return events


def test_the_keyring_file_and_its_folder_are_flushed_around_the_rename(tmp_path: Path, monkeypatch):
    events = _watch_fsyncs(monkeypatch)
    path = tmp_path / "keyring.json"
    write_keyring(path, generate_keyring())
    write_keyring(path, generate_keyring())
    assert events == [("fsync", False), ("rename", False), ("fsync", True)] * 2


def test_new_key_files_are_flushed_with_their_folder(environment, tmp_path: Path, monkeypatch):
    events = _watch_fsyncs(monkeypatch)
    settings = load_settings(environment, cwd=tmp_path)
    created = ensure_instance(settings)
    assert settings.keyring_file in created and settings.audit_signing_key_file in created
    assert events.count(("fsync", True)) >= 3  # secret key, keyring, audit signing key
    for position, event in enumerate(events):
        if event == ("rename", False):
            assert ("fsync", True) in events[position:]


# --- what a purge leaves --------------------------------------------------------------------------------------

def _closed_long_ago(runtime, actors, make_case, *, people: dict[str, User]) -> str:
    """A case closed 10 years ago, with a contact card and a note, its participants linked to ``people``."""
    reference = make_case(steps=[("sentence", "1")])
    with runtime.transaction() as session:
        first = find_case(session, actors.mediator, reference).participants[0].id
    with runtime.transaction() as session:
        invitations.invite_participant(session, actors.mediator, reference, participant_id=first, hours=72)
    with runtime.transaction() as session:
        for participant in find_case(session, actors.mediator, reference).participants:
            if participant.side in people:
                participant.user_id = people[participant.side].id
    with runtime.transaction() as session:
        contacts.record_contact_details(session, runtime.vault, actors.mediator, reference, participant_id=first,
                                        details=ContactDetails("Jane Doe", "1 Private Lane"))
    with runtime.transaction() as session:
        notes.add_assessment_note(session, runtime.vault, actors.mediator, reference, text="A private note")
    with runtime.transaction() as session:
        workflow.fire(session, actors.mediator, reference, "screen")
    with runtime.transaction() as session:
        session.execute(update(Case).where(Case.reference == reference)
                        .values(state=CaseState.CLOSED.value, closed_at=utcnow() - timedelta(days=3650)))
    return reference


def test_purge_anonymises_the_accounts_that_tie_a_person_to_a_purged_case(runtime, actors, make_case):
    purged = _closed_long_ago(runtime, actors, make_case, people={"harmed": actors.harmed_user})
    still_open = make_case(CaseState.ASSESSMENT)
    shared = _closed_long_ago(runtime, actors, make_case, people={"harmed": actors.offender_user})
    with runtime.transaction() as session:
        case = find_case(session, actors.mediator, still_open)
        case.participants[0].user_id = actors.offender_user.id  # also in a live case: kept, only unlinked
    with runtime.transaction() as session:
        ids = {ref: find_case(session, actors.mediator, ref).id for ref in (purged, shared)}

    with runtime.transaction() as session:
        dry = keyservice.purge_expired(session, runtime.vault, retention_days=365, dry_run=True)
    assert (sorted(dry.cases), dry.accounts_anonymised, dry.accounts_kept) == (sorted([purged, shared]), 1, 1)
    with runtime.transaction() as session:
        assert session.get(User, actors.harmed_user.id).username == "harmed.person"  # a dry run changes nothing

    with runtime.transaction() as session:
        result = keyservice.purge_expired(session, runtime.vault, retention_days=365)
    assert (result.accounts_anonymised, result.accounts_kept) == (1, 1)
    with runtime.transaction() as session:
        gone = session.get(User, actors.harmed_user.id)
        assert gone.username.startswith("purged-") and gone.username != "harmed.person"
        assert (gone.display_name, gone.password_hash, gone.is_active) == ("", None, False)
        kept = session.get(User, actors.offender_user.id)
        assert (kept.username, kept.is_active) == ("offender.person", True)
        linked = session.scalars(select(Participant.user_id).where(Participant.case_id.in_(ids.values()))).all()
        assert set(linked) == {None}
        assert session.scalars(select(Participant.case_id).where(Participant.user_id == actors.offender_user.id)
                               ).all() == [find_case(session, actors.mediator, still_open).id]
        invited = select(Invitation).join(Participant, Participant.id == Invitation.participant_id)
        assert session.scalars(invited.where(Participant.case_id.in_(ids.values()))).all() == []
    assert not runtime.vault.cached_cases() & set(ids.values())  # no copy of a destroyed key in this process


def test_another_process_drops_its_copy_of_a_destroyed_key_when_it_meets_the_destruction(runtime, actors,
                                                                                        make_case):
    reference = _closed_long_ago(runtime, actors, make_case, people={})
    other = open_runtime(runtime.settings)  # the web server, which read the card before the purge
    try:
        assert _read_card(other, actors, reference) == "Jane Doe"
        case_id = find_case_id(runtime, actors, reference)
        assert case_id in other.vault.cached_cases()
        with runtime.transaction() as session:
            keyservice.purge_expired(session, runtime.vault, retention_days=365)
        with pytest.raises(KeyUnavailable, match="destroyed"):
            _read_card(other, actors, reference)
        assert case_id not in other.vault.cached_cases()
    finally:
        other.close()


def test_after_a_purge_no_copy_of_the_wrapped_key_is_left_in_the_sqlite_files(cli, runtime, actors, make_case,
                                                                              database_url):
    database = sqlite_file(database_url)
    if database is None:
        pytest.skip("SQLite's own files; PostgreSQL's are the server's")
    reference = _closed_long_ago(runtime, actors, make_case, people={})
    with runtime.transaction() as session:
        wrapped = session.scalar(select(CaseKey.wrapped_key).join(Case, Case.id == CaseKey.case_id)
                                 .where(Case.reference == reference))
    assert wrapped and len(wrapped) > 40
    files = [database, database.with_name(database.name + "-wal")]
    assert any(wrapped in path.read_bytes() for path in files if path.exists())  # the control: it is there now

    assert "destroyed the content keys of 1 case(s)" in cli.ok("purge", "--retention-days", 365)
    leftovers = [path.name for path in files if path.exists() and wrapped in path.read_bytes()]
    assert leftovers == []
    assert not database.with_name(database.name + "-wal").exists() or \
        database.with_name(database.name + "-wal").stat().st_size == 0


def test_the_keyring_source_notices_a_replaced_file(tmp_path: Path):
    path = tmp_path / "keyring.json"
    write_keyring(path, generate_keyring())
    source = KeyringSource(path)
    first = source.stamp()
    write_keyring(path, generate_keyring())
    assert source.stamp() != first
    assert KeyringSource(path, "{}").stamp() is None  # a keyring from the environment never changes
