"""Encryption failures. Each says what went wrong without ever including key material or plaintext."""

from __future__ import annotations

from workflows.errors import DomainError


class CryptoError(DomainError):
    """Something about keys or ciphertext is wrong."""


class KeyUnavailable(CryptoError):
    """A key needed to read this content is missing, wrong, retired or destroyed."""


class TamperedContent(CryptoError):
    """A ciphertext failed its integrity check: altered, truncated, reordered or moved to another record."""
