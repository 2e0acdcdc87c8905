"""A referral's side keys: each opens only with its own organisation's keyring, on its own referral and side."""

from __future__ import annotations

import os

import pytest

from mediation.crypto import referral_keys
from mediation.crypto.errors import KeyUnavailable, TamperedContent
from mediation.crypto.keyring import KEY_BYTES, Keyring


def keyring(kek_id: str) -> Keyring:
    return Keyring({kek_id: os.urandom(KEY_BYTES)}, kek_id)


ORG_A, ORG_B = keyring("kek-a"), keyring("kek-b")


def test_each_side_opens_its_own_key_with_its_own_keyring():
    key = referral_keys.new_data_key()
    kek, wrapped = referral_keys.wrap(ORG_A, 7, "referring", key)
    assert kek == "kek-a"
    assert referral_keys.unwrap(ORG_A, 7, "referring", kek, wrapped) == key


@pytest.mark.parametrize(("owner", "other"), [(ORG_A, ORG_B), (ORG_B, ORG_A)])
def test_one_organisations_keyring_cannot_open_the_others_side_key(owner, other):
    side = "referring" if owner is ORG_A else "receiving"
    kek, wrapped = referral_keys.wrap(owner, 7, side, referral_keys.new_data_key())
    with pytest.raises(KeyUnavailable, match="not in this keyring"):
        referral_keys.unwrap(other, 7, side, kek, wrapped)
    same_id = Keyring({kek: os.urandom(KEY_BYTES)}, kek)  # another organisation's KEK under the same id
    with pytest.raises(KeyUnavailable, match="does not open"):
        referral_keys.unwrap(same_id, 7, side, kek, wrapped)


@pytest.mark.parametrize(("referral_id", "side"), [(8, "referring"), (7, "receiving")])
def test_a_wrapped_key_moved_to_another_referral_or_side_fails(referral_id, side):
    kek, wrapped = referral_keys.wrap(ORG_A, 7, "referring", referral_keys.new_data_key())
    with pytest.raises(KeyUnavailable, match="does not open"):
        referral_keys.unwrap(ORG_A, referral_id, side, kek, wrapped)


def test_a_side_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="no side"):
        referral_keys.wrap(ORG_A, 7, "third", referral_keys.new_data_key())


def test_a_shared_value_moved_to_another_referral_or_field_fails():
    key = referral_keys.new_data_key()
    sealed = referral_keys.seal_text(key, referral_keys.field_context(7, "name"), "Ana Pop")
    assert referral_keys.open_text(key, referral_keys.field_context(7, "name"), sealed) == "Ana Pop"
    for moved in (referral_keys.field_context(8, "name"), referral_keys.field_context(7, "contact")):
        with pytest.raises(TamperedContent):
            referral_keys.open_text(key, moved, sealed)


def test_a_note_moved_to_another_note_or_author_fails():
    key = referral_keys.new_data_key()
    sealed = referral_keys.seal_text(key, referral_keys.note_context(7, 1, 30), "Met the person.")
    for moved in (referral_keys.note_context(7, 2, 30), referral_keys.note_context(7, 1, 31),
                  referral_keys.note_context(8, 1, 30)):
        with pytest.raises(TamperedContent):
            referral_keys.open_text(key, moved, sealed)
