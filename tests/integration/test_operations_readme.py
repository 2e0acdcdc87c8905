"""The README's operations steps, run exactly as written while the real app serves requests.

The shell blocks under "Rotating the key-encryption key" and "Backup and restore" are read from README.md and run
line by line with bash in a fresh installation's folder (``OLD_KEK_ID`` and ``DATE`` filled in as the README
says, ``$BACKUP_DIR`` set), while the app runs in a thread as ``mediation-web`` would serve it. Between the steps
a participant and a mediator read and write content through HTTP: nothing written before a rotation is lost,
nothing new is sealed under the old KEK, a restart after retiring the old KEK reads everything, and a restore
brings back exactly the state of the backup while the server keeps running.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from config import Settings, load_settings
from mediation.demo import build_case, path_to
from mediation.models import Case, CaseKey, Message
from mediation.passwords import new_password
from mediation.runtime import open_runtime
from mediation.services import users
from mediation.services.lookup import find_case
from web import create_app
from workflows.vocabulary import CaseState, Modality, Side

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "steps-as-written-2026-quartz"
WEBM = b"\x1a\x45\xdf\xa3"


def readme_block(heading: str, number: int = 0) -> list[str]:
    """The command lines of the ``number``-th ```sh block after ``heading`` in README.md, comments removed."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(f"\n{heading}\n"):]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = [line.split("  #", 1)[0].strip() for line in blocks[number].splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


ROTATION = "### Rotating the key-encryption key"
BACKUP = "### Backup and restore"


def test_the_readme_blocks_are_the_ones_these_tests_run():
    assert readme_block(ROTATION) == [
        "mediation keys rotate", 'cp -p instance/keyring.json "$BACKUP_DIR/keyring-$(date +%F).json"',
        "mediation keys retire OLD_KEK_ID"]
    assert [line.split()[0] for line in readme_block(BACKUP, 0)] == ["mediation", "cp"]
    assert [line.split()[0] for line in readme_block(BACKUP, 1)] == ["mediation", "cp", "mediation"]


@dataclass
class Installation:
    folder: Path
    backups: Path

    @property
    def settings(self) -> Settings:
        return load_settings({}, cwd=self.folder)  # the defaults: ./instance, SQLite inside it

    def run(self, line: str, **fill: str) -> str:
        """One README line through bash in the installation's folder; it must succeed."""
        for placeholder, value in fill.items():
            line = re.sub(rf"\b{placeholder}\b", value, line)
        env = {name: value for name, value in os.environ.items() if not name.startswith("MEDIATION_")}
        env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "BACKUP_DIR": str(self.backups)}
        done = subprocess.run(["bash", "-c", line], cwd=self.folder, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, f"{line!r} failed:\n{done.stdout}{done.stderr}"
        return done.stdout


class Server:
    """The real app served on a free port in a thread, with its own runtime, as ``mediation-web`` runs it."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="readme-server", daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.app.extensions["mediation.runtime"].close()


class Visitor:
    """A person with a browser's cookie jar, signed in through the login form."""

    def __init__(self, server: Server, username: str) -> None:
        self.server = server
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))
        page = self.get("/login")
        assert self.post("/login", {"username": username, "password": PASSWORD}, page) == 200

    def _open(self, request: Request) -> tuple[int, bytes]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except HTTPError as error:
            return error.code, error.read()

    def get(self, path: str) -> str:
        status, body = self._open(Request(self.server.url + path))
        assert status == 200, (path, status)
        return body.decode()

    def get_bytes(self, path: str) -> bytes:
        status, body = self._open(Request(self.server.url + path))
        assert status == 200, (path, status)
        return body

    def post(self, path: str, form: dict[str, str], page: str) -> int:
        """Post a form with the CSRF token of ``page``; redirects are followed (as a browser does)."""
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, "no form on the page"
        data = urlencode({"csrf_token": token.group(1), **form}).encode()
        return self._open(Request(self.server.url + path, data=data, method="POST"))[0]

    def upload(self, path: str, video: bytes, page: str) -> int:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token.group(1)}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v.webm\"\r\n"
                "Content-Type: video/webm\r\n\r\n").encode() + video + f"\r\n--{boundary}--\r\n".encode()
        request = Request(self.server.url + path, data=body, method="POST",
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return self._open(request)[0]


@dataclass
class People:
    video_case: str  # a dialogue by video: the participant writes and sends videos
    notes_case: str  # in assessment: the mediator's notes (a data key from before the rotation)
    new_case: str  # no encrypted content yet: its data key is made after the rotation


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    folder, backups = tmp_path / "site", tmp_path / "backups"
    folder.mkdir()
    backups.mkdir()
    installation = Installation(folder, backups)
    installation.run("mediation init")
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    yield installation
    werkzeug_log.setLevel(level)


def _people(installation: Installation) -> People:
    runtime = open_runtime(installation.settings)
    try:
        made = {}
        for username, role in (("coordinator", "admin"), ("mediator.readme", "mediator"), ("officer", "staff"),
                               ("harmed.readme", "participant")):
            with runtime.transaction() as session:
                made[role] = users.create_user(session, None, username=username, display_name=username.title(),
                                               role=role, password=new_password(
                                                   PASSWORD, username=username, display_name=username.title()))
        admin, mediator, staff = made["admin"], made["mediator"], made["staff"]
        video_case = build_case(runtime, admin, mediator, staff, steps=path_to(CaseState.DIALOGUE_VIDEO,
                                                                               Modality.VIDEO))
        with runtime.transaction() as session:
            for participant in find_case(session, mediator, video_case).participants:
                if participant.side == Side.HARMED:
                    participant.user_id = made["participant"].id
        notes_case = build_case(runtime, admin, mediator, staff, steps=path_to(CaseState.ASSESSMENT))
        new_case = build_case(runtime, admin, mediator, staff, steps=path_to(CaseState.ASSESSMENT))
    finally:
        runtime.close()
    return People(video_case, notes_case, new_case)


def _kek_of(installation: Installation, reference: str) -> str | None:
    runtime = open_runtime(installation.settings)
    try:
        with runtime.transaction() as session:
            return session.scalar(select(CaseKey.kek_id).join(Case, Case.id == CaseKey.case_id)
                                  .where(Case.reference == reference))
    finally:
        runtime.close()


def _video_ids(installation: Installation, reference: str) -> list[str]:
    runtime = open_runtime(installation.settings)
    try:
        with runtime.transaction() as session:
            return list(session.scalars(select(Message.id).join(Case, Case.id == Message.case_id)
                                        .where(Case.reference == reference, Message.kind == "video")
                                        .order_by(Message.submitted_at)))
    finally:
        runtime.close()


def _write(participant: Visitor, people: People, text: str) -> None:
    page = participant.get(f"/portal/cases/{people.video_case}/messages")
    assert participant.post(f"/portal/cases/{people.video_case}/messages", {"text": text}, page) == 200


def _note(mediator: Visitor, reference: str, text: str) -> None:
    page = mediator.get(f"/mediator/cases/{reference}/notes")
    assert mediator.post(f"/mediator/cases/{reference}/notes", {"text": text, "participant_id": ""}, page) == 200


def test_rotation_backup_and_restore_as_the_readme_says_with_the_app_running(installation: Installation):
    people = _people(installation)
    first_video = WEBM + os.urandom(3 * 1024 * 1024)
    server = Server(installation.settings)
    try:
        participant, mediator = Visitor(server, "harmed.readme"), Visitor(server, "mediator.readme")
        _write(participant, people, "Written before the rotation")
        page = participant.get(f"/portal/cases/{people.video_case}/messages")
        assert participant.upload(f"/portal/cases/{people.video_case}/videos", first_video, page) == 200
        _note(mediator, people.notes_case, "Noted before the rotation")

        rotate, backup_keyring, retire = readme_block(ROTATION)
        rotated = installation.run(rotate)
        old = re.search(r"mediation keys retire (\S+)", rotated).group(1)
        new = re.search(r"active KEK is now (\S+);", rotated).group(1)

        # The server was not restarted: it reads what was there and seals new keys under the new KEK only.
        time.sleep(1.1)  # the server looks at the keyring file at most once a second
        assert "Written before the rotation" in participant.get(f"/portal/cases/{people.video_case}/messages")
        assert "Noted before the rotation" in mediator.get(f"/mediator/cases/{people.notes_case}/notes")
        _note(mediator, people.new_case, "Noted after the rotation")
        assert _kek_of(installation, people.new_case) == new
        _write(participant, people, "Written after the rotation")

        installation.run(backup_keyring)
        assert len(list(installation.backups.glob("keyring-*.json"))) == 1
        assert f"retired {old}" in installation.run(retire, OLD_KEK_ID=old)
    finally:
        server.stop()

    server = Server(installation.settings)  # a restart with the old KEK gone loses nothing
    try:
        participant, mediator = Visitor(server, "harmed.readme"), Visitor(server, "mediator.readme")
        sent = participant.get(f"/portal/cases/{people.video_case}/messages")
        assert "Written before the rotation" in sent and "Written after the rotation" in sent
        assert "Noted before the rotation" in mediator.get(f"/mediator/cases/{people.notes_case}/notes")
        assert "Noted after the rotation" in mediator.get(f"/mediator/cases/{people.new_case}/notes")
        [video_id] = _video_ids(installation, people.video_case)
        video_path = f"/mediator/cases/{people.video_case}/messages/{video_id}/video"
        assert mediator.get_bytes(video_path) == first_video

        backup_database, backup_blobs = readme_block(BACKUP, 0)
        installation.run(backup_database)
        installation.run(backup_blobs)

        _write(participant, people, "Written after the backup")
        page = participant.get(f"/portal/cases/{people.video_case}/messages")
        assert participant.upload(f"/portal/cases/{people.video_case}/videos", WEBM + b"later", page) == 200
        assert len(_video_ids(installation, people.video_case)) == 2

        date = time.strftime("%Y-%m-%d")
        restore, restore_blobs, fsck = readme_block(BACKUP, 1)
        assert "all opening with the keyring" in installation.run(restore, DATE=date)
        installation.run(restore_blobs, DATE=date)
        installation.run(fsck)

        # The server kept running: it now serves the state of the backup, and goes on writing.
        sent = participant.get(f"/portal/cases/{people.video_case}/messages")
        assert "Written after the rotation" in sent and "Written after the backup" not in sent
        assert _video_ids(installation, people.video_case) == [video_id]
        assert mediator.get_bytes(video_path) == first_video
        _write(participant, people, "Written after the restore")
        assert "Written after the restore" in participant.get(f"/portal/cases/{people.video_case}/messages")
    finally:
        server.stop()
