"""Each running process that holds the keyring says, in the database, which KEK it wraps new keys under.

A process writes its row when it loads or reloads the keyring and then at most every ``BEAT_SECONDS`` while it
works, in a short transaction of its own, and removes it when it closes. ``mediation keys retire`` refuses while
a process seen in the last ``LIVE_SECONDS`` still has the KEK to retire as its active one. A process idle for
longer is not waited for: it looks at the keyring file again before it uses any key (see ``Vault.refresh``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from threading import Lock

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mediation.crypto.vault import Vault
from mediation.db import utcnow
from mediation.models import ProcessHeartbeat

log = logging.getLogger(__name__)

BEAT_SECONDS = 30.0
LIVE_SECONDS = 120


def _program() -> str:
    return (Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python")[:80]


class Heartbeat:
    """This process's row in ``process_heartbeats``; one per runtime (a forked worker gets a row of its own)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._due = 0.0
        self._generation = -1
        self._pid = -1
        self._id = ""
        self._started = utcnow()

    @property
    def id(self) -> str:
        pid = os.getpid()
        if pid != self._pid:  # a fork: the child is another process and needs its own row
            self._pid, self._id = pid, f"{socket.gethostname()[:40]}:{pid}:{secrets.token_hex(4)}"
            self._due, self._generation = 0.0, -1
        return self._id

    def beat_if_due(self, engine: Engine, vault: Vault) -> None:
        """Record the active KEK if the keyring changed since the last beat or the last beat is old."""
        now = time.monotonic()
        if vault.generation == self._generation and now < self._due and self._pid == os.getpid():
            return  # the common case: no lock
        identity = self.id
        with self._lock:
            if vault.generation == self._generation and now < self._due:
                return
            self._due, self._generation = now + BEAT_SECONDS, vault.generation
        values = {"host": socket.gethostname()[:255], "pid": self._pid, "program": _program(),
                  "active_kek": " ".join(sorted(vault.keyring.actives)), "seen_at": utcnow()}
        try:
            with engine.begin() as connection:
                changed = connection.execute(update(ProcessHeartbeat).where(ProcessHeartbeat.id == identity)
                                             .values(**values)).rowcount
                if not changed:
                    connection.execute(insert(ProcessHeartbeat).values(id=identity, started_at=self._started,
                                                                       **values))
        except SQLAlchemyError as error:  # a heartbeat must never stop the work it accompanies
            log.warning("could not record this process's heartbeat: %s", type(error).__name__)
            with self._lock:
                self._due = 0.0

    def end(self, engine: Engine) -> None:
        """Remove this process's row (it no longer uses any KEK)."""
        if self._pid != os.getpid():
            return
        try:
            with engine.begin() as connection:
                connection.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.id == self._id))
        except SQLAlchemyError as error:
            log.warning("could not remove this process's heartbeat: %s", type(error).__name__)


@dataclass(frozen=True)
class LiveProcess:
    program: str
    pid: int
    host: str
    seen_seconds_ago: int

    def describe(self) -> str:
        return f"{self.program} (pid {self.pid} on {self.host}, seen {self.seen_seconds_ago}s ago)"


def processes_using(session: Session, kek_id: str, *, now: datetime | None = None) -> list[LiveProcess]:
    """The processes seen in the last ``LIVE_SECONDS`` for which ``kek_id`` is an active KEK (a process records
    every organisation's, separated by spaces; the live processes are few, so they are read and matched here)."""
    now = now or utcnow()
    rows = session.execute(select(ProcessHeartbeat.program, ProcessHeartbeat.pid, ProcessHeartbeat.host,
                                  ProcessHeartbeat.seen_at, ProcessHeartbeat.active_kek)
                           .where(ProcessHeartbeat.seen_at >= now - timedelta(seconds=LIVE_SECONDS))
                           .order_by(ProcessHeartbeat.seen_at)).all()
    return [LiveProcess(program, pid, host, max(0, int((now - _aware(seen)).total_seconds())))
            for program, pid, host, seen, actives in rows if kek_id in actives.split()]


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their time zone; every one stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
