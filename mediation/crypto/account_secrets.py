"""Secrets that belong to an account rather than a case (today: the TOTP secret), sealed under the active KEK.

Why directly under the KEK and not under a data key of their own: a TOTP secret is itself 20 random bytes of
key material, as small as a data key. Sealing it under the KEK is the same AES-256-GCM wrap the keyring does
for each case's data key; an "accounts" data key in between would add a table and a second unwrap and buy
nothing (there is no bulk content to re-encrypt cheaply on rotation). So the database holds only ciphertext and
the KEK's id, and the KEK stays where it always is: in the keyring file or ``MEDIATION_KEYRING``, never in the
database. Rotation reseals these secrets like it rewraps data keys (``mediation keys rotate|rewrap``), and a
KEK that still seals one cannot be retired.

The associated data names the purpose, the account and the KEK, so a sealed secret copied onto another account
(or paired with another KEK) fails to open, loudly.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation.crypto.errors import KeyUnavailable, TamperedContent
from mediation.crypto.keyring import NONCE_BYTES, Keyring


def _associated_data(purpose: str, user_id: int, kek_id: str) -> bytes:
    return json.dumps(["rj-account-secret", 1, purpose, user_id, kek_id], separators=(",", ":")).encode()


def seal_account_secret(keyring: Keyring, purpose: str, user_id: int, secret: bytes) -> tuple[str, bytes]:
    """Seal ``secret`` under the active KEK; returns (KEK id, nonce + ciphertext)."""
    nonce = os.urandom(NONCE_BYTES)
    kek_id = keyring.active
    sealed = AESGCM(keyring.keys[kek_id]).encrypt(nonce, secret, _associated_data(purpose, user_id, kek_id))
    return kek_id, nonce + sealed


def open_account_secret(keyring: Keyring, purpose: str, user_id: int, kek_id: str, sealed: bytes) -> bytes:
    key = keyring.keys.get(kek_id)
    if key is None:
        state = "was retired" if kek_id in keyring.retired else "is not in this keyring"
        raise KeyUnavailable("the %(purpose)s of account #%(user_id)s is sealed under KEK %(kek_id)s, which %(state)s",
                             purpose=str(purpose), user_id=user_id, kek_id=repr(kek_id), state=str(state))
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                   _associated_data(purpose, user_id, kek_id))
    except InvalidTag:
        raise TamperedContent("the %(purpose)s of account #%(user_id)s does not open with KEK %(kek_id)s: the key is "
                              "wrong or the sealed secret was altered or copied from another account",
                              purpose=str(purpose), user_id=user_id, kek_id=repr(kek_id)) from None
