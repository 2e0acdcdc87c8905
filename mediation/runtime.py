"""What an entry point (CLI, web app, benchmark) needs: settings, one engine, a session factory."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from mediation.blobs import BlobStore
from mediation.crypto.keyring import KeyringSource
from mediation.crypto.vault import Vault
from mediation.db import RaceLost, make_engine, make_session_factory, transaction
from mediation.errors import DatabaseBusy
from mediation.heartbeat import Heartbeat
from mediation.schema import sqlite_file
from mediation.sqlite import check_files
from mediation.storage_guard import StorageGuard

T = TypeVar("T")
log = logging.getLogger(__name__)

ATTEMPTS = 3  # a call that lost a race is run again, at most this many times in all
RETRY_PAUSE_SECONDS = (0.02, 0.15)  # the pause before each new attempt, drawn at random and times the attempt


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: StorageGuard = field(default_factory=lambda: StorageGuard({}))

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        """One unit of work: use it around exactly one service call.

        ``read_only`` for a call that only reads: it cannot write, and on SQLite it never waits for a writer.
        A writing transaction is refused (``StorageUnavailable``) once the instance folder or the SQLite file
        vanished or was replaced under the running process.
        """
        vault: Vault | None = self.__dict__.get("vault")
        if vault is not None:  # a process that holds the keyring keeps it fresh and says which KEK it uses
            vault.refresh()
            self.heartbeat.beat_if_due(self.engine, vault)
        if not read_only:
            self.storage.check()
        with transaction(self.engine, self.sessions, read_only=read_only) as session:
            session.info["settings"] = self.settings  # the delays of the timers a service arms
            yield session

    def run(self, work: Callable[[Session], T], *, read_only: bool = False) -> T:
        """``work(session)`` as one transaction, run again (whole, in a new transaction) when it lost a deadlock
        or a serialisation race, found the database busy, or raced another writer to create the same first row.

        ``work`` must do nothing outside the transaction that a second run would repeat: the services qualify
        (what they keep outside the database, like a received video file, is made before and handed in).
        """
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.transaction(read_only=read_only) as session:
                    return work(session)
            except (DatabaseBusy, RaceLost) as error:
                if attempt == ATTEMPTS:
                    raise
                log.info("attempt %d lost a race (%s); running the call again", attempt, type(error).__name__)
                time.sleep(random.uniform(*RETRY_PAUSE_SECONDS) * attempt)  # noqa: S311 (jitter, not a secret)
        raise AssertionError("unreachable")

    @cached_property
    def vault(self) -> Vault:
        """The keyring is read on first use, so commands that need no key (like ``init``) run without one."""
        return Vault.from_source(KeyringSource(self.settings.keyring_file, self.settings.keyring_from_env))

    @cached_property
    def heartbeat(self) -> Heartbeat:
        return Heartbeat()

    @cached_property
    def blobs(self) -> BlobStore:
        return BlobStore(self.settings.blob_dir)

    def close(self) -> None:
        if "vault" in self.__dict__:
            self.heartbeat.end(self.engine)
        self.engine.dispose()


def storage_guard(settings: Settings) -> StorageGuard:
    """The instance folder, which a write must still find in place (the SQLite file is watched by each of its
    connections: ``mediation.sqlite``). What exists now is remembered now, so a deletion before the first write
    is noticed too."""
    guard = StorageGuard({"instance folder": settings.instance_dir})
    guard.check()
    return guard


def open_runtime(settings: Settings) -> Runtime:
    """Settings to engine: no connection is made yet, but files SQLite could not write are refused now."""
    database = sqlite_file(settings.database_url)
    if database is not None:
        check_files(database)
    engine = make_engine(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                         sqlite_synchronous=settings.sqlite_synchronous)
    return Runtime(settings, engine, make_session_factory(engine), storage_guard(settings))
