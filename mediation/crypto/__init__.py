"""Envelope encryption with the ``cryptography`` library only: a keyring of key-encryption keys outside the
database, a data key per case wrapped by the active one, AES-256-GCM records bound to where they belong, and
chunked streams for large files."""
