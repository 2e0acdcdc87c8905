"""The vault: each case's data key, created on first use, wrapped by the keyring's active KEK, and used to
seal and open that case's records. Built once per process from the keyring and injected, never global."""

from __future__ import annotations

import os
from collections import OrderedDict
from threading import Lock

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from mediation.crypto.errors import KeyUnavailable
from mediation.crypto.keyring import KEY_BYTES, Keyring
from mediation.crypto.records import RecordContext, cipher_for, open_sealed, seal
from mediation.db import table, utcnow
from mediation.models import CaseKey

_CACHE_SIZE = 2048
_SESSION_KEYS = "mediation.data_keys"
_SESSION_CIPHERS = "mediation.ciphers"
_KEYS = table(CaseKey.__tablename__)
_READ_KEY = select(_KEYS.c.kek_id, _KEYS.c.wrapped_key, _KEYS.c.destroyed_at).where(
    _KEYS.c.case_id == bindparam("case_id"))
_CREATE_KEY = insert(_KEYS)


class Vault:
    def __init__(self, keyring: Keyring) -> None:
        # Unwrapped data keys by (case, KEK, wrapped bytes): a rewrap or a destruction changes the row, and a
        # new keyring empties the cache, so a stale entry is never used. Bounded, shared by a process's threads.
        self._unwrapped: OrderedDict[tuple[int, str, bytes], bytes] = OrderedDict()
        self._lock = Lock()
        self._keyring = keyring

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    @keyring.setter
    def keyring(self, keyring: Keyring) -> None:
        with self._lock:
            self._keyring = keyring
            self._unwrapped.clear()

    def data_key(self, session: Session, case_id: int, *, create: bool = False) -> bytes:
        """The case's data key; with ``create``, make one on first use (in the caller's transaction).

        The key row is read once per transaction (a session lives exactly one): a service that seals or opens
        several fields pays for one lookup, and a key destroyed by another process is seen by the next call.
        """
        in_transaction: dict[int, bytes] = session.info.setdefault(_SESSION_KEYS, {})
        known = in_transaction.get(case_id)
        if known is not None:
            return known
        row = session.connection().execute(_READ_KEY, {"case_id": case_id}).first()
        if row is None:
            if not create:
                raise KeyUnavailable(f"case #{case_id} has no encrypted content yet")
            in_transaction[case_id] = self._create(session, case_id)
            return in_transaction[case_id]
        kek_id, wrapped, destroyed_at = row
        if destroyed_at is not None or wrapped is None:
            raise KeyUnavailable(f"the content of case #{case_id} was destroyed at the end of its retention period")
        in_transaction[case_id] = self._unwrap(case_id, kek_id, wrapped)
        return in_transaction[case_id]

    def _create(self, session: Session, case_id: int) -> bytes:
        data_key = os.urandom(KEY_BYTES)
        kek_id, wrapped = self.keyring.wrap(case_id, data_key)
        session.connection().execute(_CREATE_KEY, {"case_id": case_id, "kek_id": kek_id, "wrapped_key": wrapped,
                                                   "created_at": utcnow()})
        return data_key

    def _unwrap(self, case_id: int, kek_id: str, wrapped: bytes) -> bytes:
        cache_key = (case_id, kek_id, wrapped)
        with self._lock:
            cached = self._unwrapped.get(cache_key)
            if cached is not None:
                self._unwrapped.move_to_end(cache_key)
                return cached
        data_key = self.keyring.unwrap(case_id, kek_id, wrapped)
        with self._lock:
            self._unwrapped[cache_key] = data_key
            while len(self._unwrapped) > _CACHE_SIZE:
                self._unwrapped.popitem(last=False)
        return data_key

    def forget(self, case_id: int, session: Session | None = None) -> None:
        """Drop a case's cached key at once (after its destruction), in the process and in the transaction."""
        if session is not None:
            session.info.get(_SESSION_KEYS, {}).pop(case_id, None)
            session.info.get(_SESSION_CIPHERS, {}).pop(case_id, None)
        with self._lock:
            for cache_key in [k for k in self._unwrapped if k[0] == case_id]:
                del self._unwrapped[cache_key]

    def _cipher(self, session: Session, case_id: int, *, create: bool) -> AESGCM:
        """The case's cipher, made once per transaction, so sealing many fields costs one dictionary lookup."""
        ciphers: dict[int, AESGCM] = session.info.setdefault(_SESSION_CIPHERS, {})
        cipher = ciphers.get(case_id)
        if cipher is None:
            cipher = ciphers[case_id] = cipher_for(self.data_key(session, case_id, create=create))
        return cipher

    def seal(self, session: Session, context: RecordContext, plaintext: bytes) -> bytes:
        return seal(self._cipher(session, context.case_id, create=True), context, plaintext)

    def open(self, session: Session, context: RecordContext, sealed: bytes) -> bytes:
        return open_sealed(self._cipher(session, context.case_id, create=False), context, sealed)

    def seal_text(self, session: Session, context: RecordContext, text: str) -> bytes:
        return self.seal(session, context, text.encode("utf-8"))

    def open_text(self, session: Session, context: RecordContext, sealed: bytes) -> str:
        return self.open(session, context, sealed).decode("utf-8")
