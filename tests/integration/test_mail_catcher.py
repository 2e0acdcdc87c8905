"""``mediation mail-catcher`` as a developer runs it (a process of its own, as ``scripts/run`` starts it): it
receives e-mail over SMTP, keeps each message as a file named by its Message-ID (a message sent again overwrites
its file instead of doubling), lists what it received, and stops cleanly on SIGTERM. With it, ``mediation worker
--once`` delivers a participant's "something new" into the folder, on SQLite and PostgreSQL. In production the
worker refuses to start without an SMTP host set explicitly.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from mediation.notifications.preferences import Choice, set_my_preference
from tests.integration.test_messages import link_accounts
from tests.mail_server import free_port
from workflows.vocabulary import CaseState

BIN = Path(sys.executable).parent


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, folder, log = free_port(), tmp_path / "mail", tmp_path / "catcher.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(BIN / "mediation"), "mail-catcher", "--port", str(port), "--folder",
                                    str(folder)], env={**os.environ, "MEDIATION_INSTANCE_DIR": str(tmp_path / "i")},
                                   stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while not _listening(port) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _listening(port), log.read_text()
    yield port, folder
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0, log.read_text()
    assert "mail-catcher: stopped" in log.read_text()


def _mail(to: str, subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Message-ID"] = ("w@example.org", to, subject,
                                                                                 message_id)
    message.set_content("There is something new for you.")
    return message


def listing(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "mediation"), "mail-catcher", "--folder", str(folder), "--list"],
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_catcher_keeps_each_message_once_and_lists_them(catcher):
    port, folder = catcher
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(_mail("dana@example.org", "There is something new for you", "<a.1@mediation.invalid>"))
        client.send_message(_mail("dana@example.org", "There is something new for you", "<a.1@mediation.invalid>"))
        client.send_message(_mail("sam@example.org", "Things wait for you", "<b.2@mediation.invalid>"))
    assert sorted(p.name.split(".eml")[0].rsplit(".", 1)[0] for p in folder.glob("*.eml")) == [
        "a.1@mediation.invalid", "b.2@mediation.invalid"]
    assert {p.stat().st_mode & 0o777 for p in folder.glob("*.eml")} == {0o600}  # an invitation carries a code
    assert folder.stat().st_mode & 0o777 == 0o700
    listed = listing(folder)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "dana@example.org\tThere is something new for you" in listed.stdout
    assert "sam@example.org\tThings wait for you" in listed.stdout
    assert "2 message(s)" in listed.stderr


def test_the_worker_delivers_into_the_catcher(catcher, runtime, actors, make_case, environment):
    port, folder = catcher
    relay = link_accounts(runtime, actors, make_case(CaseState.DIALOGUE_WRITTEN))
    with runtime.transaction() as session:
        set_my_preference(session, runtime.vault.keyring, actors.harmed_user,
                          Choice(channel="email", address="dana@example.org"))
    relay.review(relay.submit(actors.offender_user, "Words."), "approve")
    done = subprocess.run([str(BIN / "mediation"), "worker", "--once"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **environment, "MEDIATION_SMTP_HOST": "127.0.0.1",
                               "MEDIATION_SMTP_PORT": str(port)}, check=False)
    assert done.returncode == 0, done.stderr
    assert "mail 1" in done.stdout
    [kept] = folder.glob("*.eml")
    assert b"To: dana@example.org" in kept.read_bytes()


@pytest.mark.parametrize(("settings", "named"), [
    ({}, "MEDIATION_SMTP_HOST"),  # it would send to the development catcher's address
    ({"MEDIATION_SMTP_HOST": "smtp.example.org", "MEDIATION_PUBLIC_URL": "https://mediation.example.org"},
     "MEDIATION_SMTP_SECURITY"),  # an invitation's code across the network in the clear
    ({"MEDIATION_SMTP_HOST": "smtp.example.org", "MEDIATION_SMTP_SECURITY": "starttls"},
     "MEDIATION_PUBLIC_URL"),  # links to the development server's address
    ({"MEDIATION_SMTP_HOST": "smtp.example.org", "MEDIATION_SMTP_SECURITY": "starttls",
      "MEDIATION_PUBLIC_URL": "https://mediation.example.org", "MEDIATION_SMTP_TIMEOUT": "90"},
     "MEDIATION_OUTBOX_LEASE_SECONDS"),  # a lease that ends mid-send: another worker sends it again
])
def test_in_production_the_worker_refuses_settings_that_send_mail_astray(tmp_path, settings, named):
    refused = subprocess.run([str(BIN / "mediation"), "worker", "--once"], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "MEDIATION_ENV": "production",
                                  "MEDIATION_INSTANCE_DIR": str(tmp_path / "instance"),
                                  "MEDIATION_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "keys" / "audit.key"),
                                  **settings},
                             check=False)
    assert refused.returncode == 1
    assert named in refused.stderr and "Traceback" not in refused.stderr
