"""The leak test for videos, through the path a participant takes: an HTTP upload.

A multi-MiB video carrying a canary is uploaded through the Flask test client and through the real app served by
Werkzeug in a thread (so its real request parsing runs), with TMPDIR pointed at a folder of the test. During the
upload (the body half sent, the encrypted file half written) and after it, the canary must be in no file under
TMPDIR, in no file this process holds open (``/proc/self/fd``, which shows temporary files already unlinked), in
no file of the instance folder or beside the database, and, on PostgreSQL, in no row of any table nor in a
``pg_dump``. The video must still come back whole through the app. A control shows that these scans do catch
the canary when the framework's own form parser handles the same body.
"""

from __future__ import annotations

import http.client
import io
import os
import secrets
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mediation.models import Message
from mediation.runtime import Runtime
from mediation.schema import sqlite_file
from mediation.services import accounts
from mediation.services.lookup import find_case
from tests.integration.test_no_leaks import Leak, pg_dump, scan, scan_files, scan_postgres_tables
from tests.web.conftest import WEBM, csrf_from
from web import create_app
from web.auth import SESSION_KEY
from workflows.vocabulary import CaseState, Modality, Side

VIDEO_BYTES = 6 * 1024 * 1024
BOUNDARY = "----rj-leak-boundary-51c9"


@dataclass
class Upload:
    canaries: dict[str, str]
    video: bytes
    body: bytes
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}"


