"""The worker: fires due timers and sends the outbox, until stopped (``mediation worker``).

Each job takes up to a batch of work, one transaction per item, and the worker goes round the jobs until none
has anything left; then it waits (``MEDIATION_WORKER_POLL_SECONDS``) and looks again. ``--once`` stops instead
of waiting, for cron. SIGTERM and SIGINT end it after the item in hand: nothing is ever half-done, since each
item commits whole or not at all.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from mediation.errors import Unavailable
from mediation.notifications import sending
from mediation.runtime import Runtime
from mediation.timers import runner

log = logging.getLogger(__name__)

# A job takes up to ``limit`` items now and says how many it handled (fewer than the limit: it is drained).
Job = Callable[[Runtime, int, datetime | None], int]


def _timers(runtime: Runtime, limit: int, now: datetime | None) -> int:
    return runner.fire_due(runtime, limit=limit, now=now).total


def _mail(runtime: Runtime, limit: int, now: datetime | None) -> int:
    return sending.send_due(runtime, limit, now).total


JOBS: dict[str, Job] = {"timers": _timers}
JOBS["mail"] = _mail


@dataclass
class Rounds:
    handled: dict[str, int] = field(default_factory=dict)

    def add(self, job: str, count: int) -> None:
        self.handled[job] = self.handled.get(job, 0) + count


class Worker:
    def __init__(self, runtime: Runtime, *, batch: int | None = None, jobs: dict[str, Job] | None = None) -> None:
        self.runtime = runtime
        self.batch = batch or runtime.settings.timing.worker_batch
        self.jobs = JOBS if jobs is None else jobs
        self.stopping = threading.Event()

    def drain(self, now: datetime | None = None) -> Rounds:
        """Go round the jobs until none has anything due (or the worker is asked to stop)."""
        rounds = Rounds()
        runner.arrange_recurring(self.runtime, now)
        while not self.stopping.is_set():
            busy = False
            for name, job in self.jobs.items():
                if self.stopping.is_set():
                    break
                count = job(self.runtime, self.batch, now)
                rounds.add(name, count)
                busy = busy or count >= self.batch
            if not busy:
                break
        return rounds

    def run_forever(self) -> None:
        poll = self.runtime.settings.timing.worker_poll_seconds
        while not self.stopping.is_set():
            try:
                rounds = self.drain()
                if any(rounds.handled.values()):
                    log.info("worker: %s", ", ".join(f"{k} {v}" for k, v in rounds.handled.items()))
            except Unavailable as error:  # the database is busy or away: nothing was half-done; try again later
                log.warning("worker: %s; trying again in %s s", error, poll)
            except Exception:  # a bug outside any one item: logged, and the worker keeps its post
                log.exception("worker: a round failed; trying again in %s s", poll)
            self.stopping.wait(poll)

    def stop_on_signals(self) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            log.info("worker: signal %s, stopping after the item in hand", signum)
            self.stopping.set()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
