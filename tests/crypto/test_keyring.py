"""The keyring of key-encryption keys (KEKs): wrapping case data keys, failing loudly and clearly with the wrong
key, and reading and writing the keyring file or environment string."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from collections.abc import Iterator

import pytest
from cryptography.exceptions import InvalidTag

from mediation.crypto.errors import CryptoError, KeyUnavailable
from mediation.crypto.keyring import (
    KEY_BYTES,
    Keyring,
    Keyrings,
    generate_keyring,
    new_kek,
    read_keyring,
    write_keyring,
)

DATA_KEY = bytes(range(32))


@pytest.fixture
def keyring() -> Keyring:
    return generate_keyring()


@pytest.fixture
def no_umask() -> Iterator[None]:
    """Let the modes the code asks for show through unchanged, so the test checks the code, not the umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _same_id_other_bytes(keyring: Keyring) -> Keyring:
    """What an operator who mistyped the key in the keyring file ends up with."""
    key = bytearray(keyring.keys[keyring.active])
    key[0] ^= 0x01
    return Keyring({keyring.active: bytes(key)}, keyring.active)


def _assert_clean(error: BaseException) -> None:
    """A domain error of its own: no InvalidTag (or other low-level error) shown underneath it."""
    assert not isinstance(error, InvalidTag)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


# --- wrapping -----------------------------------------------------------------------------------------------

def test_a_wrapped_data_key_unwraps_to_the_same_bytes(keyring):
    kek_id, wrapped = keyring.wrap(7, DATA_KEY)
    assert kek_id == keyring.active
    assert DATA_KEY not in wrapped
    assert keyring.unwrap(7, kek_id, wrapped) == DATA_KEY


def test_two_wraps_of_the_same_key_differ(keyring):
    assert keyring.wrap(7, DATA_KEY)[1] != keyring.wrap(7, DATA_KEY)[1]


def test_a_wrapped_key_moved_to_another_case_fails(keyring):
    kek_id, wrapped = keyring.wrap(7, DATA_KEY)
    with pytest.raises(KeyUnavailable, match=r"case #8 does not open") as caught:
        keyring.unwrap(8, kek_id, wrapped)
    _assert_clean(caught.value)


@pytest.mark.parametrize("where", [0, 11, 12, -17, -1], ids=["nonce-first", "nonce-last", "body-first",
                                                             "body-last", "tag-last"])
def test_an_altered_wrapped_key_fails(keyring, where):
    kek_id, wrapped = keyring.wrap(7, DATA_KEY)
    altered = bytearray(wrapped)
    altered[where] ^= 0x80
    with pytest.raises(KeyUnavailable, match="altered"):
        keyring.unwrap(7, kek_id, bytes(altered))


def test_a_mistyped_kek_raises_key_unavailable_with_a_clear_message(keyring):
    kek_id, wrapped = keyring.wrap(7, DATA_KEY)
    with pytest.raises(KeyUnavailable) as caught:
        _same_id_other_bytes(keyring).unwrap(7, kek_id, wrapped)
    message = str(caught.value)
    assert f"KEK {kek_id!r}" in message
    assert "wrong (mistyped or replaced)" in message
    _assert_clean(caught.value)
    for key in (keyring.keys[kek_id], DATA_KEY):
        assert key.hex() not in message
        assert base64.b64encode(key).decode() not in message


def test_a_retired_kek_is_named_as_retired(keyring):
    kek_id, wrapped = keyring.wrap(7, DATA_KEY)
    new_id, new_key = new_kek()
    retired = keyring.with_new_active(new_id, new_key).without(kek_id)
    assert retired.retired == (kek_id,)
    with pytest.raises(KeyUnavailable, match=re.escape(f"wrapped by KEK {kek_id!r}, which was retired")):
        retired.unwrap(7, kek_id, wrapped)


def test_an_unknown_kek_is_named_as_missing(keyring):
    kek_id, wrapped = keyring.wrap(7, DATA_KEY)
    with pytest.raises(KeyUnavailable, match=re.escape(f"KEK {kek_id!r}, which is not in this keyring")):
        generate_keyring().unwrap(7, kek_id, wrapped)


def test_a_new_active_kek_wraps_new_keys_while_the_old_one_still_unwraps(keyring):
    old_id, old_wrapped = keyring.wrap(7, DATA_KEY)
    new_id, new_key = new_kek()
    rotated = keyring.with_new_active(new_id, new_key)
    assert rotated.active == new_id
    assert set(rotated.keys) == {old_id, new_id}
    assert rotated.unwrap(7, old_id, old_wrapped) == DATA_KEY
    kek_id, wrapped = rotated.wrap(7, DATA_KEY)
    assert kek_id == new_id
    assert rotated.unwrap(7, kek_id, wrapped) == DATA_KEY
    with pytest.raises(KeyUnavailable):  # the KEK id is bound too: the wrapped key only opens under its own KEK
        rotated.unwrap(7, old_id, wrapped)


def test_the_active_kek_cannot_be_retired(keyring):
    with pytest.raises(CryptoError, match="rotate to a new one first"):
        keyring.without(keyring.active)


def test_retiring_an_unknown_kek_is_refused(keyring):
    with pytest.raises(CryptoError, match="there is no KEK 'kek-nope'"):
        keyring.without("kek-nope")


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_keyring_accepts_only_256_bit_keys(size):
    with pytest.raises(CryptoError, match="not a 256-bit key"):
        Keyring({"kek-a": b"k" * size}, "kek-a")


def test_a_keyring_whose_active_kek_is_missing_is_refused():
    with pytest.raises(CryptoError, match="active key 'kek-b' is not among its keys"):
        Keyring({"kek-a": b"k" * KEY_BYTES}, "kek-b")


# --- serialisation ------------------------------------------------------------------------------------------