def make_upload(token: str) -> Upload:
    marker = f"canary-uploaded-video-{secrets.token_hex(12)}"
    piece = marker.encode() + os.urandom(4000)
    video = WEBM + marker.encode() + (piece * (VIDEO_BYTES // len(piece) + 1))[:VIDEO_BYTES]
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"clip.webm\"\r\n"
            "Content-Type: video/webm\r\n\r\n").encode() + video + f"\r\n--{BOUNDARY}--\r\n".encode()
    return Upload({"video_upload": marker}, video, body)


def open_files() -> Iterator[tuple[str, Path]]:
    """(what, path to read) for every regular file this process holds open, unlinked temporary files included."""
    for name in os.listdir("/proc/self/fd"):
        path = Path("/proc/self/fd") / name
        try:
            target = os.readlink(path)
            status = path.stat()
        except OSError:
            continue  # closed meanwhile
        if stat.S_ISREG(status.st_mode) and status.st_size < 512 * 1024 * 1024:
            yield f"open file {target}", path


def scan_open_files(canaries: dict[str, str]) -> list[Leak]:
    leaks: list[Leak] = []
    for what, path in open_files():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        leaks += scan(what, data, canaries)
    return leaks


@dataclass
class Watch:
    """Everywhere a clear copy of the upload could be, scanned on demand."""

    canaries: dict[str, str]
    folders: list[Path]
    leaks: list[Leak] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    writing_seen: bool = False  # the scan during the upload ran while the encrypted file was being written

    def scan(self, when: str) -> None:
        found, _ = scan_files([f for f in self.folders if f.exists()], self.canaries)
        found += scan_open_files(self.canaries)
        self.leaks += [(f"{when}: {where}", label, form) for where, label, form in found]
        self.scans.append(when)


@pytest.fixture
def private_tmpdir(tmp_path: Path, monkeypatch) -> Path:
    """TMPDIR, for this process and everything it spawns, pointed at a folder of this test."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert tempfile.gettempdir() == str(folder)
    return folder


@pytest.fixture
def video_case(runtime: Runtime, actors, make_case) -> str:
    reference = make_case(CaseState.DIALOGUE_VIDEO, modality=Modality.VIDEO)
    with runtime.transaction() as session:
        for participant in find_case(session, actors.mediator, reference).participants:
            participant.user_id = {Side.HARMED: actors.harmed_user.id,
                                   Side.RESPONSIBLE: actors.offender_user.id}[Side(participant.side)]
    return reference


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    return app


def signed_in(app: Flask, user_id: int, reference: str) -> tuple[object, str]:
    """A test client signed in as ``user_id``, and the CSRF token of its messages page."""
    client = app.test_client()
    runtime: Runtime = app.extensions["mediation.runtime"]
    with runtime.transaction() as s:
        key = accounts.start_session(s, user_id)  # sessions are kept on the server
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"], session["seen"] = str(user_id), True, int(time.time())
        session[SESSION_KEY] = key
    page = client.get(f"/portal/cases/{reference}/messages")
    assert page.status_code == 200
    return client, csrf_from(page.get_data(as_text=True))


class ScanningStream(io.BytesIO):
    """The request body, which runs ``halfway`` once the app has read more than half of it."""

    def __init__(self, data: bytes, halfway: Callable[[], None]) -> None:
        super().__init__(data)
        self.size, self.halfway, self.fired = len(data), halfway, False

    def _check(self) -> None:
        if not self.fired and self.tell() > self.size // 2:
            self.fired = True
            self.halfway()

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._check()
        return data

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer)
        self._check()
        return count


def _part_file(runtime: Runtime) -> Path | None:
    return next(iter(runtime.settings.blob_dir.rglob("*.part")), None)


def upload_through_the_test_client(app: Flask, runtime: Runtime, actors, reference: str, watch: Watch,
                                   make: Callable[[str], Upload]) -> tuple[int, Upload, object]:
    client, token = signed_in(app, actors.harmed_user.id, reference)
    upload = make(token)
    watch.canaries.update(upload.canaries)

    def halfway() -> None:
        watch.writing_seen = _part_file(runtime) is not None  # the encrypted file is being written right now
        watch.scan("during the upload")

    response = client.open(f"/portal/cases/{reference}/videos", method="POST", content_type=upload.content_type,
                           input_stream=ScanningStream(upload.body, halfway), content_length=len(upload.body))
    return response.status_code, upload, client


def upload_through_a_served_app(app: Flask, runtime: Runtime, actors, reference: str, watch: Watch,
                                make: Callable[[str], Upload]) -> tuple[int, Upload, object]:
    client, token = signed_in(app, actors.harmed_user.id, reference)
    upload = make(token)
    watch.canaries.update(upload.canaries)
    cookie = client.get_cookie("mediation_session")
    assert cookie is not None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="upload-leak-server", daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
        connection.putrequest("POST", f"/portal/cases/{reference}/videos")
        for name, value in (("Content-Type", upload.content_type), ("Content-Length", str(len(upload.body))),
                            ("Cookie", f"mediation_session={cookie.value}")):
            connection.putheader(name, value)
        connection.endheaders()
        half = len(upload.body) // 2
        connection.send(upload.body[:half])
        deadline = time.monotonic() + 30
        while ((part := _part_file(runtime)) is None or part.stat().st_size < VIDEO_BYTES // 4) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        watch.writing_seen = _part_file(runtime) is not None
        watch.scan("during the upload")
        connection.send(upload.body[half:])
        response = connection.getresponse()
        response.read()
        status = response.status
        connection.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    return status, upload, client


@pytest.mark.parametrize("through", [upload_through_the_test_client, upload_through_a_served_app],
                         ids=["test-client", "served-app"])
def test_an_uploaded_video_leaves_no_clear_copy_anywhere(runtime, actors, video_case, app, private_tmpdir, tmp_path,
                                                         database_url, through):
    folders = [private_tmpdir, runtime.settings.instance_dir]
    database = sqlite_file(database_url)
    if database is not None:
        folders.append(database.parent)
    watch = Watch({}, folders)

    status, upload, client = through(app, runtime, actors, video_case, watch, make_upload)
    assert watch.leaks == []
    assert status == 303
    assert watch.scans == ["during the upload"] and watch.writing_seen

    # Not vacuous: the video is stored and comes back whole through the app.
    with runtime.transaction() as session:
        case_id = find_case(session, actors.mediator, video_case).id
        [message_id] = session.query(Message.id).filter(Message.case_id == case_id, Message.kind == "video").all()
    played = client.get(f"/portal/cases/{video_case}/messages/{message_id[0]}/video")
    assert played.status_code == 200 and played.get_data() == upload.video
    assert list(runtime.settings.blob_dir.rglob("*.rjs"))

    watch.scan("after the upload")
    runtime.close()  # SQLite's log checkpointed, connections closed: the files as they are at rest
    watch.scan("at rest")
    if database is None:
        leaks, rows = scan_postgres_tables(database_url, upload.canaries)
        assert rows["blobs"] == 1 and rows["messages"] == 1
        watch.leaks += leaks
        dump = pg_dump(database_url)
        if dump is not None:
            watch.leaks += scan("pg_dump", dump, upload.canaries)
    assert watch.leaks == []


def test_the_scans_catch_the_copy_the_frameworks_form_parser_would_make(private_tmpdir):
    """The control: Werkzeug's own parsing of the same body spools the file to an (unlinked) temporary file in
    TMPDIR, and the open-file scan finds the canary in it; the upload route above never lets that happen."""
    upload = make_upload("a-token")
    environ = EnvironBuilder(method="POST", input_stream=io.BytesIO(upload.body), content_type=upload.content_type,
                             content_length=len(upload.body)).get_environ()
    request = Request(environ)
    spooled = request.files["video"]
    try:
        assert not list(private_tmpdir.iterdir())  # unlinked at once: invisible to a listing of TMPDIR
        leaks = scan_open_files(upload.canaries)
        assert leaks and all(str(private_tmpdir) in where for where, _, _ in leaks)
    finally:
        spooled.close()
        request.close()
