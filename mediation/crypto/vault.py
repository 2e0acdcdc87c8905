"""The vault: each case's data key, created on first use, wrapped by the keyring's active KEK, and used to
seal and open that case's records. Built once per process from the keyring and injected, never global.

The keyring file can change under a running process (``mediation keys rotate`` in another process): the vault
looks at the file's identity at most once a second, at once before wrapping a new data key and when it meets a
KEK it does not know, and reloads it when it changed. So a process never wraps a new key under a KEK that is no
longer the active one, and reads keys rewrapped under a new KEK without a restart.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from mediation.crypto.errors import CryptoError, KeyUnavailable
from mediation.crypto.keyring import KEY_BYTES, Keyring, Keyrings, KeyringSource, Stamp
from mediation.crypto.records import RecordContext, open_sealed, seal
from mediation.db import table, utcnow
from mediation.models import Case, CaseKey

log = logging.getLogger(__name__)

_CACHE_SIZE = 2048
# How long an unwrapped data key stays in memory unused by this process: a key destroyed by another process
# (``mediation purge``) is dropped at the latest this long after its last use here.
_CACHE_SECONDS = 300.0
_CHECK_SECONDS = 1.0  # how often the keyring file is looked at, at most
_SESSION_KEYS = "mediation.data_keys"
_KEYS = table(CaseKey.__tablename__)
_CASES = table(Case.__tablename__)
# A case's key with its organisation: the key opens with that organisation's keyring only.
_READ_KEY = (select(_KEYS.c.kek_id, _KEYS.c.wrapped_key, _KEYS.c.destroyed_at, _CASES.c.organisation_id)
             .join(_CASES, _CASES.c.id == _KEYS.c.case_id).where(_KEYS.c.case_id == bindparam("case_id")))
_CASE_ORGANISATION = select(_CASES.c.organisation_id).where(_CASES.c.id == bindparam("case_id"))
_CREATE_KEY = insert(_KEYS)


@dataclass(frozen=True)
class _Unwrapped:
    """A case's data key and the cipher made from it, once per process (AESGCM objects are not free)."""

    data_key: bytes
    cipher: AESGCM
    expires: float


