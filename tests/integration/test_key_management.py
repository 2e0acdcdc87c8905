"""Key management on each database: rotating the key-encryption key rewraps data keys without touching a single
ciphertext, a KEK is retired only once nothing needs it, and crypto-shredding destroys exactly the data keys of
cases closed past their retention period while the anonymous statistics stay. Then the same through the
``mediation`` command line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update

from mediation.audit.verify import verify_audit_log
from mediation.cli import main
from mediation.crypto.errors import CryptoError, KeyUnavailable
from mediation.crypto.keyring import Keyring, Keyrings, generate_keyring, new_kek, read_keyring, write_keyring
from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.models import SYSTEM_CHAIN, AssessmentNote, AuditEntry, Case, CaseKey, Participant, SentenceRecord
from mediation.models import content_chain as content_chain_of
from mediation.services import contacts, notes, sentences, workflow
from mediation.services import keys as keyservice
from mediation.services.contacts import ContactDetails
from mediation.services.lookup import find_case
from workflows.vocabulary import CaseState

RETENTION_DAYS = 100


@dataclass(frozen=True)
class Sealed:
    reference: str
    case_id: int
    participant_id: int
    card: ContactDetails
    note: str
    rationale: str


def _seal_case(runtime, actors, make_case, number: int, *, close: bool = False, closed_days_ago: int = 0) -> Sealed:
    """A case with a contact card, a note and an override rationale; closed (as ineligible) if asked."""
    reference = make_case(steps=[("sentence", "1" if close else "3")])
    card = ContactDetails(f"Person Number{number}", f"{number} Shredding Lane", f"555-01{number:02}")
    note = f"Assessment note number {number}: prefers mornings."
    rationale = f"Override rationale number {number}: the court record is incomplete."
    vault, mediator = runtime.vault, actors.mediator
    with runtime.transaction() as session:
        found = find_case(session, mediator, reference)
        case_id, participant_id = found.id, found.participants[0].id
        contacts.record_contact_details(session, vault, mediator, reference, participant_id=participant_id,
                                        details=card)
    with runtime.transaction() as session:
        notes.add_assessment_note(session, vault, mediator, reference, text=note, participant_id=participant_id)
    with runtime.transaction() as session:
        sentences.override_eligibility(session, vault, actors.admin, reference, eligible=not close,
                                       rationale=rationale)
    if close:
        with runtime.transaction() as session:
            assert workflow.fire(session, mediator, reference, "screen").state == CaseState.CLOSED
        with runtime.transaction() as session:
            session.execute(update(Case).where(Case.id == case_id)
                            .values(closed_at=utcnow() - timedelta(days=closed_days_ago)))
    return Sealed(reference, case_id, participant_id, card, note, rationale)


def _read_card(runtime, vault, actors, case: Sealed) -> object:
    with runtime.transaction() as session:
        return contacts.contact_details(session, vault, actors.mediator, case.reference, case.participant_id)


def _read_notes(runtime, vault, actors, case: Sealed) -> object:
    with runtime.transaction() as session:
        return [view.text for view in notes.assessment_notes(session, vault, actors.mediator, case.reference)]


def _read_rationale(runtime, vault, actors, case: Sealed) -> object:
    with runtime.transaction() as session:
        return sentences.override_rationale(session, vault, actors.admin, case.reference)


READERS = {"contact": _read_card, "notes": _read_notes, "rationale": _read_rationale}


def _expected(case: Sealed, content: str) -> object:
    return {"contact": case.card, "notes": [case.note], "rationale": case.rationale}[content]


def _assert_readable(runtime, vault, actors, cases) -> None:
    for case in cases:
        for content, read in READERS.items():
            assert read(runtime, vault, actors, case) == _expected(case, content), (case.reference, content)


def _ciphertexts(runtime) -> dict[tuple[str, object], bytes]:
    """Every sealed column of every row."""
    with runtime.transaction() as session:
        found = {("contact", pid): sealed for pid, sealed in session.execute(
            select(Participant.id, Participant.sealed_contact).where(Participant.sealed_contact.is_not(None)))}
        found |= {("note", nid): sealed for nid, sealed in session.execute(
            select(AssessmentNote.id, AssessmentNote.sealed_text))}
        found |= {("rationale", cid): sealed for cid, sealed in session.execute(
            select(SentenceRecord.case_id, SentenceRecord.sealed_override_rationale)
            .where(SentenceRecord.sealed_override_rationale.is_not(None)))}
    return found


def _case_keys(runtime) -> dict[int, tuple]:
    with runtime.transaction() as session:
        return {row.case_id: (row.kek_id, row.wrapped_key, row.destroyed_at)
                for row in session.execute(select(CaseKey.case_id, CaseKey.kek_id, CaseKey.wrapped_key,
                                                  CaseKey.destroyed_at))}


def _audit_count(runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def _rewrap_until_done(runtime, vault, limit: int) -> list[int]:
    rounds = []
    while True:
        with runtime.transaction() as session:
            rounds.append(keyservice.rewrap_batch(session, vault, limit=limit))
        if not rounds[-1]:
            return rounds


@pytest.fixture
def three_cases(runtime, actors, make_case) -> list[Sealed]:
    return [_seal_case(runtime, actors, make_case, number) for number in range(3)]


# --- rotation -------------------------------------------------------------------------------------------------

def test_rotation_rewraps_every_data_key_and_changes_no_ciphertext(runtime, actors, three_cases):
    vault = runtime.vault
    old = vault.keyring
    _assert_readable(runtime, vault, actors, three_cases)  # also fills the vault's cache of unwrapped keys
    ciphertexts, keys_before = _ciphertexts(runtime), _case_keys(runtime)
    assert len(ciphertexts) == 9
    assert {kek for kek, _, _ in keys_before.values()} == {old.active}

    new_id, new_key = new_kek()
    vault.keyring = old.with_new_active(new_id, new_key)
    assert _rewrap_until_done(runtime, vault, limit=2) == [2, 1, 0]

    keys_after = _case_keys(runtime)
    assert set(keys_after) == set(keys_before)
    for case_id, (kek_id, wrapped, destroyed_at) in keys_after.items():
        assert (kek_id, destroyed_at) == (new_id, None)
        assert wrapped != keys_before[case_id][1]
    assert _ciphertexts(runtime) == ciphertexts  # byte for byte: nothing was re-encrypted
    _assert_readable(runtime, vault, actors, three_cases)
    _assert_readable(runtime, Vault(vault.keyring.without(old.active)), actors, three_cases)  # old KEK not needed


def test_a_kek_is_retirable_only_when_inactive_and_unused(runtime, actors, three_cases):
    vault = runtime.vault
    old = vault.keyring.active
    vault.keyring = vault.keyring.with_new_active(*new_kek())
    refusals = [(vault.keyring.active, "the active KEK cannot be retired"),
                (old, f"KEK {old!r} still wraps 3 data key"),
                ("kek-20200101-000000", "there is no KEK 'kek-20200101-000000'")]
    for kek_id, message in refusals:
        with pytest.raises(CryptoError, match=message), runtime.transaction() as session:
            keyservice.check_retirable(session, vault, kek_id)
    _rewrap_until_done(runtime, vault, limit=500)
    with runtime.transaction() as session:
        keyservice.check_retirable(session, vault, old)
        assert keyservice.keys_in_use(session) == {vault.keyring.active: 3}


def _retired_without_rewrap(keyring: Keyring) -> Keyring:
    return keyring.with_new_active(*new_kek()).without(keyring.active)


def _mistyped(keyring: Keyring) -> Keyring:
    key = bytearray(keyring.keys[keyring.active])
    key[-1] ^= 0x01
    return Keyring({keyring.active: bytes(key)}, keyring.active)


UNUSABLE_KEYRINGS = {
    "old-kek-retired-before-rewrap": (_retired_without_rewrap, "which was retired"),
    "mistyped-kek": (_mistyped, "wrong \\(mistyped or replaced\\)"),
    "another-installations-keyring": (lambda _: generate_keyring(), "which is not in this keyring"),
}


@pytest.mark.parametrize("keyring_change", UNUSABLE_KEYRINGS)
def test_without_the_kek_that_wraps_a_data_key_content_raises_key_unavailable(runtime, actors, three_cases,
                                                                             keyring_change):
    change, message = UNUSABLE_KEYRINGS[keyring_change]
    vault = Vault(change(runtime.vault.keyring))  # as a process started with that keyring would have it
    before = _audit_count(runtime)
    for case in three_cases:
        for content, read in READERS.items():
            with pytest.raises(KeyUnavailable, match=message) as caught:
                read(runtime, vault, actors, case)
            assert case.note not in str(caught.value), content
    assert _audit_count(runtime) == before  # a failed reading records no decryption


def test_a_vault_whose_keyring_loses_a_kek_stops_opening_content_it_read_before(runtime, actors, three_cases):
    vault = runtime.vault
    _assert_readable(runtime, vault, actors, three_cases)
    vault.keyring = _retired_without_rewrap(vault.keyring)
    with pytest.raises(KeyUnavailable, match="which was retired"):
        _read_card(runtime, vault, actors, three_cases[0])


# --- crypto-shredding -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Retention:
    expired: Sealed  # closed 400 days ago
    recent: Sealed  # closed 99 days ago: still within the retention period
    open: Sealed


@pytest.fixture
def retention(runtime, actors, make_case) -> Retention:
    return Retention(
        expired=_seal_case(runtime, actors, make_case, 1, close=True, closed_days_ago=400),
        recent=_seal_case(runtime, actors, make_case, 2, close=True, closed_days_ago=RETENTION_DAYS - 1),
        open=_seal_case(runtime, actors, make_case, 3),
    )


def _statistics(runtime) -> keyservice.Statistics:
    with runtime.transaction() as session:
        return keyservice.statistics(session)


def test_purge_destroys_only_the_keys_of_cases_closed_past_retention(runtime, actors, retention):
    kept = [retention.recent, retention.open]
    _assert_readable(runtime, runtime.vault, actors, [retention.expired, *kept])  # cached in the vault too
    statistics, keys_before, ciphertexts = _statistics(runtime), _case_keys(runtime), _ciphertexts(runtime)
    assert statistics.cases_by_state == {"closed": 2, "requested": 1}

    with runtime.transaction() as session:
        purge = keyservice.purge_expired(session, runtime.vault, retention_days=RETENTION_DAYS)
    assert (purge.cases, purge.blob_ids) == ([retention.expired.reference], [])

    keys_after = _case_keys(runtime)
    kek_id, wrapped, destroyed_at = keys_after.pop(retention.expired.case_id)
    assert (kek_id, wrapped) == (None, None)
    assert destroyed_at is not None
    assert keys_after == {case.case_id: keys_before[case.case_id] for case in kept}
    for read in READERS.values():
        with pytest.raises(KeyUnavailable, match="was destroyed at the end of its retention period"):
            read(runtime, runtime.vault, actors, retention.expired)
        with pytest.raises(KeyUnavailable, match="destroyed"):
            read(runtime, Vault(runtime.vault.keyring), actors, retention.expired)
    _assert_readable(runtime, runtime.vault, actors, kept)
    assert _statistics(runtime) == statistics  # the anonymous counts survive
    assert _ciphertexts(runtime) == ciphertexts  # the ciphertexts remain, unreadable for good

    with runtime.transaction() as session:  # nothing left to destroy
        assert keyservice.purge_expired(session, runtime.vault, retention_days=RETENTION_DAYS).cases == []
    # A later rotation rewraps the live keys only; a destroyed key stays destroyed.
    runtime.vault.keyring = runtime.vault.keyring.with_new_active(*new_kek())
    assert _rewrap_until_done(runtime, runtime.vault, limit=500) == [2, 0]
    assert _case_keys(runtime)[retention.expired.case_id] == (None, None, destroyed_at)
    _assert_readable(runtime, runtime.vault, actors, kept)


def test_a_key_destroyed_in_a_transaction_is_not_used_again_in_that_transaction(runtime, actors, retention):
    case = retention.expired
    with runtime.transaction() as session:
        assert contacts.contact_details(session, runtime.vault, actors.mediator, case.reference,
                                        case.participant_id) == case.card
        keyservice.purge_expired(session, runtime.vault, retention_days=RETENTION_DAYS)
        with pytest.raises(KeyUnavailable, match="destroyed"):
            contacts.contact_details(session, runtime.vault, actors.mediator, case.reference, case.participant_id)


def test_purge_is_audited_on_the_purged_cases_content_chain_and_the_system_chain(runtime, actors, retention):
    with runtime.transaction() as session:
        keyservice.purge_expired(session, runtime.vault, retention_days=RETENTION_DAYS)
    with runtime.transaction() as session:
        destroyed = session.scalars(select(AuditEntry).where(AuditEntry.tag == "content:key:destroyed")).all()
        purged = session.scalars(select(AuditEntry).where(AuditEntry.tag == "system:keys:purged")).all()
        report = verify_audit_log(session)
    assert [(e.chain, e.case_id, e.actor_id, e.actor_role) for e in destroyed] == \
        [(content_chain_of(retention.expired.case_id), retention.expired.case_id, None, "operator")]
    assert json.loads(destroyed[0].details) == {"retention_days": RETENTION_DAYS}
    assert [(e.chain, e.actor_role) for e in purged] == [(SYSTEM_CHAIN, "operator")]
    assert json.loads(purged[0].details) == {"cases": 1, "files": 0, "accounts": 0,
                                             "retention_days": RETENTION_DAYS}
    assert report.intact, report.problems


def test_a_purge_dry_run_lists_the_cases_and_changes_nothing(runtime, actors, retention):
    statistics, keys_before, entries = _statistics(runtime), _case_keys(runtime), _audit_count(runtime)
    with runtime.transaction() as session:
        purge = keyservice.purge_expired(session, runtime.vault, retention_days=RETENTION_DAYS, dry_run=True)
    assert purge.cases == [retention.expired.reference]
    assert _case_keys(runtime) == keys_before
    assert _audit_count(runtime) == entries
    assert _statistics(runtime) == statistics
    _assert_readable(runtime, runtime.vault, actors, [retention.expired, retention.recent, retention.open])


@pytest.mark.parametrize(("retention_days", "purged"), [(401, []), (399, ["expired"]), (98, ["expired", "recent"])])
def test_the_retention_period_decides_which_closed_cases_are_purged(runtime, retention, retention_days, purged):
    with runtime.transaction() as session:
        purge = keyservice.purge_expired(session, runtime.vault, retention_days=retention_days, dry_run=True)
    assert purge.cases == [getattr(retention, name).reference for name in purged]


# --- the command line -------------------------------------------------------------------------------------------

def _isolated(environment: dict[str, str], overrides: dict[str, str | None]) -> dict[str, str | None]:
    """The test's settings and nothing from the developer's own MEDIATION_* variables (None unsets)."""
    return {**{name: None for name in os.environ if name.startswith("MEDIATION_")}, **environment, **overrides}


class Cli:
    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment

    def __call__(self, *args: object, **overrides: str | None) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], env=_isolated(self.environment, overrides),
                                  catch_exceptions=False)

    def ok(self, *args: object, **overrides: str | None) -> str:
        result = self(*args, **overrides)
        assert result.exit_code == 0, result.output
        return result.output

    def refused(self, *args: object, **overrides: str | None) -> str:
        """The one line of a refusal: exit status 1, no traceback."""
        result = self(*args, **overrides)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert lines[0].startswith("Error: ")
        return lines[0]

    def status(self) -> dict[str, tuple[int, str]]:
        """``keys status`` as {KEK id: (data keys, mark)}."""
        rows = {}
        for line in self.ok("keys", "status").splitlines():
            kek_id, count, _, _, *mark = line.split()
            rows[kek_id] = (int(count), " ".join(mark))
        return rows


@pytest.fixture
def cli(environment, runtime) -> Cli:
    command = Cli(environment)
    command.ok("init")
    return command


@pytest.fixture
def two_cards(runtime, actors, make_case) -> list[Sealed]:
    """Two cases with a contact card each (the cheapest sealed content)."""
    cases = []
    for number in range(2):
        reference = make_case()
        card = ContactDetails(f"Cli Person{number}", f"{number} Command Street")
        with runtime.transaction() as session:
            found = find_case(session, actors.mediator, reference)
            contacts.record_contact_details(session, runtime.vault, actors.mediator, reference,
                                            participant_id=found.participants[0].id, details=card)
            cases.append(Sealed(reference, found.id, found.participants[0].id, card, "", ""))
    return cases


def _keyring_file(runtime) -> Keyrings:
    return read_keyring(runtime.settings.keyring_file, None)


def _assert_cards_open(runtime, vault, actors, cases) -> None:
    for case in cases:
        assert _read_card(runtime, vault, actors, case) == case.card


def test_cli_keys_status_lists_the_active_kek_and_its_data_keys(cli, runtime, two_cards):
    assert cli.status() == {_keyring_file(runtime).active: (2, "active")}


def test_cli_keys_status_flags_data_keys_under_a_kek_missing_from_the_keyring(cli, runtime, two_cards):
    old = _keyring_file(runtime)
    write_keyring(runtime.settings.keyring_file, _retired_without_rewrap(old))
    assert cli.status() == {_keyring_file(runtime).active: (0, "active"), old.active: (2, "MISSING from the keyring")}


def test_cli_keys_rotate_puts_every_data_key_under_a_new_active_kek(cli, runtime, actors, two_cards):
    old = _keyring_file(runtime)
    ciphertexts = _ciphertexts(runtime)
    output = cli.ok("keys", "rotate")
    rotated = _keyring_file(runtime)
    assert rotated.active != old.active
    assert rotated.keys[old.active] == old.keys[old.active]  # kept until retired
    assert f"active KEK is now {rotated.active}; 2 data key(s) rewrapped" in output
    assert f"mediation keys retire {old.active}" in output
    assert cli.status() == {rotated.active: (2, "active"), old.active: (0, "")}
    assert _ciphertexts(runtime) == ciphertexts
    _assert_cards_open(runtime, Vault(rotated.without(old.active)), actors, two_cards)


def _next_request(runtime) -> None:
    """What a running server does at its next request a second later: look at the keyring file, say which KEK
    it uses now."""
    runtime.vault.refresh(force=True)
    with runtime.transaction():
        pass


def test_cli_keys_retire_removes_the_old_kek_after_rotation(cli, runtime, actors, two_cards):
    old = _keyring_file(runtime).active
    cli.ok("keys", "rotate")
    _next_request(runtime)  # the test's own runtime is a live process that used the old KEK
    assert f"retired {old}" in cli.ok("keys", "retire", old)
    keyring = _keyring_file(runtime)
    assert old not in keyring.keys
    assert keyring.retired == (old,)
    assert cli.status() == {keyring.active: (2, "active")}
    _assert_cards_open(runtime, Vault(keyring), actors, two_cards)


def _rotate_without_rewrap(runtime) -> str:
    old = _keyring_file(runtime)
    write_keyring(runtime.settings.keyring_file, old.with_new_active(*new_kek()))
    return old.active


RETIRE_REFUSALS = {
    "the-active-kek": (lambda runtime: _keyring_file(runtime).active, "the active KEK cannot be retired"),
    "a-kek-still-in-use": (_rotate_without_rewrap, "still wraps 2 data key(s); run 'mediation keys rewrap' first"),
    "an-unknown-kek": (lambda _: "kek-20200101-abcdef", "there is no KEK 'kek-20200101-abcdef'"),
}


@pytest.mark.parametrize("which", RETIRE_REFUSALS)
def test_cli_keys_retire_refuses_in_one_line(cli, runtime, two_cards, which):
    choose, message = RETIRE_REFUSALS[which]
    kek_id = choose(runtime)
    before = runtime.settings.keyring_file.read_bytes()
    assert message in cli.refused("keys", "retire", kek_id)
    assert runtime.settings.keyring_file.read_bytes() == before


def test_cli_keys_generate_refuses_when_a_keyring_exists(cli, runtime):
    before = runtime.settings.keyring_file.read_bytes()
    assert "a keyring already exists" in cli.refused("keys", "generate")
    assert runtime.settings.keyring_file.read_bytes() == before
    printed = Keyring.from_json(cli.ok("keys", "generate", "--print"), "output")
    assert printed.active not in _keyring_file(runtime).keys
    assert runtime.settings.keyring_file.read_bytes() == before


@pytest.mark.parametrize("command", [["keys", "rotate"], ["keys", "retire", "OLD"]], ids=["rotate", "retire"])
def test_cli_keys_that_edit_the_file_refuse_a_keyring_from_the_environment(cli, runtime, two_cards, command):
    old = _keyring_file(runtime)
    from_env = old.with_new_active(*new_kek())
    before = runtime.settings.keyring_file.read_bytes()
    args = [old.active if part == "OLD" else part for part in command]
    line = cli.refused(*args, MEDIATION_KEYRING=from_env.to_json())
    assert "the keyring comes from MEDIATION_KEYRING" in line
    assert "'mediation keys generate --print'" in line
    assert "'mediation keys rewrap'" in line
    assert runtime.settings.keyring_file.read_bytes() == before
    # The environment's keyring is the one in use.
    assert "active" in cli.ok("keys", "status", MEDIATION_KEYRING=from_env.to_json()).split(from_env.active)[1]


def test_cli_purge_dry_run_lists_the_cases_and_changes_nothing_then_purge_keeps_the_statistics(
        cli, runtime, actors, retention):
    period = ("--year", str(datetime.now(UTC).year))
    stats = cli.ok("stats", *period)
    # Two closed cases: counted, and suppressed (fewer than 5), never shown as a count that names someone.
    assert "Cases closed, by outcome" in stats and "    total                         fewer than 5*" in stats
    keys_before, entries = _case_keys(runtime), _audit_count(runtime)

    output = cli.ok("purge", "--dry-run", "--retention-days", RETENTION_DAYS)
    assert output.splitlines() == [
        f"would destroy the content keys of 1 case(s) closed more than {RETENTION_DAYS} days ago (0 file(s))",
        f"  {retention.expired.reference}"]
    assert (_case_keys(runtime), _audit_count(runtime)) == (keys_before, entries)
    _assert_readable(runtime, Vault(_keyring_file(runtime)), actors, [retention.expired])

    assert output.replace("would destroy", "destroyed") == cli.ok("purge", "--retention-days", RETENTION_DAYS)
    with pytest.raises(KeyUnavailable, match="destroyed"):
        _read_card(runtime, Vault(_keyring_file(runtime)), actors, retention.expired)
    _assert_readable(runtime, Vault(_keyring_file(runtime)), actors, [retention.recent, retention.open])
    assert cli.ok("stats", *period) == stats


def _mistype_the_active_kek(runtime) -> None:
    write_keyring(runtime.settings.keyring_file, _mistyped(_keyring_file(runtime)))


def _mistype_then_activate_a_new_kek(runtime) -> None:
    write_keyring(runtime.settings.keyring_file, _mistyped(_keyring_file(runtime)).with_new_active(*new_kek()))


def _truncate_the_keyring(runtime) -> None:
    path = runtime.settings.keyring_file
    path.write_text(path.read_text()[:40])


KEYRING_PROBLEMS = {
    "mistyped-kek-rotate": (_mistype_the_active_kek, ["keys", "rotate"], "wrong (mistyped or replaced)"),
    "mistyped-kek-rewrap": (_mistype_then_activate_a_new_kek, ["keys", "rewrap"], "wrong (mistyped or replaced)"),
    "truncated-keyring-status": (_truncate_the_keyring, ["keys", "status"], "is not a valid keyring"),
    "no-keyring-status": (lambda runtime: runtime.settings.keyring_file.unlink(), ["keys", "status"],
                          "restore the keyring from its backup"),
}


@pytest.mark.parametrize("problem", KEYRING_PROBLEMS)
def test_cli_a_keyring_problem_is_one_line_without_traceback(cli, runtime, two_cards, problem):
    damage, command, message = KEYRING_PROBLEMS[problem]
    damage(runtime)
    line = cli.refused(*command)
    assert message in line
    if problem.startswith("mistyped"):
        for value in json.loads(runtime.settings.keyring_file.read_text())["keys"].values():
            assert value not in line
