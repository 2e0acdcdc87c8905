"""Keyrings: one keyring per organisation in one file, each KEK belonging to one organisation (issue 11)."""

from __future__ import annotations

import json

import pytest

from mediation.crypto.errors import CryptoError, KeyUnavailable
from mediation.crypto.keyring import FIRST_ORGANISATION, Keyring, Keyrings, generate_keyring, new_kek

PARTNER = 2


@pytest.fixture
def keyrings() -> Keyrings:
    return Keyrings.single(generate_keyring()).with_organisation(PARTNER)


def test_a_deployment_with_one_organisation_keeps_the_old_file_format():
    keyring = generate_keyring()
    text = Keyrings.single(keyring).to_json()
    assert json.loads(text)["active"] == keyring.active
    assert Keyrings.from_json(keyring.to_json(), "old file") == Keyrings.single(keyring)


def test_several_organisations_round_trip_through_the_file_format(keyrings):
    text = keyrings.to_json()
    assert set(json.loads(text)["organisations"]) == {"1", "2"}
    assert Keyrings.from_json(text, "file") == keyrings


def test_each_organisation_wraps_under_its_own_active_kek_and_only_it_unwraps(keyrings):
    data_key = bytes(range(32))
    kek_id, wrapped = keyrings.of(PARTNER).wrap(7, data_key)
    assert kek_id == keyrings.of(PARTNER).active != keyrings.of(FIRST_ORGANISATION).active
    assert keyrings.of(PARTNER).unwrap(7, kek_id, wrapped) == data_key
    with pytest.raises(KeyUnavailable, match="is not in this keyring"):
        keyrings.of(FIRST_ORGANISATION).unwrap(7, kek_id, wrapped)
    assert keyrings.organisation_of(kek_id) == PARTNER and keyrings.holding(kek_id) == keyrings.of(PARTNER)


def test_a_kek_cannot_belong_to_two_organisations():
    keyring = generate_keyring()
    with pytest.raises(CryptoError, match="belongs to two organisations"):
        Keyrings({FIRST_ORGANISATION: keyring, PARTNER: keyring})


def test_an_organisation_without_keys_is_named_and_an_existing_one_is_never_replaced(keyrings):
    with pytest.raises(KeyUnavailable, match="organisation #9 has no keys"):
        keyrings.of(9)
    with pytest.raises(CryptoError, match="already has keys"):
        keyrings.with_organisation(PARTNER)


def test_rotating_and_retiring_one_organisation_leaves_the_other_untouched(keyrings):
    old = keyrings.of(PARTNER).active
    rotated = keyrings.with_new_active(*new_kek(), organisation_id=PARTNER)
    assert rotated.of(FIRST_ORGANISATION) == keyrings.of(FIRST_ORGANISATION)
    assert old in rotated.keys and rotated.of(PARTNER).active != old
    assert rotated.actives == {rotated.of(FIRST_ORGANISATION).active, rotated.of(PARTNER).active}
    retired = rotated.without(old)
    assert old not in retired.keys and old in retired.retired
    assert retired.organisation_of(old) == PARTNER  # a retired KEK still says whose it was
    with pytest.raises(CryptoError, match="active KEK cannot be retired"):
        retired.without(retired.of(PARTNER).active)


def test_a_damaged_multi_organisation_file_is_refused_naming_it(keyrings):
    data = json.loads(keyrings.to_json())
    data["organisations"]["2"]["active"] = "kek-nowhere"
    with pytest.raises(CryptoError, match="not among its keys"):
        Keyrings.from_json(json.dumps(data), "keyring.json")
    with pytest.raises(CryptoError, match=r"keyring\.json is not a valid keyring"):
        Keyrings.from_json('{"organisations": {"one": {}}}', "keyring.json")


def test_keyring_without_the_first_organisation_is_refused():
    with pytest.raises(CryptoError, match="first organisation"):
        Keyrings({PARTNER: Keyring(*_one())})


def _one() -> tuple[dict[str, bytes], str]:
    kek_id, key = new_kek()
    return {kek_id: key}, kek_id
