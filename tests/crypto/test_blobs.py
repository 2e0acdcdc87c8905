"""The encrypted blob folder: only ciphertext ever reaches the disk, files and folders are private, a refused or
failed upload leaves nothing behind, and a missing or altered file is detected when read."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediation.blobs import SNIFF_BYTES, BlobStore
from mediation.crypto.errors import TamperedContent
from mediation.crypto.stream import HEADER, TooLarge

CHUNK = 256
MARKER = b"HARMED-PARTY-TESTIMONY-"
PLAINTEXT = b"\x1a\x45\xdf\xa3" + MARKER * 100  # a WebM signature, then distinctive text over several chunks


@pytest.fixture
def no_umask() -> Iterator[None]:
    """Let the modes the code asks for show through unchanged, so the test checks the code, not the umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def store(tmp_path: Path, no_umask) -> BlobStore:
    root = tmp_path / "blobs"
    root.mkdir(mode=0o700)
    return BlobStore(root, chunk_size=CHUNK)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _read(store: BlobStore, blob_id: str, key: bytes) -> bytes:
    return b"".join(store.read(blob_id, key))


def test_a_received_file_reads_back_whole(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    assert received.size == len(PLAINTEXT)
    assert received.head == PLAINTEXT[:SNIFF_BYTES]
    assert len(received.file_key) == 32
    assert _read(store, received.blob_id, received.file_key) == PLAINTEXT


def test_only_ciphertext_reaches_the_blob_folder(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=10 * len(PLAINTEXT))
    files = _files(store.root)
    assert files == [store.path(received.blob_id)]
    stored = files[0].read_bytes()
    assert len(stored) > len(PLAINTEXT)
    for needle in (MARKER, MARKER[:8], PLAINTEXT[:SNIFF_BYTES], received.file_key):
        assert needle not in stored


def test_blob_files_are_private_to_the_owner(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    path = store.path(received.blob_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent.parent == store.root


def test_each_file_gets_its_own_id_and_key(store):
    first = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    second = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    assert first.blob_id != second.blob_id
    assert first.file_key != second.file_key
    assert store.path(first.blob_id).read_bytes() != store.path(second.blob_id).read_bytes()


@pytest.mark.parametrize("limit", [0, CHUNK, len(PLAINTEXT) - 1])
def test_a_file_past_the_limit_leaves_nothing_behind(store, limit):
    with pytest.raises(TooLarge):
        store.receive(io.BytesIO(PLAINTEXT), limit=limit)
    assert _files(store.root) == []


class _Broken(io.RawIOBase):
    """An upload whose connection drops after some chunks."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        self._data, self._left = io.BytesIO(data), fail_after

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise ConnectionResetError("client went away")
        self._left -= 1
        return self._data.read(size)


def test_an_interrupted_upload_leaves_nothing_behind(store):
    with pytest.raises(ConnectionResetError):
        store.receive(_Broken(PLAINTEXT, fail_after=3), limit=10 * len(PLAINTEXT))
    assert _files(store.root) == []


def test_a_missing_file_is_reported_as_missing(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    store.path(received.blob_id).unlink()
    with pytest.raises(TamperedContent, match=f"{received.blob_id} is missing"):
        _read(store, received.blob_id, received.file_key)


@pytest.mark.parametrize("offset", [0, HEADER.size - 1, HEADER.size, HEADER.size + CHUNK + 5, -1],
                         ids=["magic", "chunk-size", "first-chunk", "second-chunk", "last-tag"])
def test_an_altered_file_is_detected(store, offset):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    path = store.path(received.blob_id)
    altered = bytearray(path.read_bytes())
    altered[offset] ^= 0x01
    path.write_bytes(bytes(altered))
    with pytest.raises(TamperedContent):
        _read(store, received.blob_id, received.file_key)


def test_a_truncated_file_is_detected(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    path = store.path(received.blob_id)
    path.write_bytes(path.read_bytes()[:HEADER.size + CHUNK + 16])
    with pytest.raises(TamperedContent):
        _read(store, received.blob_id, received.file_key)


def test_a_file_copied_under_another_blobs_id_fails(store):
    first = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    second = store.receive(io.BytesIO(b"another file"), limit=len(PLAINTEXT))
    store.path(second.blob_id).write_bytes(store.path(first.blob_id).read_bytes())
    with pytest.raises(TamperedContent):
        _read(store, second.blob_id, first.file_key)
    with pytest.raises(TamperedContent):
        _read(store, second.blob_id, second.file_key)


def test_a_file_read_with_another_key_fails(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    with pytest.raises(TamperedContent):
        _read(store, received.blob_id, os.urandom(32))


def test_discard_removes_the_file_and_may_be_repeated(store):
    received = store.receive(io.BytesIO(PLAINTEXT), limit=len(PLAINTEXT))
    store.discard(received.blob_id)
    assert _files(store.root) == []
    store.discard(received.blob_id)
    with pytest.raises(TamperedContent, match="missing"):
        _read(store, received.blob_id, received.file_key)


@pytest.mark.parametrize("blob_id", ["", "../keyring", "ab/cd", "ab.cd", "..", "ab\x00cd"])
def test_a_blob_id_cannot_reach_outside_the_folder(store, blob_id):
    with pytest.raises(ValueError, match="alphanumeric"):
        store.path(blob_id)
    with pytest.raises(ValueError, match="alphanumeric"):
        _read(store, blob_id, os.urandom(32))


def test_the_head_is_recorded_even_from_short_reads(store):
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self._data.read(min(5, size) if size >= 0 else 5)

    received = store.receive(Trickle(PLAINTEXT), limit=len(PLAINTEXT))
    assert received.head == PLAINTEXT[:SNIFF_BYTES]
    assert _read(store, received.blob_id, received.file_key) == PLAINTEXT
