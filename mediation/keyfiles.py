"""Secrets kept outside the database: created once, private to this user (mode 0600), never committed."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from config import Settings
from mediation.crypto.keyring import Keyrings, generate_keyring, write_keyring
from mediation.crypto.vault import Vault
from mediation.errors import InvalidInput
from mediation.fileio import write_private
from mediation.schema import sqlite_file
from mediation.storage_guard import make_private_folder


def _write_private(path: Path, content: bytes) -> None:
    """Create ``path`` readable by its owner only, whole and durably; never overwrite an existing key."""
    write_private(path, content, overwrite=False)


def ensure_instance(settings: Settings) -> list[Path]:
    """Create the instance folder and any missing key file; return the files created."""
    make_private_folder(settings.instance_dir)
    created = []
    if settings.secret_key_from_env is None and not settings.secret_key_file.exists():
        _write_private(settings.secret_key_file, secrets.token_hex(32).encode())
        created.append(settings.secret_key_file)
    if settings.keyring_from_env is None and not settings.keyring_file.exists():
        write_keyring(settings.keyring_file, generate_keyring())
        created.append(settings.keyring_file)
    make_private_folder(settings.blob_dir)
    if not settings.audit_signing_key_file.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        _write_private(settings.audit_signing_key_file, pem)
        created.append(settings.audit_signing_key_file)
    database = sqlite_file(settings.database_url)
    if database is not None:
        # SQLite gives its -wal and -shm files the database file's mode, so all three stay private.
        if not database.exists():
            _write_private(database, b"")
        for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            if path.exists():
                path.chmod(0o600)
    return created


def add_organisation_keyring(settings: Settings, vault: Vault, organisation_id: int) -> Keyrings:
    """Give a new organisation a keyring of its own: written to the keyring file (unless the keyring comes from
    the environment: the caller shows the new one to store there) and used by ``vault`` at once.

    Called inside the transaction that adds the organisation, so it never exists without keys. Keys already
    there for that id belong to no organisation (an earlier add that failed before committing) and nothing was
    sealed under them, so they are replaced.
    """
    keyrings = vault.keyring.replacing(organisation_id, generate_keyring())
    if settings.keyring_from_env is None:
        write_keyring(settings.keyring_file, keyrings)
    vault.keyring = keyrings
    return keyrings


def read_secret_key(settings: Settings) -> str:
    """The key that signs session cookies: from the environment, or the private file made by ``init``."""
    if settings.secret_key_from_env:
        return settings.secret_key_from_env
    try:
        return settings.secret_key_file.read_text().strip()
    except FileNotFoundError:
        raise InvalidInput("no secret key at %(secret_key_file)s; run 'mediation init' first",
                           secret_key_file=str(settings.secret_key_file)) from None


def load_audit_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise InvalidInput("the audit signing key %(path)s does not exist; run 'mediation init' first",
                           path=str(path)) from None
    except (ValueError, TypeError):
        raise InvalidInput("%(path)s is not a valid audit signing key (expected an Ed25519 PEM key)",
                           path=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("%(path)s holds a key of the wrong type; expected Ed25519", path=str(path))
    return key
