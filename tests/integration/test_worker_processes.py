"""The worker as an operator runs it (``mediation worker``, a process of its own), on SQLite and PostgreSQL.

- Killed with SIGKILL in the middle of a batch, then started again: every due timer fired exactly once (one
  notice per stale case, every timer fired, none twice).
- Two workers at once on PostgreSQL over 1,000 due timers: each timer fired once, by one of them.
- SIGTERM stops a worker that waits for work, cleanly (exit 0).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from mediation.db import utcnow
from mediation.demo import build_case, path_to
from mediation.models import Case, Notice, NoticeKind, Timer, TimerKind, TimerState
from mediation.runtime import Runtime
from workflows.vocabulary import CaseState

BIN = Path(sys.executable).parent


def stale_cases(runtime: Runtime, actors, count: int) -> list[int]:
    """``count`` open cases, untouched for a month, each with its stale-case timer due now."""
    for _ in range(count):
        build_case(runtime, actors.admin, actors.mediator, actors.staff, steps=path_to(CaseState.ASSESSMENT))
    now = utcnow()
    with runtime.transaction() as session:
        case_ids = list(session.scalars(select(Case.id)))
        session.execute(update(Case).values(updated_at=now - timedelta(days=30)))
        moved = session.execute(update(Timer).where(Timer.kind == TimerKind.CASE_STALE.value,
                                                    Timer.state == TimerState.PENDING.value)
                                .values(due_at=now - timedelta(minutes=1)))
        assert moved.rowcount == count  # one stale-case timer was armed with each case
    return case_ids


def start_worker(environment: dict[str, str], *arguments: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "mediation"), "worker", *arguments], env={**os.environ, **environment},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def fired(runtime: Runtime) -> int:
    with runtime.transaction(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(Timer).where(
            Timer.kind == TimerKind.CASE_STALE.value, Timer.state == TimerState.FIRED.value)) or 0


def stale_notices_per_case(runtime: Runtime) -> dict[int, int]:
    with runtime.transaction(read_only=True) as session:
        return dict(session.execute(select(Notice.case_id, func.count()).where(
            Notice.kind == NoticeKind.CASE_STALE.value).group_by(Notice.case_id)).all())


@pytest.fixture
def worker_environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "MEDIATION_WORKER_BATCH": "20", "MEDIATION_WORKER_POLL_SECONDS": "1"}


def test_a_worker_killed_mid_batch_loses_nothing_and_fires_nothing_twice(runtime, actors, worker_environment):
    count = 150
    case_ids = stale_cases(runtime, actors, count)
    worker = start_worker(worker_environment, "--once")
    deadline = time.monotonic() + 120
    while fired(runtime) < count // 5 and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert worker.poll() is None, "the worker finished before it could be killed: make the batch bigger"
    worker.send_signal(signal.SIGKILL)
    worker.wait(30)
    worker.stdout.close()  # what the killed worker printed is not read; its pipe must not leak
    before_restart = fired(runtime)
    assert 0 < before_restart < count

    restarted = start_worker(worker_environment, "--once")
    output = restarted.communicate(timeout=300)[0].decode()
    assert restarted.returncode == 0, output
    assert fired(runtime) == count
    assert stale_notices_per_case(runtime) == dict.fromkeys(case_ids, 1)


def test_two_workers_on_postgresql_fire_each_of_a_thousand_timers_once(runtime, actors, worker_environment):
    if not runtime.settings.database_url.startswith("postgresql"):
        pytest.skip("several workers at once is a PostgreSQL setting; SQLite runs one")
    count = 1000
    case_ids = stale_cases(runtime, actors, count)
    workers = [start_worker(worker_environment, "--once") for _ in range(2)]
    outputs = [worker.communicate(timeout=600)[0].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert fired(runtime) == count
    assert stale_notices_per_case(runtime) == dict.fromkeys(case_ids, 1)
    with runtime.transaction(read_only=True) as session:
        attempts = set(session.scalars(select(Timer.attempts).where(Timer.kind == TimerKind.CASE_STALE.value,
                                                                    Timer.state == TimerState.FIRED.value)))
    assert attempts == {1}


def test_sigterm_stops_a_waiting_worker_cleanly(runtime, worker_environment):
    worker = start_worker(worker_environment)
    time.sleep(2)
    assert worker.poll() is None
    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=30)[0].decode()
    assert worker.returncode == 0, output
    assert "worker: stopped" in output
