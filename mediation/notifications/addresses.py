"""A person's e-mail address, checked and sealed under the active KEK like a TOTP secret
(``mediation/crypto/account_secrets.py``): the database holds only ciphertext, and key rotation reseals it."""

from __future__ import annotations

import re

from mediation.crypto.account_secrets import open_account_secret, seal_account_secret
from mediation.crypto.keyring import Keyring
from mediation.errors import InvalidInput
from mediation.text import checked_string
from workflows.words import Words

PURPOSE = "notification-address"
MAX_ADDRESS = 254  # RFC 5321's longest forward path
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# ASCII only, one address, no display name, no comments: nothing that could add a header or a second recipient.
ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def checked_address(value: object) -> str:
    """An address to send to, or a clear refusal (malformed, too long, NUL bytes...)."""
    text = checked_string(value, Words("e-mail address"), max_length=MAX_ADDRESS * 4).strip()
    if not text:
        raise InvalidInput("Write the e-mail address to send to.")
    if len(text) > MAX_ADDRESS:
        raise InvalidInput("The e-mail address is too long (%(length)s characters; at most %(limit)s).",
                           length=len(text), limit=MAX_ADDRESS)
    if not ADDRESS.fullmatch(text):
        raise InvalidInput("This is not an e-mail address we can send to (write it like name@example.org).")
    return text


def seal(keyring: Keyring, owner_id: int, address: str, purpose: str = PURPOSE) -> tuple[str, bytes]:
    """(KEK id, sealed address), bound to its owner's id so it cannot be moved to another row."""
    return seal_account_secret(keyring, purpose, owner_id, address.encode())


def open_sealed(keyring: Keyring, owner_id: int, kek_id: str, sealed: bytes, purpose: str = PURPOSE) -> str:
    return open_account_secret(keyring, purpose, owner_id, kek_id, sealed).decode()
