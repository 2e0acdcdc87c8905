"""``scripts/run`` as the README says to start the product: the web app answers, the worker it starts beside it
fires the demo's overdue reminders, and the demo's e-mail reaches the local mail catcher, where
``mediation mail-catcher --list`` shows it. Ctrl-C (SIGINT to the whole group) stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.mail_server import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.5)


@pytest.mark.skipif(not (ROOT / "scripts" / "run").exists(), reason="needs the project's checkout")
def test_scripts_run_serves_the_app_with_a_worker_and_a_mail_catcher(tmp_path: Path):
    instance, web_port, mail_port = tmp_path / "instance", free_port(), free_port()
    environment = {**os.environ, "MEDIATION_INSTANCE_DIR": str(instance), "MEDIATION_PORT": str(web_port),
                   "MEDIATION_SMTP_PORT": str(mail_port), "MEDIATION_WORKER_POLL_SECONDS": "1"}
    for name in ("MEDIATION_DATABASE_URL", "MEDIATION_ENV"):
        environment.pop(name, None)  # the product's defaults: SQLite in the instance folder, development
    log = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=environment, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(lambda: run.poll() is not None or _answers(f"http://127.0.0.1:{web_port}/healthz"), 240,
                  "the web app")
        assert run.poll() is None, (tmp_path / "run.log").read_text()

        def listed() -> str:
            return subprocess.run([str(BIN / "mediation"), "mail-catcher", "--list"], env=environment, check=False,
                                  capture_output=True, text=True, timeout=60).stdout

        _wait_for(lambda: "@example.org" in listed(), 120, "the demo's e-mail in the mail catcher")
        assert list((instance / "mail").glob("*.eml"))
        output = (tmp_path / "run.log").read_text()
        assert "Demo logins" in output, output
        assert "mail-catcher --list" in output
        _wait_for(lambda: "timers" in (instance / "worker.log").read_text(), 60, "the worker's first round")
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            raise
        log.close()
    _wait_for(lambda: not _answers(f"http://127.0.0.1:{web_port}/healthz"), 30, "the web app to stop")
    _wait_for(lambda: not subprocess.run(["pgrep", "-s", str(run.pid)], capture_output=True, check=False).stdout, 30,
              "the worker and the mail catcher to stop with the web app")
