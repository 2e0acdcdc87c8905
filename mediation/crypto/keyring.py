"""The keyring: key-encryption keys (KEKs) with ids, one active, kept outside the database.

It lives in a JSON file (mode 0600) under the instance folder, or in the MEDIATION_KEYRING environment variable
for deployments that inject secrets. Data keys are wrapped with AES-256-GCM under a KEK, the case id and KEK id
bound as associated data, so a wrapped key copied to another case or paired with the wrong KEK fails loudly.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation.crypto.errors import CryptoError, KeyUnavailable
from mediation.fileio import write_private
from workflows.words import Words

KEY_BYTES = 32
NONCE_BYTES = 12


def _wrap_context(case_id: int, kek_id: str) -> bytes:
    return f"rj-case-data-key|case={case_id}|kek={kek_id}".encode()


def new_kek_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"kek-{moment:%Y%m%d}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active: str
    retired: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise CryptoError("the keyring's active key %(active)s is not among its keys", active=repr(self.active))
        for kek_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise CryptoError("key %(kek_id)s in the keyring is not a 256-bit key", kek_id=repr(kek_id))

    def wrap(self, case_id: int, data_key: bytes) -> tuple[str, bytes]:
        """Wrap a case's data key under the active KEK; returns (KEK id, nonce + ciphertext)."""
        return self.wrap_key(data_key, lambda kek_id: _wrap_context(case_id, kek_id))

    def unwrap(self, case_id: int, kek_id: str, wrapped: bytes) -> bytes:
        return self.unwrap_key(kek_id, wrapped, lambda kek: _wrap_context(case_id, kek),
                               owner=Words("case #%(id)s", id=case_id))

    def wrap_key(self, data_key: bytes, context: Callable[[str], bytes]) -> tuple[str, bytes]:
        """Wrap any data key under the active KEK, bound to ``context(kek_id)`` (what the key belongs to)."""
        nonce = os.urandom(NONCE_BYTES)
        return self.active, nonce + AESGCM(self.keys[self.active]).encrypt(nonce, data_key, context(self.active))

    def unwrap_key(self, kek_id: str, wrapped: bytes, context: Callable[[str], bytes], *, owner: Words) -> bytes:
        """Open a data key ``wrap_key`` wrapped; ``owner`` names what it belongs to when it cannot be opened."""
        key = self.keys.get(kek_id)
        if key is None:
            state = Words("was retired") if kek_id in self.retired else Words("is not in this keyring")
            raise KeyUnavailable("the data key of %(owner)s is wrapped by KEK %(kek_id)s, which %(state)s",
                                 owner=owner, kek_id=repr(kek_id), state=state)
        try:
            return AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context(kek_id))
        except InvalidTag:
            raise KeyUnavailable("the data key of %(owner)s does not open with KEK %(kek_id)s: the "
                                 "key-encryption key is wrong (mistyped or replaced) or the wrapped key was altered",
                                 owner=owner, kek_id=repr(kek_id)) from None

    def with_new_active(self, kek_id: str, key: bytes) -> Keyring:
        return Keyring({**self.keys, kek_id: key}, kek_id, self.retired)

    def without(self, kek_id: str) -> Keyring:
        if kek_id == self.active:
            raise CryptoError("the active KEK cannot be retired; rotate to a new one first")
        if kek_id not in self.keys:
            raise CryptoError("there is no KEK %(kek_id)s in the keyring", kek_id=repr(kek_id))
        return Keyring({k: v for k, v in self.keys.items() if k != kek_id}, self.active, (*self.retired, kek_id))

    # Serialisation: {"active": id, "keys": {id: base64}, "retired": [ids]}
    def to_json(self) -> str:
        return json.dumps({"active": self.active, "retired": list(self.retired),
                           "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()}},
                          indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> Keyring:
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            return cls(keys, str(data["active"]), tuple(data.get("retired", ())))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise CryptoError("%(source)s is not a valid keyring (%(kind)s); check it was copied whole",
                              source=str(source), kind=type(error).__name__) from None


def new_kek() -> tuple[str, bytes]:
    """A fresh 256-bit key-encryption key and its id."""
    return new_kek_id(), AESGCM.generate_key(bit_length=256)


def generate_keyring() -> Keyring:
    kek_id, key = new_kek()
    return Keyring({kek_id: key}, kek_id)


def read_keyring(path: Path, from_env: str | None) -> Keyring:
    """The keyring from the environment variable if set, else from the file; a clear error if neither."""
    if from_env:
        return Keyring.from_json(from_env, "MEDIATION_KEYRING")
    try:
        return Keyring.from_json(path.read_text(), str(path))
    except FileNotFoundError:
        # Never advise creating a new keyring here: a new KEK opens none of the data keys already stored.
        raise KeyUnavailable("no keyring at %(path)s: restore the keyring from its backup (or set "
                             "MEDIATION_KEYRING_FILE to where it is); no encrypted content can be read without it",
                             path=str(path)) from None


Stamp = tuple[int, int, int, int]


@dataclass(frozen=True)
class KeyringSource:
    """Where a process reads its keyring from, so that it can notice when another process changed it."""

    path: Path
    from_env: str | None = None

    @property
    def changeable(self) -> bool:
        """A keyring from the environment is fixed for the life of the process; the file can change."""
        return not self.from_env

    def stamp(self) -> Stamp | None:
        """What changes whenever the file is replaced (``write_keyring`` renames a new file into place)."""
        if not self.changeable:
            return None
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size

    def read(self) -> Keyring:
        return read_keyring(self.path, self.from_env)


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Replace the keyring file atomically and durably, readable by its owner only."""
    write_private(path, keyring.to_json().encode(), overwrite=True)
