"""Chunked file encryption (STREAM over AES-256-GCM): exact round trips at every size around a chunk boundary;
any dropped, reordered, truncated, altered or appended chunk detected; constant memory whatever the size."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from mediation.crypto.errors import TamperedContent
from mediation.crypto.stream import DEFAULT_CHUNK, HEADER, TAG_BYTES, TooLarge, decrypt_stream, encrypt_stream

CHUNK = 64
SEALED_CHUNK = CHUNK + TAG_BYTES
KEY = os.urandom(32)
CONTEXT = b"rj-blob|0123abcd"


def _encrypt(plaintext: bytes, *, key: bytes = KEY, context: bytes = CONTEXT, chunk: int = CHUNK) -> bytes:
    target = io.BytesIO()
    assert encrypt_stream(key, context, io.BytesIO(plaintext), target, chunk_size=chunk) == len(plaintext)
    return target.getvalue()


def _decrypt(ciphertext: bytes, *, key: bytes = KEY, context: bytes = CONTEXT) -> bytes:
    return b"".join(decrypt_stream(key, context, io.BytesIO(ciphertext)))


def _split(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    """The header and the sealed chunks (the last one may be shorter)."""
    body = ciphertext[HEADER.size:]
    return ciphertext[:HEADER.size], [body[i:i + SEALED_CHUNK] for i in range(0, len(body), SEALED_CHUNK)]


def _plaintext(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]
SIZE_IDS = ["0", "1", "chunk-1", "chunk", "chunk+1", "3chunks", "3chunks+5"]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_a_stream_decrypts_to_exactly_what_was_encrypted(size):
    plaintext = _plaintext(size)
    ciphertext = _encrypt(plaintext)
    chunks = max(1, -(-size // CHUNK))
    assert len(ciphertext) == HEADER.size + size + chunks * TAG_BYTES
    assert _decrypt(ciphertext) == plaintext


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_decryption_yields_one_chunk_at_a_time(size):
    pieces = list(decrypt_stream(KEY, CONTEXT, io.BytesIO(_encrypt(_plaintext(size)))))
    assert all(len(piece) <= CHUNK for piece in pieces)
    assert b"".join(pieces) == _plaintext(size)


class _Trickle(io.RawIOBase):
    """A pipe or socket: every read returns at most a few bytes."""

    def __init__(self, data: bytes, most: int = 7) -> None:
        self._data, self._most = memoryview(data), most

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        take = min(self._most, len(self._data) if size < 0 else size)
        piece, self._data = bytes(self._data[:take]), self._data[take:]
        return piece


def test_short_reads_from_a_pipe_change_nothing():
    plaintext = _plaintext(3 * CHUNK + 5)
    target = io.BytesIO()
    encrypt_stream(KEY, CONTEXT, _Trickle(plaintext), target, chunk_size=CHUNK)
    ciphertext = target.getvalue()
    assert len(ciphertext) == len(_encrypt(plaintext))
    assert b"".join(decrypt_stream(KEY, CONTEXT, _Trickle(ciphertext))) == plaintext


def test_two_encryptions_of_the_same_file_differ():
    plaintext = _plaintext(3 * CHUNK)
    first, second = _encrypt(plaintext), _encrypt(plaintext)
    assert first != second
    assert _split(first)[1][0] != _split(second)[1][0]


# --- tampering ----------------------------------------------------------------------------------------------

def _drop(index: int):
    def edit(ciphertext: bytes) -> bytes:
        header, chunks = _split(ciphertext)
        return header + b"".join(c for i, c in enumerate(chunks) if i != index)
    return edit


def _swap(first: int, second: int):
    def edit(ciphertext: bytes) -> bytes:
        header, chunks = _split(ciphertext)
        chunks[first], chunks[second] = chunks[second], chunks[first]
        return header + b"".join(chunks)
    return edit


def _keep_chunks(count: int):
    def edit(ciphertext: bytes) -> bytes:
        header, chunks = _split(ciphertext)
        return header + b"".join(chunks[:count])
    return edit


def _cut(at: int):
    return lambda ciphertext: ciphertext[:at]


def _flip_in_chunk(index: int, offset: int):
    def edit(ciphertext: bytes) -> bytes:
        altered = bytearray(ciphertext)
        altered[HEADER.size + index * SEALED_CHUNK + offset] ^= 0x01
        return bytes(altered)
    return edit


def _append(junk: bytes):
    return lambda ciphertext: ciphertext + junk


def _repeat_last_chunk(ciphertext: bytes) -> bytes:
    return ciphertext + _split(ciphertext)[1][-1]


def _copy_chunk_over(source: int, target: int):
    def edit(ciphertext: bytes) -> bytes:
        header, chunks = _split(ciphertext)
        chunks[target] = chunks[source]
        return header + b"".join(chunks)
    return edit


TAMPERING = {
    "first-chunk-dropped": _drop(0),
    "middle-chunk-dropped": _drop(1),
    "last-chunk-dropped": _drop(3),
    "chunks-0-1-swapped": _swap(0, 1),
    "chunks-1-2-swapped": _swap(1, 2),
    "chunk-replaced-by-a-copy-of-another": _copy_chunk_over(0, 1),
    "truncated-after-1-chunk": _keep_chunks(1),
    "truncated-after-3-chunks": _keep_chunks(3),
    "truncated-after-the-header": _keep_chunks(0),
    "truncated-mid-chunk": _cut(HEADER.size + SEALED_CHUNK + 20),
    "truncated-in-the-last-tag": _cut(-1),
    "truncated-in-the-header": _cut(HEADER.size - 1),
    "truncated-to-nothing": _cut(0),
    "byte-flipped-in-first-chunk": _flip_in_chunk(0, 0),
    "byte-flipped-in-middle-chunk": _flip_in_chunk(2, 33),
    "byte-flipped-in-a-tag": _flip_in_chunk(1, CHUNK + 3),
    "byte-flipped-in-last-chunk": _flip_in_chunk(3, 2),
    "one-junk-byte-appended": _append(b"\x00"),
    "a-tag-of-junk-appended": _append(os.urandom(TAG_BYTES)),
    "a-chunk-of-junk-appended": _append(os.urandom(SEALED_CHUNK)),
    "last-chunk-repeated": _repeat_last_chunk,
}


@pytest.mark.parametrize("size", [3 * CHUNK + 5, 4 * CHUNK], ids=["partial-last-chunk", "full-last-chunk"])
@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_with_the_chunks_is_detected(tamper, size):
    ciphertext = _encrypt(_plaintext(size))
    assert len(_split(ciphertext)[1]) == 4
    altered = tamper(ciphertext)
    assert altered != ciphertext
    with pytest.raises(TamperedContent):
        _decrypt(altered)


@pytest.mark.parametrize("size", [0, CHUNK], ids=["empty", "one-full-chunk"])
@pytest.mark.parametrize("junk", [b"\x00", os.urandom(SEALED_CHUNK)], ids=["byte", "chunk"])
def test_junk_after_a_single_chunk_file_is_detected(size, junk):
    with pytest.raises(TamperedContent):
        _decrypt(_encrypt(_plaintext(size)) + junk)


def test_every_flipped_header_byte_is_detected():
    ciphertext = _encrypt(_plaintext(3 * CHUNK + 5))
    for position in range(HEADER.size):
        for mask in (0x01, 0x80, 0xFF):
            altered = bytearray(ciphertext)
            altered[position] ^= mask
            with pytest.raises(TamperedContent):
                _decrypt(bytes(altered))


def test_a_header_from_another_file_is_detected():
    plaintext = _plaintext(3 * CHUNK)
    first, second = _encrypt(plaintext), _encrypt(plaintext)
    with pytest.raises(TamperedContent):
        _decrypt(second[:HEADER.size] + first[HEADER.size:])


@pytest.mark.parametrize(("key", "context"), [(KEY, b"rj-blob|0123abce"), (KEY, b""), (os.urandom(32), CONTEXT)],
                         ids=["other-context", "empty-context", "other-key"])
def test_a_stream_read_with_another_context_or_key_fails(key, context):
    with pytest.raises(TamperedContent, match="failed its integrity check"):
        _decrypt(_encrypt(_plaintext(3 * CHUNK + 5)), key=key, context=context)


def test_a_file_that_is_not_an_encrypted_stream_is_refused():
    with pytest.raises(TamperedContent, match="not one this version wrote"):
        _decrypt(b"\x00" * 200)


def test_tampering_is_reported_at_the_chunk_that_fails():
    """Chunks before the damage verify on their own, and the error names where it stopped."""
    plaintext = _plaintext(3 * CHUNK + 5)
    stream = decrypt_stream(KEY, CONTEXT, io.BytesIO(_flip_in_chunk(2, 0)(_encrypt(plaintext))))
    assert next(stream) + next(stream) == plaintext[:2 * CHUNK]
    with pytest.raises(TamperedContent, match="at its chunk 2"):
        next(stream)


# --- size limit ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "limit"), [(101, 100), (CHUNK + 1, CHUNK), (1, 0), (10 * CHUNK, 5 * CHUNK + 7)])
def test_a_stream_past_the_limit_raises_too_large(size, limit):
    with pytest.raises(TooLarge, match=f"limit of {limit} bytes"):
        encrypt_stream(KEY, CONTEXT, io.BytesIO(_plaintext(size)), io.BytesIO(), limit=limit, chunk_size=CHUNK)


@pytest.mark.parametrize("size", [0, 1, CHUNK, 100])
def test_a_stream_at_the_limit_is_accepted(size):
    target = io.BytesIO()
    assert encrypt_stream(KEY, CONTEXT, io.BytesIO(_plaintext(size)), target, limit=100, chunk_size=CHUNK) == size
    assert _decrypt(target.getvalue()) == _plaintext(size)


# --- memory -------------------------------------------------------------------------------------------------

MIB = 1024 * 1024
BIG = 64 * MIB


class _Generated(io.RawIOBase):
    """``total`` bytes of varied content produced on demand and hashed as they go: never held whole."""

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.digest = hashlib.sha256()
        self._block = os.urandom(MIB)
        self._turn = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        take = min(self.remaining, MIB if size < 0 else size, MIB)
        self._turn += 1
        piece = bytes([self._turn % 256]) + self._block[1:take] if take else b""
        self.remaining -= take
        self.digest.update(piece)
        return piece


def test_memory_stays_bounded_while_streaming_64_mib(tmp_path: Path):
    source = _Generated(BIG)
    encrypted = tmp_path / "big.rjs"
    tracemalloc.start()
    try:
        with encrypted.open("wb") as target:
            assert encrypt_stream(KEY, CONTEXT, source, target) == BIG
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, total = hashlib.sha256(), 0
        with encrypted.open("rb") as handle:
            for piece in decrypt_stream(KEY, CONTEXT, handle):
                digest.update(piece)
                total += len(piece)
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == BIG
    assert digest.digest() == source.digest.digest()
    assert encrypted.stat().st_size == HEADER.size + BIG + (BIG // DEFAULT_CHUNK) * TAG_BYTES
    # A few chunks of DEFAULT_CHUNK (1 MiB) at a time, never the file.
    assert encrypt_peak < 8 * MIB, encrypt_peak
    assert decrypt_peak < 8 * MIB, decrypt_peak


@pytest.mark.parametrize("chunk", [0, 64 * MIB + 1], ids=["zero", "above-64-MiB"])
def test_whatever_chunk_size_the_writer_accepts_its_reader_reads_back(chunk):
    target = io.BytesIO()
    try:
        size = encrypt_stream(KEY, CONTEXT, io.BytesIO(b"abc"), target, chunk_size=chunk)
    except ValueError:
        return  # refusing the chunk size up front is fine too
    assert size == 3
    assert _decrypt(target.getvalue()) == b"abc"