class Vault:
    def __init__(self, keyring: Keyrings | Keyring, source: KeyringSource | None = None, *, stamp: Stamp | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # Unwrapped data keys by (case, KEK, wrapped bytes): a rewrap or a destruction changes the row, and a
        # new keyring empties the cache, so a stale entry is never used. Bounded, shared by a process's threads.
        self._unwrapped: OrderedDict[tuple[int, str, bytes], _Unwrapped] = OrderedDict()
        self._lock = Lock()
        self._keyring = keyring if isinstance(keyring, Keyrings) else Keyrings.single(keyring)
        self._source = source
        self._stamp = stamp
        self._clock = clock
        self._next_check = clock() + _CHECK_SECONDS
        self._next_sweep = clock() + _CACHE_SECONDS
        self.generation = 0  # counts keyring changes, so a heartbeat can say at once which KEK is active

    @classmethod
    def from_source(cls, source: KeyringSource) -> Vault:
        stamp = source.stamp()  # before reading: a change made in between is then seen at the next check
        return cls(source.read(), source, stamp=stamp)

    @property
    def keyring(self) -> Keyrings:
        """Every organisation's keyring (``keyring_of`` for one)."""
        return self._keyring

    def keyring_of(self, organisation_id: int) -> Keyring:
        """The keyring of one organisation: it opens that organisation's content and nothing of another's."""
        return self._keyring.of(organisation_id)

    @keyring.setter
    def keyring(self, keyring: Keyrings | Keyring) -> None:
        with self._lock:
            self._keyring = keyring if isinstance(keyring, Keyrings) else Keyrings.single(keyring)
            self._unwrapped.clear()
            self.generation += 1

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the keyring if its file changed; cheap (a clock read) unless a second has passed or forced.

        Returns whether the keyring changed. A file that is missing or damaged leaves the keyring in use as it
        is (logged): refusing to work would not make the content any safer.
        """
        if self._source is None or not self._source.changeable:
            return False
        now = self._clock()
        if not force and now < self._next_check:  # the common case: no lock, one clock read
            return False
        with self._lock:
            if not force and now < self._next_check:
                return False
            self._next_check = now + _CHECK_SECONDS
            if now >= self._next_sweep:
                self._sweep(now)
        stamp = self._source.stamp()
        if stamp is None or stamp == self._stamp:
            if stamp is None:
                log.warning("the keyring file %s is missing; this process keeps the keyring it loaded",
                            self._source.path)
            return False
        try:
            keyring = self._source.read()
        except CryptoError as error:
            log.error("the keyring file changed but cannot be read (%s); this process keeps the keyring it "
                      "loaded", error)
            return False
        self.keyring = keyring
        self._stamp = stamp
        log.info("keyring reloaded from %s; active KEKs %s", self._source.path, " ".join(sorted(keyring.actives)))
        return True

    def _sweep(self, now: float) -> None:
        """Drop the keys not used for a while (the caller holds the lock)."""
        self._next_sweep = now + _CACHE_SECONDS
        for cache_key in [k for k, entry in self._unwrapped.items() if entry.expires <= now]:
            del self._unwrapped[cache_key]

    def data_key(self, session: Session, case_id: int, *, create: bool = False) -> bytes:
        """The case's data key; with ``create``, make one on first use (in the caller's transaction)."""
        return self._entry(session, case_id, create=create).data_key

    def _entry(self, session: Session, case_id: int, *, create: bool) -> _Unwrapped:
        """The key row is read once per transaction (a session lives exactly one): a service that seals or opens
        several fields pays for one lookup, and a key destroyed by another process is seen by the next call.
        """
        in_transaction: dict[int, _Unwrapped] = session.info.setdefault(_SESSION_KEYS, {})
        known = in_transaction.get(case_id)
        if known is not None:
            return known
        self.refresh()
        row = session.connection().execute(_READ_KEY, {"case_id": case_id}).first()
        if row is None:
            if not create:
                raise KeyUnavailable("case #%(case_id)s has no encrypted content yet", case_id=case_id)
            in_transaction[case_id] = self._create(session, case_id)
            return in_transaction[case_id]
        kek_id, wrapped, destroyed_at, organisation_id = row
        if destroyed_at is not None or wrapped is None:
            self.forget(case_id)  # another process destroyed it: drop this process's copy too
            raise KeyUnavailable("the content of case #%(case_id)s was destroyed at the end of its retention period",
                                 case_id=case_id)
        in_transaction[case_id] = self._unwrap(case_id, organisation_id, kek_id, wrapped)
        return in_transaction[case_id]

    def _create(self, session: Session, case_id: int) -> _Unwrapped:
        self.refresh(force=True)  # never wrap a new key under a KEK another process has just replaced
        organisation_id = session.connection().execute(_CASE_ORGANISATION, {"case_id": case_id}).scalar_one()
        data_key = os.urandom(KEY_BYTES)
        kek_id, wrapped = self.keyring.of(organisation_id).wrap(case_id, data_key)
        session.connection().execute(_CREATE_KEY, {"case_id": case_id, "kek_id": kek_id, "wrapped_key": wrapped,
                                                   "created_at": utcnow()})
        return _Unwrapped(data_key, AESGCM(data_key), self._clock() + _CACHE_SECONDS)

    def _unwrap(self, case_id: int, organisation_id: int, kek_id: str, wrapped: bytes) -> _Unwrapped:
        cache_key = (case_id, kek_id, wrapped)
        now = self._clock()
        with self._lock:
            cached = self._unwrapped.get(cache_key)
            if cached is not None and cached.expires > now:
                self._unwrapped.move_to_end(cache_key)
                return cached
        try:
            data_key = self.keyring.of(organisation_id).unwrap(case_id, kek_id, wrapped)
        except KeyUnavailable:
            # Rewrapped under a KEK this process has not loaded yet: look at the keyring file once more.
            if kek_id in self.keyring.keys or not self.refresh(force=True):
                raise
            data_key = self.keyring.of(organisation_id).unwrap(case_id, kek_id, wrapped)
        entry = _Unwrapped(data_key, AESGCM(data_key), now + _CACHE_SECONDS)
        with self._lock:
            self._unwrapped[cache_key] = entry
            while len(self._unwrapped) > _CACHE_SIZE:
                self._unwrapped.popitem(last=False)
        return entry

    def forget(self, case_id: int, session: Session | None = None) -> None:
        """Drop a case's key and cipher at once (after its destruction), in the process and in the transaction."""
        if session is not None:
            session.info.get(_SESSION_KEYS, {}).pop(case_id, None)
        with self._lock:
            for cache_key in [k for k in self._unwrapped if k[0] == case_id]:
                del self._unwrapped[cache_key]

    def cached_cases(self) -> set[int]:
        """The cases whose key this process holds in memory now (for tests and diagnostics)."""
        with self._lock:
            return {case_id for case_id, _, _ in self._unwrapped}

    def seal(self, session: Session, context: RecordContext, plaintext: bytes) -> bytes:
        return seal(self._entry(session, context.case_id, create=True).cipher, context, plaintext)

    def open(self, session: Session, context: RecordContext, sealed: bytes) -> bytes:
        return open_sealed(self._entry(session, context.case_id, create=False).cipher, context, sealed)

    def seal_text(self, session: Session, context: RecordContext, text: str) -> bytes:
        return self.seal(session, context, text.encode("utf-8"))

    def open_text(self, session: Session, context: RecordContext, sealed: bytes) -> str:
        return self.open(session, context, sealed).decode("utf-8")
