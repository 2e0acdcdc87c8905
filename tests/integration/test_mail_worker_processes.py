"""The worker sending e-mail as an operator runs it (``mediation worker``, a process of its own), against a real
SMTP server, on SQLite and PostgreSQL:

- killed with SIGKILL in the middle of sending, then started again: every e-mail arrived at least once, each
  under its own Message-ID only (the one in flight may arrive twice, with the same Message-ID: a receiver or the
  mail catcher keeps it once), and none is lost;
- two workers at once on PostgreSQL: every e-mail sent exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mediation.models import OutboxMessage, OutboxState, Role
from mediation.notifications import outbox, sending
from mediation.notifications.preferences import Choice, set_my_preference
from mediation.runtime import Runtime
from mediation.services import users
from tests.mail_server import MailServer

BIN = Path(sys.executable).parent


@pytest.fixture
def slow_server() -> Iterator[MailServer]:
    server = MailServer(delay=0.03).up()
    yield server
    server.down()


def queue_for(runtime: Runtime, count: int) -> dict[str, str]:
    """``count`` people who chose e-mail, each with one "something new" queued; address -> Message-ID."""
    addresses = {}
    for number in range(count):
        address = f"person{number}@example.org"
        with runtime.transaction() as session:
            user = users.create_user(session, None, username=f"person{number}", display_name=f"P {number}",
                                     role=Role.PARTICIPANT.value, password=None)
            set_my_preference(session, runtime.vault.keyring, user, Choice("email", address))
            session.flush()
            assert outbox.something_new(session, user.id, f"test:{number}")
            addresses[user.id] = address
    with runtime.transaction(read_only=True) as session:
        rows = list(session.scalars(select(OutboxMessage)))
    return {addresses[row.user_id or 0]: sending.message_id_of(runtime, row.idempotency_key) for row in rows}


def received(server: MailServer) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for message in list(server.received):
        seen.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    return seen


def start_worker(environment: dict[str, str], server: MailServer) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "mediation"), "worker", "--once"],
                            env={**os.environ, **environment, **server.environment(), "MEDIATION_WORKER_BATCH": "5",
                                 "MEDIATION_OUTBOX_LEASE_SECONDS": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def states(runtime: Runtime) -> set[str]:
    with runtime.transaction(read_only=True) as session:
        return set(session.scalars(select(OutboxMessage.state)))


def test_a_worker_killed_while_sending_loses_nothing_and_sends_nothing_else_twice(runtime, environment,
                                                                                   slow_server):
    count = 60
    expected = queue_for(runtime, count)
    worker = start_worker(environment, slow_server)
    deadline = time.monotonic() + 120
    while len(slow_server.received) < count // 4 and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.poll() is None, "the worker finished before it could be killed: make the server slower"
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    assert 0 < len(slow_server.received) < count
    time.sleep(1.5)  # the lease of the e-mail in flight runs out
    restarted = start_worker(environment, slow_server)
    output = restarted.communicate(timeout=300)[0].decode()
    assert restarted.returncode == 0, output

    assert states(runtime) == {OutboxState.SENT.value}
    assert received(slow_server) == {address: {message_id} for address, message_id in expected.items()}
    assert count <= len(slow_server.received) <= count + 1  # at most the one in flight went twice


def test_two_workers_on_postgresql_send_each_email_once(runtime, environment, slow_server):
    if not runtime.settings.database_url.startswith("postgresql"):
        pytest.skip("several workers at once is a PostgreSQL setting; SQLite runs one")
    count = 80
    expected = queue_for(runtime, count)
    workers = [start_worker(environment, slow_server) for _ in range(2)]
    outputs = [worker.communicate(timeout=300)[0].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert states(runtime) == {OutboxState.SENT.value}
    assert len(slow_server.received) == count
    assert received(slow_server) == {address: {message_id} for address, message_id in expected.items()}