def test_json_round_trip_keeps_keys_active_and_retired(keyring):
    new_id, new_key = new_kek()
    rotated = keyring.with_new_active(new_id, new_key)
    third_id, third_key = new_kek()
    full = rotated.with_new_active(third_id, third_key).without(keyring.active)
    assert Keyring.from_json(full.to_json(), "test") == full


def _truncated(text: str) -> str:
    return text[: len(text) // 2]


def _bad_base64(text: str) -> str:
    data = json.loads(text)
    data["keys"] = {k: "not*base64!" for k in data["keys"]}
    return json.dumps(data)


def _short_key(text: str) -> str:
    data = json.loads(text)
    data["keys"] = {k: base64.b64encode(b"k" * 16).decode() for k in data["keys"]}
    return json.dumps(data)


def _without(field: str):
    def edit(text: str) -> str:
        data = json.loads(text)
        del data[field]
        return json.dumps(data)
    return edit


@pytest.mark.parametrize(("edit", "expected"), [
    (_truncated, "not a valid keyring"),
    (lambda text: text.replace('"', "'"), "not a valid keyring"),
    (lambda _: "", "not a valid keyring"),
    (lambda _: "[]", "not a valid keyring"),
    (lambda _: '{"keys": []}', "not a valid keyring"),
    (_without("keys"), "not a valid keyring"),
    (_without("active"), "not a valid keyring"),
    (_bad_base64, "not a valid keyring"),
    (_short_key, "not a 256-bit key"),
], ids=["truncated", "garbled", "empty", "a-list", "keys-not-a-mapping", "no-keys", "no-active", "bad-base64",
        "128-bit-key"])
def test_from_json_refuses_a_damaged_keyring_with_crypto_error(keyring, edit, expected):
    text = keyring.to_json()
    with pytest.raises(CryptoError, match=expected) as caught:
        Keyring.from_json(edit(text), "/srv/instance/keyring.json")
    _assert_clean(caught.value)
    assert base64.b64encode(keyring.keys[keyring.active]).decode() not in str(caught.value)


def test_from_json_names_its_source(keyring):
    with pytest.raises(CryptoError, match=r"^MEDIATION_KEYRING is not a valid keyring"):
        Keyring.from_json(_truncated(keyring.to_json()), "MEDIATION_KEYRING")


# --- the keyring file -----------------------------------------------------------------------------------------

def test_write_keyring_creates_a_private_file_in_a_private_folder(tmp_path, keyring, no_umask):
    path = tmp_path / "instance" / "keyring.json"
    write_keyring(path, keyring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_keyring(path, None) == Keyrings.single(keyring)


def test_write_keyring_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path, keyring, no_umask):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    first_inode = path.stat().st_ino
    new_id, new_key = new_kek()
    rotated = keyring.with_new_active(new_id, new_key)
    write_keyring(path, rotated)
    assert path.stat().st_ino != first_inode  # a new file renamed into place, never rewritten in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_keyring(path, None) == Keyrings.single(rotated)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]


def _failing_fsync(_descriptor: int) -> None:
    raise OSError(28, "No space left on device")


def test_a_failed_write_leaves_the_previous_keyring_intact(tmp_path, keyring, monkeypatch):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    monkeypatch.setattr(os, "fsync", _failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_keyring(path, generate_keyring())
    assert read_keyring(path, None) == Keyrings.single(keyring)


def test_a_failed_write_leaves_no_copy_of_the_keys_behind(tmp_path, keyring, monkeypatch):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    monkeypatch.setattr(os, "fsync", _failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_keyring(path, generate_keyring())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]


def test_read_keyring_prefers_the_environment_over_the_file(tmp_path, keyring):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    from_env = generate_keyring()
    assert read_keyring(path, from_env.to_json()) == Keyrings.single(from_env)
    assert read_keyring(tmp_path / "absent.json", from_env.to_json()) == Keyrings.single(from_env)


def test_read_keyring_reads_the_file_when_the_environment_is_empty(tmp_path, keyring):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    assert read_keyring(path, None) == Keyrings.single(keyring)
    assert read_keyring(path, "") == Keyrings.single(keyring)


def test_read_keyring_says_what_to_do_when_there_is_none(tmp_path):
    path = tmp_path / "keyring.json"
    with pytest.raises(KeyUnavailable) as caught:
        read_keyring(path, None)
    message = str(caught.value)
    assert str(path) in message
    assert "restore the keyring from its backup" in message
    # never advise creating a keyring: a new KEK opens none of the data keys already stored
    assert "init" not in message and "generate" not in message
    _assert_clean(caught.value)


def test_read_keyring_refuses_a_damaged_file_naming_it(tmp_path, keyring):
    path = tmp_path / "keyring.json"
    path.write_text(_truncated(keyring.to_json()))
    with pytest.raises(CryptoError, match=re.escape(f"{path} is not a valid keyring")):
        read_keyring(path, None)


def test_read_keyring_refuses_a_damaged_environment_string_naming_it(tmp_path, keyring):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    with pytest.raises(CryptoError, match=r"^MEDIATION_KEYRING is not a valid keyring"):
        read_keyring(path, "{not json")


def test_generated_keyrings_are_independent():
    first, second = generate_keyring(), generate_keyring()
    assert first.active != second.active
    assert first.keys[first.active] != second.keys[second.active]
    assert re.fullmatch(r"kek-\d{8}-[0-9a-f]{6}", first.active)


def test_the_keyring_file_holds_the_keys_base64_encoded(tmp_path, keyring):
    path = tmp_path / "keyring.json"
    write_keyring(path, keyring)
    data = json.loads(path.read_text())
    assert data["active"] == keyring.active
    assert base64.b64decode(data["keys"][keyring.active]) == keyring.keys[keyring.active]
