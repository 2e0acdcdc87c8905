"""Each organisation's content is sealed under its own key-encryption keys (issue 11), on each database and through
the ``mediation`` command line as the README says to use it: adding an organisation gives it a KEK of its own;
one organisation's keyring opens nothing of another's, even when a wrapped key is copied across; rotation gives
every organisation a new KEK and keeps each data key within its own organisation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import FIRST_ORGANISATION, Keyrings, generate_keyring, read_keyring
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import Vault
from mediation.models import Case, CaseKey, Organisation, Origin
from tests.integration.test_key_management import Cli


@dataclass(frozen=True)
class Sealed:
    case_id: int
    sealed: bytes


@pytest.fixture
def cli(environment, runtime) -> Cli:
    command = Cli(environment)
    command.ok("init")
    return command


def _keyrings(runtime) -> Keyrings:
    return read_keyring(runtime.settings.keyring_file, None)


def _partner(runtime, cli) -> int:
    output = cli.ok("organisations", "add", "partner-house", "Partner House")
    with runtime.transaction() as session:
        partner = session.scalars(select(Organisation).where(Organisation.slug == "partner-house")).one()
    assert f"added organisation #{partner.id} 'partner-house' with its own KEK" in output
    _next_request(runtime)
    return partner.id


def _next_request(runtime) -> None:
    """What a running server does at its next request: look at the keyring file, say which KEKs it uses now."""
    runtime.vault.refresh(force=True)
    with runtime.transaction():
        pass


def _context(case_id: int) -> RecordContext:
    return RecordContext(case_id, "test_record", "1", None, "probe.v1")


def _sealed_case(runtime, organisation_id: int, text: str) -> Sealed:
    """A bare case row of ``organisation_id`` with one record sealed through the vault (another organisation's own
    services are the wall's tests; this is about keys)."""
    with runtime.transaction() as session:
        case = Case(reference=f"KT-{text[:2].upper()}-{organisation_id}", origin=Origin.HARMED_PARTY_REQUEST,
                    organisation_id=organisation_id)
        session.add(case)
        session.flush()
        return Sealed(case.id, runtime.vault.seal_text(session, _context(case.id), text))


def _opened(runtime, vault: Vault, record: Sealed) -> str:
    with runtime.transaction() as session:
        return vault.open_text(session, _context(record.case_id), record.sealed)


def _case_key(runtime, record: Sealed) -> tuple[str, bytes]:
    with runtime.transaction() as session:
        kek_id, wrapped = session.execute(select(CaseKey.kek_id, CaseKey.wrapped_key)
                                          .where(CaseKey.case_id == record.case_id)).one()
        return str(kek_id), bytes(wrapped)


def test_an_added_organisation_gets_its_own_kek_in_the_keyring_file(cli, runtime):
    before = _keyrings(runtime)
    partner = _partner(runtime, cli)
    after = _keyrings(runtime)
    assert set(after.by_organisation) == {FIRST_ORGANISATION, partner}
    assert after.of(FIRST_ORGANISATION) == before.of(FIRST_ORGANISATION)  # nothing of the first changed
    assert not set(after.of(partner).keys) & set(after.of(FIRST_ORGANISATION).keys)
    listed = cli.ok("organisations", "list")
    assert "partner-house" in listed and after.of(partner).active in listed
    assert "already an organisation 'partner-house'" in cli.refused("organisations", "add", "partner-house", "Again")
    assert "not a valid organisation handle" in cli.refused("organisations", "add", "Bad Slug!", "X")
    assert _keyrings(runtime) == after  # a refusal writes nothing


def test_one_organisations_keyring_opens_nothing_of_anothers(cli, runtime):
    partner = _partner(runtime, cli)
    ours = _sealed_case(runtime, FIRST_ORGANISATION, "Ada, ours")
    theirs = _sealed_case(runtime, partner, "Bo, theirs")
    keyrings = _keyrings(runtime)
    our_kek, our_wrapped = _case_key(runtime, ours)
    their_kek, their_wrapped = _case_key(runtime, theirs)
    assert our_kek in keyrings.of(FIRST_ORGANISATION).keys and their_kek in keyrings.of(partner).keys

    with pytest.raises(KeyUnavailable):
        keyrings.of(partner).unwrap(ours.case_id, our_kek, our_wrapped)
    with pytest.raises(KeyUnavailable):
        keyrings.of(FIRST_ORGANISATION).unwrap(theirs.case_id, their_kek, their_wrapped)

    # A process holding only the partner's real keys reads the partner's case and nothing of ours, and back.
    partner_only = Vault(Keyrings({FIRST_ORGANISATION: generate_keyring(), partner: keyrings.of(partner)}))
    ours_only = Vault(Keyrings({FIRST_ORGANISATION: keyrings.of(FIRST_ORGANISATION), partner: generate_keyring()}))
    assert _opened(runtime, partner_only, theirs) == "Bo, theirs"
    with pytest.raises(KeyUnavailable):
        _opened(runtime, partner_only, ours)
    assert _opened(runtime, ours_only, ours) == "Ada, ours"
    with pytest.raises(KeyUnavailable):
        _opened(runtime, ours_only, theirs)


def test_a_key_rewrapped_under_another_organisations_kek_does_not_open_even_with_every_keyring(cli, runtime):
    partner = _partner(runtime, cli)
    ours = _sealed_case(runtime, FIRST_ORGANISATION, "Ada, ours")
    keyrings = _keyrings(runtime)
    with runtime.transaction() as session:
        data_key = runtime.vault.data_key(session, ours.case_id)
    # Someone with write access to the database wraps our case's key again, under the partner's KEK.
    kek_id, wrapped = keyrings.of(partner).wrap(ours.case_id, data_key)
    with runtime.transaction() as session:
        session.execute(update(CaseKey).where(CaseKey.case_id == ours.case_id)
                        .values(kek_id=kek_id, wrapped_key=wrapped))
    with pytest.raises(KeyUnavailable):
        _opened(runtime, Vault(keyrings), ours)  # every organisation's keys, nothing cached


def test_rotation_gives_each_organisation_a_new_kek_and_keeps_each_key_in_its_organisation(cli, runtime):
    partner = _partner(runtime, cli)
    ours = _sealed_case(runtime, FIRST_ORGANISATION, "Ada, ours")
    theirs = _sealed_case(runtime, partner, "Bo, theirs")
    old = _keyrings(runtime)
    output = cli.ok("keys", "rotate")
    rotated = _keyrings(runtime)
    for organisation_id in (FIRST_ORGANISATION, partner):
        new_active = rotated.of(organisation_id).active
        assert new_active != old.of(organisation_id).active
        assert f"active KEK of organisation #{organisation_id} is now {new_active}" in output
    assert _case_key(runtime, ours)[0] == rotated.of(FIRST_ORGANISATION).active
    assert _case_key(runtime, theirs)[0] == rotated.of(partner).active
    old_keks = [old.of(FIRST_ORGANISATION).active, old.of(partner).active]
    assert f"mediation keys retire {' '.join(old_keks)}" in output
    _next_request(runtime)
    cli.ok("keys", "retire", *old_keks)
    retired = _keyrings(runtime)
    assert not set(old_keks) & set(retired.keys)
    restarted = Vault(retired)
    assert (_opened(runtime, restarted, ours), _opened(runtime, restarted, theirs)) == ("Ada, ours", "Bo, theirs")
    assert "all 2 data key(s) open" in cli.ok("keys", "check")
