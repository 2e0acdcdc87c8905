"""Keyrings: key-encryption keys (KEKs) with ids, one active per organisation, kept outside the database.

Each organisation has its own ``Keyring``; the deployment's ``Keyrings`` holds them all, in a JSON file (mode
0600) under the instance folder, or in the MEDIATION_KEYRING environment variable for deployments that inject
secrets. A KEK belongs to one organisation only, so one organisation's keyring opens nothing of another's. Data
keys are wrapped with AES-256-GCM under a KEK, the case id and KEK id bound as associated data, so a wrapped key
copied to another case or paired with the wrong KEK fails loudly.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable, Mapping
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
FIRST_ORGANISATION = 1  # the organisation every row belonged to before there were several (migration 0027)


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


@dataclass(frozen=True)
class Keyrings:
    """Every organisation's keyring, as the deployment holds them: a process serves all its organisations.

    Sealing anything takes the keyring of the organisation it belongs to (``of``); rotating and retiring work on
    one KEK, whose organisation the set knows. A keyring file written before organisations existed is the first
    organisation's keyring, and a deployment with one organisation still writes that format.
    """

    by_organisation: Mapping[int, Keyring]

    def __post_init__(self) -> None:
        if FIRST_ORGANISATION not in self.by_organisation:
            raise CryptoError("the keyring has no keys for the first organisation")
        seen: dict[str, int] = {}
        for organisation_id, keyring in self.by_organisation.items():
            for kek_id in (*keyring.keys, *keyring.retired):
                if seen.setdefault(kek_id, organisation_id) != organisation_id:
                    raise CryptoError("KEK %(kek_id)s belongs to two organisations in the keyring; each KEK belongs "
                                      "to one", kek_id=repr(kek_id))

    @classmethod
    def single(cls, keyring: Keyring) -> Keyrings:
        return cls({FIRST_ORGANISATION: keyring})

    def of(self, organisation_id: int) -> Keyring:
        """One organisation's keyring: it opens that organisation's content and nothing of another's."""
        keyring = self.by_organisation.get(organisation_id)
        if keyring is None:
            raise KeyUnavailable("organisation #%(organisation)s has no keys in this keyring: restore the keyring "
                                 "from its backup (or add the organisation with 'mediation organisations add')",
                                 organisation=organisation_id)
        return keyring

    def organisation_of(self, kek_id: str) -> int:
        """The organisation a KEK belongs to (a retired one too); a clear error for a KEK nobody has."""
        for organisation_id, keyring in self.by_organisation.items():
            if kek_id in keyring.keys or kek_id in keyring.retired:
                return organisation_id
        raise KeyUnavailable("KEK %(kek_id)s is not in this keyring", kek_id=repr(kek_id))

    @property
    def keys(self) -> dict[str, bytes]:
        """Every organisation's KEKs by id (ids are unique across organisations)."""
        return {k: v for keyring in self.by_organisation.values() for k, v in keyring.keys.items()}

    @property
    def retired(self) -> tuple[str, ...]:
        return tuple(k for keyring in self.by_organisation.values() for k in keyring.retired)

    @property
    def active(self) -> str:
        """The first organisation's active KEK (a deployment with one organisation has only that one)."""
        return self.by_organisation[FIRST_ORGANISATION].active

    @property
    def actives(self) -> frozenset[str]:
        """Each organisation's active KEK: a data key under any other is due for rewrapping."""
        return frozenset(keyring.active for keyring in self.by_organisation.values())

    def unwrap(self, case_id: int, kek_id: str, wrapped: bytes) -> bytes:
        """Open a case's data key with the KEK that wrapped it, whichever organisation's it is (the vault itself
        opens a case's key with its own organisation's keyring only)."""
        return self.holding(kek_id).unwrap(case_id, kek_id, wrapped)

    def holding(self, kek_id: str) -> Keyring:
        """The keyring of the organisation ``kek_id`` belongs to: it opens what that KEK wraps, and rewraps it
        under that organisation's active KEK. An unknown KEK gives the first organisation's keyring, which then
        reports the KEK as missing."""
        try:
            return self.by_organisation[self.organisation_of(kek_id)]
        except KeyUnavailable:
            return self.by_organisation[FIRST_ORGANISATION]

    def replacing(self, organisation_id: int, keyring: Keyring) -> Keyrings:
        return Keyrings({**self.by_organisation, organisation_id: keyring})

    def with_new_active(self, kek_id: str, key: bytes, organisation_id: int = FIRST_ORGANISATION) -> Keyrings:
        return self.replacing(organisation_id, self.of(organisation_id).with_new_active(kek_id, key))

    def with_organisation(self, organisation_id: int) -> Keyrings:
        """A fresh keyring for a new organisation (refused if it has one: its keys would be lost)."""
        if organisation_id in self.by_organisation:
            raise CryptoError("organisation #%(organisation)s already has keys in the keyring",
                              organisation=organisation_id)
        return self.replacing(organisation_id, generate_keyring())

    def without(self, kek_id: str) -> Keyrings:
        if kek_id not in self.keys:
            raise CryptoError("there is no KEK %(kek_id)s in the keyring", kek_id=repr(kek_id))
        organisation_id = self.organisation_of(kek_id)
        return self.replacing(organisation_id, self.of(organisation_id).without(kek_id))

    # Serialisation: a single keyring's JSON for the first organisation alone, else
    # {"organisations": {"<id>": {"active": ..., "keys": ..., "retired": ...}}}.
    def to_json(self) -> str:
        if set(self.by_organisation) == {FIRST_ORGANISATION}:
            return self.by_organisation[FIRST_ORGANISATION].to_json()
        return json.dumps({"organisations": {str(o): json.loads(k.to_json())
                                             for o, k in sorted(self.by_organisation.items())}},
                          indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> Keyrings:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or "organisations" not in data:
                return cls.single(Keyring.from_json(text, source))
            return cls({int(o): Keyring.from_json(json.dumps(k), source) for o, k in data["organisations"].items()})
        except (ValueError, TypeError, AttributeError) as error:
            raise CryptoError("%(source)s is not a valid keyring (%(kind)s); check it was copied whole",
                              source=str(source), kind=type(error).__name__) from None


def new_kek() -> tuple[str, bytes]:
    """A fresh 256-bit key-encryption key and its id."""
    return new_kek_id(), AESGCM.generate_key(bit_length=256)


def generate_keyring() -> Keyring:
    kek_id, key = new_kek()
    return Keyring({kek_id: key}, kek_id)


def generate_keyrings() -> Keyrings:
    """A new deployment's keyrings: the first organisation's, with one fresh KEK."""
    return Keyrings.single(generate_keyring())


def read_keyring(path: Path, from_env: str | None) -> Keyrings:
    """The keyrings from the environment variable if set, else from the file; a clear error if neither."""
    if from_env:
        return Keyrings.from_json(from_env, "MEDIATION_KEYRING")
    try:
        return Keyrings.from_json(path.read_text(), str(path))
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

    def read(self) -> Keyrings:
        return read_keyring(self.path, self.from_env)


def write_keyring(path: Path, keyring: Keyring | Keyrings) -> None:
    """Replace the keyring file atomically and durably, readable by its owner only."""
    write_private(path, keyring.to_json().encode(), overwrite=True)
