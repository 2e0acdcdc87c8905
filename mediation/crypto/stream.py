"""Chunked authenticated encryption for large files (a STREAM construction over AES-256-GCM).

File layout: a header (magic, salt, nonce prefix, chunk size), then chunks of ``chunk_size`` plaintext bytes
plus a 16-byte tag; the last chunk may be shorter. Each chunk's nonce is the prefix, a 32-bit counter and a
last-chunk flag, and each chunk authenticates the header, so a chunk that is dropped, reordered, altered or
cut off, or a file truncated at a chunk boundary, fails to decrypt. A per-file key is derived with HKDF from
the case's data key, a random salt and the file's context. Memory use is one chunk, whatever the file size.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mediation.crypto.errors import TamperedContent

MAGIC = b"RJSTRM01"
SALT_BYTES = 16
PREFIX_BYTES = 7
TAG_BYTES = 16
HEADER = struct.Struct(f">{len(MAGIC)}s{SALT_BYTES}s{PREFIX_BYTES}sI")
DEFAULT_CHUNK = 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
MAX_CHUNKS = 2**32


class TooLarge(Exception):
    """The plaintext exceeded the allowed size; nothing was kept."""


def _file_cipher(data_key: bytes, salt: bytes, context: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"rj-stream|" + context).derive(data_key)
    return AESGCM(key)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _read_full(source: IO[bytes], size: int) -> bytes:
    """Read exactly ``size`` bytes unless the source ends first (sockets and pipes return short reads)."""
    parts, remaining = [], size
    while remaining:
        piece = source.read(remaining)
        if not piece:
            break
        parts.append(piece)
        remaining -= len(piece)
    return b"".join(parts)


def encrypt_stream(data_key: bytes, context: bytes, source: IO[bytes], target: IO[bytes], *,
                   limit: int | None = None, chunk_size: int = DEFAULT_CHUNK) -> int:
    """Encrypt ``source`` into ``target`` chunk by chunk; return the plaintext size. Raise TooLarge past ``limit``."""
    if not 0 < chunk_size <= MAX_CHUNK:
        raise ValueError(f"a chunk is 1 byte to {MAX_CHUNK} bytes, not {chunk_size}")
    salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
    header = HEADER.pack(MAGIC, salt, prefix, chunk_size)
    cipher = _file_cipher(data_key, salt, context)
    target.write(header)
    total, counter = 0, 0
    current = _read_full(source, chunk_size)
    while True:
        total += len(current)
        if limit is not None and total > limit:
            raise TooLarge(f"the file is larger than the limit of {limit} bytes")
        following = _read_full(source, chunk_size) if len(current) == chunk_size else b""
        last = not following
        target.write(cipher.encrypt(_nonce(prefix, counter, last), current, header))
        if last:
            return total
        counter += 1
        if counter >= MAX_CHUNKS:
            raise TooLarge("the file has more chunks than the format allows")
        current = following


def decrypt_stream(data_key: bytes, context: bytes, source: IO[bytes]) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; raise TamperedContent at the first chunk that does not verify."""
    header = _read_full(source, HEADER.size)
    if len(header) != HEADER.size:
        raise TamperedContent("the encrypted file is cut off before its header ends")
    magic, salt, prefix, chunk_size = HEADER.unpack(header)
    if magic != MAGIC or not 0 < chunk_size <= MAX_CHUNK:
        raise TamperedContent("the encrypted file's header is not one this version wrote")
    cipher = _file_cipher(data_key, salt, context)
    sealed_size = chunk_size + TAG_BYTES
    counter = 0
    current = _read_full(source, sealed_size)
    while True:
        following = _read_full(source, sealed_size) if len(current) == sealed_size else b""
        last = not following
        try:
            yield cipher.decrypt(_nonce(prefix, counter, last), current, header)
        except InvalidTag:
            where = "final chunk" if last else f"chunk {counter}"
            raise TamperedContent("the encrypted file failed its integrity check at its %(where)s: a chunk was "
                                  "altered, dropped, reordered, or the file was truncated", where=str(where)) from None
        if last:
            return
        counter += 1
        current = following
