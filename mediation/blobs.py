"""Encrypted file storage under the instance folder (videos today, any attachment tomorrow).

A file is encrypted while it streams in, under a fresh random file key, straight into a private temporary file
that is renamed into place when complete: plaintext never touches the disk and memory stays at one chunk.
The caller seals the file key with the case's data key, so destroying that data key makes the file unreadable.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from mediation.crypto.errors import TamperedContent
from mediation.crypto.stream import DEFAULT_CHUNK, decrypt_stream, encrypt_stream
from mediation.storage_guard import make_private_folder

SNIFF_BYTES = 64


@dataclass(frozen=True)
class ReceivedBlob:
    """A file now stored encrypted, waiting for a service to accept it (or to discard it)."""

    blob_id: str
    size: int
    file_key: bytes
    head: bytes  # the first plaintext bytes, to check the file type; never stored


class _HeadRecorder(io.RawIOBase):
    """Pass reads through while keeping the first bytes, so the type can be checked without a second pass."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.head = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._source.read(-1 if size is None else size)
        if len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
        return data


def _context(blob_id: str) -> bytes:
    return f"rj-blob|{blob_id}".encode()


class BlobStore:
    def __init__(self, root: Path, chunk_size: int = DEFAULT_CHUNK) -> None:
        self.root = root
        self.chunk_size = chunk_size

    def path(self, blob_id: str) -> Path:
        if not blob_id.isalnum():
            raise ValueError("a blob id is alphanumeric")
        return self.root / blob_id[:2] / f"{blob_id}.rjs"

    def receive(self, source: IO[bytes], *, limit: int) -> ReceivedBlob:
        """Encrypt ``source`` into the store; raise ``TooLarge`` (keeping nothing) past ``limit`` bytes."""
        blob_id, file_key = secrets.token_hex(16), os.urandom(32)
        final = self.path(blob_id)
        make_private_folder(final.parent)
        partial = final.with_suffix(".part")
        recorder = _HeadRecorder(source)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as target:
                size = encrypt_stream(file_key, _context(blob_id), cast(IO[bytes], recorder), target, limit=limit,
                                      chunk_size=self.chunk_size)
                target.flush()
                os.fsync(target.fileno())
            partial.replace(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return ReceivedBlob(blob_id, size, file_key, recorder.head)

    def read(self, blob_id: str, file_key: bytes) -> Iterator[bytes]:
        """Yield the plaintext chunk by chunk; ``TamperedContent`` at the first chunk that fails to verify."""
        try:
            handle = self.path(blob_id).open("rb")
        except FileNotFoundError:
            raise TamperedContent("the encrypted file %(blob_id)s is missing from the blob folder",
                                  blob_id=str(blob_id)) from None
        with handle:
            yield from decrypt_stream(file_key, _context(blob_id), handle)

    def discard(self, blob_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(blob_id).unlink()
