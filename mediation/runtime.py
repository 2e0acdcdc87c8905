"""What an entry point (CLI, web app, benchmark) needs: settings, one engine, a session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from mediation.blobs import BlobStore
from mediation.crypto.keyring import KeyringSource
from mediation.crypto.vault import Vault
from mediation.db import make_engine, make_session_factory, transaction
from mediation.heartbeat import Heartbeat


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: use it around exactly one service call."""
        vault: Vault | None = self.__dict__.get("vault")
        if vault is not None:  # a process that holds the keyring keeps it fresh and says which KEK it uses
            vault.refresh()
            self.heartbeat.beat_if_due(self.engine, vault)
        with transaction(self.engine, self.sessions) as session:
            yield session

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


def open_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                         sqlite_synchronous=settings.sqlite_synchronous)
    return Runtime(settings, engine, make_session_factory(engine))
