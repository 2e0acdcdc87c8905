"""Sealed database fields: AES-256-GCM bound to the record they belong to, so any altered bit or a ciphertext
read in another record's place fails with TamperedContent."""

from __future__ import annotations

import dataclasses
import os

import pytest

from mediation.crypto.errors import TamperedContent
from mediation.crypto.records import FORMAT_V1, NONCE_BYTES, RecordContext, open_sealed, seal

DATA_KEY = os.urandom(32)
CONTEXT = RecordContext(case_id=12, kind="contact", record_id="34", author_id=56, field="card.r1")
SECRET = b"Lives at 12 Example Street; safe to call after 5 pm"
TAG_BYTES = 16


@pytest.mark.parametrize("plaintext", [b"", b"x", SECRET, "Zoë, ça va? 🙂".encode(), os.urandom(100_000)],
                         ids=["empty", "one-byte", "text", "unicode", "100k-binary"])
def test_a_sealed_value_opens_to_the_same_bytes(plaintext):
    sealed = seal(DATA_KEY, CONTEXT, plaintext)
    assert open_sealed(DATA_KEY, CONTEXT, sealed) == plaintext


def test_the_layout_is_version_nonce_body_tag():
    sealed = seal(DATA_KEY, CONTEXT, SECRET)
    assert sealed[:1] == FORMAT_V1
    assert len(sealed) == 1 + NONCE_BYTES + len(SECRET) + TAG_BYTES
    assert SECRET not in sealed


def test_two_seals_of_the_same_text_differ():
    first, second = seal(DATA_KEY, CONTEXT, SECRET), seal(DATA_KEY, CONTEXT, SECRET)
    assert first != second
    assert first[1:1 + NONCE_BYTES] != second[1:1 + NONCE_BYTES]
    assert open_sealed(DATA_KEY, CONTEXT, first) == open_sealed(DATA_KEY, CONTEXT, second) == SECRET


REGIONS = {
    "version": (0, 1),
    "nonce": (1, 1 + NONCE_BYTES),
    "body": (1 + NONCE_BYTES, 1 + NONCE_BYTES + len(SECRET)),
    "tag": (1 + NONCE_BYTES + len(SECRET), 1 + NONCE_BYTES + len(SECRET) + TAG_BYTES),
}


@pytest.mark.parametrize("region", REGIONS)
def test_every_flipped_bit_is_detected(region):
    sealed = seal(DATA_KEY, CONTEXT, SECRET)
    start, end = REGIONS[region]
    for position in range(start, end):
        for bit in range(8):
            altered = bytearray(sealed)
            altered[position] ^= 1 << bit
            with pytest.raises(TamperedContent) as caught:
                open_sealed(DATA_KEY, CONTEXT, bytes(altered))
            assert SECRET.decode() not in str(caught.value)


@pytest.mark.parametrize("keep", [0, 1, 1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES - 1, -1],
                         ids=["empty", "version-only", "no-body-no-tag", "one-short-of-minimum", "last-byte-cut"])
def test_a_truncated_value_is_detected(keep):
    sealed = seal(DATA_KEY, CONTEXT, SECRET)
    with pytest.raises(TamperedContent):
        open_sealed(DATA_KEY, CONTEXT, sealed[:keep])


def test_an_appended_byte_is_detected():
    with pytest.raises(TamperedContent, match="failed its integrity check"):
        open_sealed(DATA_KEY, CONTEXT, seal(DATA_KEY, CONTEXT, SECRET) + b"\x00")


@pytest.mark.parametrize("change", [
    {"case_id": 13}, {"kind": "note"}, {"record_id": "35"}, {"author_id": 57}, {"author_id": None},
    {"field": "card.r2"},
], ids=["other-case", "other-kind", "other-record", "other-author", "no-author", "other-field"])
def test_a_value_read_in_another_records_place_fails(change):
    sealed = seal(DATA_KEY, CONTEXT, SECRET)
    elsewhere = dataclasses.replace(CONTEXT, **change)
    with pytest.raises(TamperedContent, match="altered or copied from another record") as caught:
        open_sealed(DATA_KEY, elsewhere, sealed)
    assert elsewhere.describe() in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_value_opened_with_another_cases_data_key_fails():
    with pytest.raises(TamperedContent):
        open_sealed(os.urandom(32), CONTEXT, seal(DATA_KEY, CONTEXT, SECRET))


def test_an_unknown_format_version_is_named_as_such():
    sealed = bytearray(seal(DATA_KEY, CONTEXT, SECRET))
    sealed[0] = 2
    with pytest.raises(TamperedContent, match="not a ciphertext this version can read"):
        open_sealed(DATA_KEY, CONTEXT, bytes(sealed))


@pytest.mark.parametrize("record_id", ["", "None"])
def test_a_record_without_its_id_cannot_be_given_a_context(record_id):
    """A ciphertext bound to a missing id would be interchangeable with every other record of its kind."""
    with pytest.raises(ValueError, match="must have its id before it is sealed"):
        RecordContext(case_id=12, kind="note", record_id=record_id, author_id=56, field="text")
