"""When the database or the disk fails, or the input is not what a form sends, people get a page that says so.

Faults are injected for real where possible: another connection holding SQLite's write lock, a PostgreSQL port
nobody listens on, the instance folder or the database file deleted under the running app, a keyring that
cannot be read. Never a 500, never a traceback, never a write answered "done" that is lost.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from mediation.errors import DatabaseBusy, StorageUnavailable
from mediation.models import Blob, Message, User
from mediation.runtime import Runtime, open_runtime
from mediation.schema import sqlite_file
from mediation.services import messages
from mediation.services.invitations import MAX_NAME
from mediation.storage_guard import make_private_folder
from tests.web.conftest import PASSWORD, Browser, World, csrf_from, make_app, page_text, readable, video_upload
from tests.web.worlds import Site, postgres_web_world_fixture, site_fixture  # noqa: F401  (fixtures)

BUSY_TIMEOUT_MS = 50  # the injected lock is never released during the request: wait briefly


def messages_in(runtime: Runtime) -> int:
    with runtime.transaction(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


def browser(app: Flask, world: World, key: str | None = None) -> Browser:
    made = Browser(app.test_client(), world)
    return made.sign_in(key) if key else made


@pytest.fixture
def runtime_with(web_runtime: Runtime) -> Iterator[Callable[..., Runtime]]:
    """Another runtime on this test's copy of the world, with some settings changed."""
    opened: list[Runtime] = []

    def make(**changes: object) -> Runtime:
        opened.append(open_runtime(replace(web_runtime.settings, **changes)))
        return opened[-1]

    yield make
    for runtime in opened:
        runtime.close()


@contextmanager
def write_lock_held_elsewhere(runtime: Runtime) -> Iterator[None]:
    """Another process's transaction holding SQLite's write lock while the block runs."""
    holder = sqlite3.connect(sqlite_file(runtime.settings.database_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# --- a busy database ----------------------------------------------------------------------------------------------


def test_a_write_while_another_process_holds_the_lock_answers_503_try_again_with_retry_after(
        runtime_with, world: World) -> None:
    runtime = runtime_with(sqlite_busy_timeout_ms=BUSY_TIMEOUT_MS)
    offender = browser(make_app(runtime), world, "offender")
    token = offender.token()
    before = messages_in(runtime)
    with write_lock_held_elsewhere(runtime):
        response = offender.post(f"/portal/cases/{world.own}/messages", {"text": "Written while busy."}, token=token)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "please try again in a moment" in readable(response)
    assert "Traceback" not in page_text(response)
    assert messages_in(runtime) == before


def test_pages_that_only_read_are_served_while_another_process_writes(runtime_with, world: World) -> None:
    """Reading transactions begin DEFERRED: under WAL they read alongside a writer instead of queueing."""
    runtime = runtime_with(sqlite_busy_timeout_ms=BUSY_TIMEOUT_MS)
    app = make_app(runtime)
    visits = [(browser(app, world, key), path) for key, path in (
        ("mediator", "/mediator/"), ("mediator", "/mediator/reviews"),
        ("offender", "/portal/"), ("staff", "/staff/"), ("admin", "/admin/"), ("admin", "/admin/accounts"),
        ("admin", "/admin/requests"))]  # signed in first: starting a session writes
    with write_lock_held_elsewhere(runtime):
        for visitor, path in visits:
            response = visitor.get(path)
            assert response.status_code == 200, (path, response.status_code)


def test_a_busy_database_in_french_says_so_in_french(runtime_with, world: World) -> None:
    runtime = runtime_with(sqlite_busy_timeout_ms=BUSY_TIMEOUT_MS)
    offender = browser(make_app(runtime), world, "offender")
    with offender.client.session_transaction() as session:
        session["lang"] = "fr"
    token = offender.token()
    with write_lock_held_elsewhere(runtime):
        response = offender.post(f"/portal/cases/{world.own}/messages", {"text": "Occupé."}, token=token)
    assert response.status_code == 503
    assert response.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in page_text(response)


# --- an unreachable database --------------------------------------------------------------------------------------

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/mediation"  # the discard port: nothing listens


@pytest.fixture
def unreachable_app(runtime_with) -> Flask:
    """The site with its database out of reach; ``signed_in`` starts a session while it was still there."""
    return make_app(runtime_with(database_url=UNREACHABLE))


def signed_in(app: Flask, world: World, key: str | None, reachable: Runtime) -> Browser:
    """A browser of ``app`` signed in as ``key`` (its session started on the ``reachable`` database)."""
    unreachable = app.extensions["mediation.runtime"]
    app.extensions["mediation.runtime"] = reachable
    try:
        return browser(app, world, key)
    finally:
        app.extensions["mediation.runtime"] = unreachable


@pytest.mark.parametrize(("key", "method", "path"), [
    (None, "GET", "/"),  # no database needed: it still works
    (None, "POST", "/request"),
    ("mediator", "GET", "/mediator/"),
    ("offender", "GET", "/portal/"),
    ("admin", "POST", "/admin/accounts"),
])
def test_an_unreachable_database_answers_503_unavailable_with_a_page_that_needs_no_database(
        unreachable_app: Flask, web_runtime: Runtime, world: World, key: str | None, method: str, path: str) -> None:
    """Even signed in: loading the account fails too, and the error page must not ask the database again."""
    visitor = signed_in(unreachable_app, world, key, web_runtime)
    if method == "GET":
        response = visitor.get(path)
    else:
        token = visitor.token()  # every page carries one, the error page too
        response = visitor.post(path, {"relationship": "victim", "understood": "y", "username": "x.y.z",
                                       "display_name": "X", "role": "staff", "password": PASSWORD}, token=token)
    if path == "/":
        assert response.status_code == 200
        return
    assert response.status_code == 503, page_text(response)[:500]
    assert "The service is unavailable right now" in readable(response)
    assert "Sign in" in page_text(response)  # the header of a visitor: the account could not be loaded


def test_the_health_check_names_an_unreachable_database(unreachable_app: Flask, world: World) -> None:
    response = browser(unreachable_app, world).get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["database"]}


# --- storage that disappears --------------------------------------------------------------------------------------


@pytest.mark.parametrize("deleted", ["instance folder", "database file"])
def test_writes_are_refused_once_the_instance_folder_or_database_file_is_deleted(
        app: Flask, web_runtime: Runtime, world: World, deleted: str) -> None:
    offender = browser(app, world, "offender")
    token = offender.token()
    before = messages_in(web_runtime)
    assert web_runtime.vault.keyring.active  # a running server read its keys long ago
    database = sqlite_file(web_runtime.settings.database_url)
    assert database is not None
    if deleted == "instance folder":
        shutil.rmtree(web_runtime.settings.instance_dir)
    else:
        for path in database.parent.glob(database.name + "*"):
            path.unlink()
    response = offender.post(f"/portal/cases/{world.own}/messages", {"text": "Into the void."}, token=token)
    assert response.status_code == 503
    assert "The service cannot save anything right now" in readable(response)
    if deleted == "instance folder":
        assert messages_in(web_runtime) == before  # refused, not written without its keys and files
    else:  # nothing is read from (or written into) a file that no longer exists, and no empty one is made
        with pytest.raises(StorageUnavailable, match="disappeared or was replaced"):
            messages_in(web_runtime)
        assert not database.exists()
    health = browser(app, world).get("/healthz")
    assert health.status_code == 503
    assert "storage" in health.get_json()["failed"]


def test_a_replaced_database_file_is_noticed_too(app: Flask, web_runtime: Runtime, world: World) -> None:
    database = sqlite_file(web_runtime.settings.database_url)
    assert database is not None
    offender = browser(app, world, "offender")
    token = offender.token()
    copy = database.with_name("restored.db")
    shutil.copyfile(database, copy)
    copy.replace(database)  # a restore from backup under the running server: another inode
    response = offender.post(f"/portal/cases/{world.own}/messages", {"text": "Which file?"}, token=token)
    assert response.status_code == 503


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EDQUOT])
def test_a_full_or_read_only_disk_under_a_request_answers_503(app: Flask, world: World, code: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever writes a file for the request (a key, an export) and finds the disk full or read-only: 503, not
    500. (A video upload answers 507 Insufficient Storage itself: web.media.)"""
    def no_room(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code), "/srv/mediation/instance/somewhere")

    monkeypatch.setattr(messages, "submit_message", no_room)
    offender = browser(app, world, "offender")
    response = offender.post(f"/portal/cases/{world.own}/messages", {"text": "No room."})
    assert response.status_code == 503
    assert "The service cannot save anything right now" in readable(response)
    assert "/srv/mediation" not in page_text(response)


@pytest.mark.parametrize("damage", ["missing", "folder", "not-utf8", "not-json"])
def test_the_health_check_names_a_keyring_that_cannot_be_read(app: Flask, web_runtime: Runtime, world: World,
                                                              damage: str) -> None:
    keyring = web_runtime.settings.keyring_file
    keyring.unlink()
    if damage == "folder":
        keyring.mkdir()
    elif damage == "not-utf8":
        keyring.write_bytes(b"\xff\xfe\x00garbage")
    elif damage == "not-json":
        keyring.write_text("[" * 100_000)
    response = browser(app, world).get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["keyring"]}
    assert str(keyring) not in page_text(response)  # no paths for the outside world


# --- bodies that are not forms ------------------------------------------------------------------------------------


def _token_for(visitor: Browser) -> str:
    return csrf_from(page_text(visitor.get("/login")))


@pytest.mark.parametrize("where", ["login", "activate"])
@pytest.mark.parametrize("body", ["json", "json-nested", "file-fields", "repeated", "nul", "not-utf8",
                                  "not-utf8-multipart", "text"])
def test_login_and_activation_answer_400_to_bodies_that_are_not_their_form(browser_for, world: World, where: str,
                                                                           body: str) -> None:
    visitor = browser_for(None)
    token = _token_for(visitor)
    path = "/login" if where == "login" else "/activate"
    fields = {"username": "new.person", "password": PASSWORD, "display_name": "New Person", "confirm": PASSWORD}
    headers = {"X-CSRFToken": token}
    if body == "json":
        response = visitor.request("POST", path, data=json.dumps(fields), content_type="application/json",
                                   headers=headers)
    elif body == "json-nested":
        response = visitor.request("POST", path, json={"username": {"a": [1]}, "password": ["x"]}, headers=headers)
    elif body == "file-fields":
        response = visitor.request("POST", path, headers=headers, content_type="multipart/form-data", data={
            name: (io.BytesIO(value.encode()), "f.txt") for name, value in fields.items()})
    elif body == "repeated":
        response = visitor.request("POST", path, headers=headers,
                                   data=MultiDict([*fields.items(), ("username", "second.name")]))
    elif body == "nul":
        response = visitor.request("POST", path, headers=headers, data={**fields, "username": "new\x00person"})
    elif body == "not-utf8":
        response = visitor.request("POST", path, headers=headers, content_type="application/x-www-form-urlencoded",
                                   data=b"username=\xff\xfex&password=" + PASSWORD.encode())
    elif body == "not-utf8-multipart":
        boundary = "b0undary"
        raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n").encode() + \
            b"\xff\xfe\xfd" + f"\r\n--{boundary}--\r\n".encode()
        response = visitor.request("POST", path, headers=headers, data=raw,
                                   content_type=f"multipart/form-data; boundary={boundary}")
    else:
        response = visitor.request("POST", path, headers=headers, data="username=x", content_type="text/plain")
    assert response.status_code == 400, page_text(response)[:800]
    assert "Traceback" not in page_text(response)
    assert "Bad request" in page_text(response)


# --- values a database cannot hold, on both databases -------------------------------------------------------------


def _count_users(runtime: Runtime) -> int:
    with runtime.transaction(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_an_over_long_or_nul_display_name_is_refused_the_same_on_both_databases(site: Site) -> None:
    app = make_app(site.runtime)
    admin = browser(app, site.world, "admin")
    before = _count_users(site.runtime)
    long_name = admin.post("/admin/accounts", {"username": "long.name", "display_name": "N" * 121,
                                               "role": "staff", "password": PASSWORD})
    assert long_name.status_code == 303  # back to the form, with the reason (a refused action, as everywhere)
    assert "The display name is too long (121 characters; at most 120)." in readable(admin.follow(long_name))
    nul = admin.post("/admin/accounts", {"username": "nul.name", "display_name": "Nul\x00Name", "role": "staff",
                                         "password": PASSWORD})
    assert nul.status_code == 400
    assert "NUL character" in readable(nul)
    controls = admin.post("/admin/accounts", {"username": "ctl.name", "display_name": "\x1b[31mRed\x07 Name\t",
                                              "role": "staff", "password": PASSWORD})
    assert controls.status_code == 200  # created: the page with its invitation code
    with site.runtime.transaction(read_only=True) as session:
        assert session.scalar(select(User.display_name).where(User.username == "ctl.name")) == "[31mRed Name"
    assert _count_users(site.runtime) == before + 1


@pytest.mark.parametrize(("field", "value"), [("name", "N" * (MAX_NAME + 1)), ("name", "Nul\x00Name"),
                                             ("username", "nul\x00name")])
def test_an_activation_with_a_value_no_column_can_hold_is_refused_on_both_databases(site: Site, field: str,
                                                                                     value: str) -> None:
    visitor = browser(make_app(site.runtime), site.world)
    visitor.token()
    before = _count_users(site.runtime)
    response = visitor.activate(site.world.invitation, {"name": "New Person", "username": "new.person",
                                                        "password": PASSWORD, "confirm": PASSWORD, field: value})
    assert response.status_code == 400
    assert _count_users(site.runtime) == before


@pytest.mark.parametrize("where", ["reference", "message id"])
@pytest.mark.parametrize("garbage", ["%00", "RO-2026-00001%00", "a%00b", "x" * 300, "%FF%FE", "%C0%AE"])
def test_nul_and_garbage_in_references_and_message_ids_never_reach_the_database(site: Site, where: str,
                                                                                garbage: str) -> None:
    world = site.world
    offender = browser(make_app(site.runtime), world, "offender")
    token = offender.token()
    reference, message = (garbage, world.delivered) if where == "reference" else (world.own, garbage)
    requests = [("GET", f"/portal/cases/{reference}/messages/{message}", None),
                ("POST", f"/portal/cases/{reference}/messages/{message}/answer", {"trigger": "accept"})]
    if where == "reference":
        requests += [("POST", f"/portal/cases/{reference}/messages", {"text": "hello"}),
                     ("GET", f"/portal/cases/{reference}/withdraw", None)]
    for method, path, data in requests:
        response = offender.get(path) if method == "GET" else offender.post(path, data, token=token)
        assert response.status_code in (400, 404), (path, response.status_code, page_text(response)[:300])


def test_a_nul_in_a_username_at_sign_in_is_a_bad_request_on_both_databases(site: Site) -> None:
    visitor = browser(make_app(site.runtime), site.world)
    token = csrf_from(page_text(visitor.get("/login")))
    response = visitor.post("/login", {"username": "coordinator\x00", "password": PASSWORD}, token=token)
    assert response.status_code == 400
    assert "NUL character" in readable(response)


def test_no_folder_is_ever_created_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "instance"
    make_private_folder(target)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(NotADirectoryError):
        make_private_folder(file)


# --- a call that lost a race is run again, whole ------------------------------------------------------------------


def test_a_video_upload_that_lost_a_race_is_run_again_with_the_same_stored_file(
        app: Flask, web_runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is stored once, before the call; the call is run again after a deadlock (here: one injected)
    and the message is accepted with that very file, which is kept."""
    real = messages.submit_video_message
    attempts: list[str] = []

    def lose_the_first_race(session, *args, **kwargs):
        attempts.append(kwargs["received"].blob_id)
        message = real(session, *args, **kwargs)
        if len(attempts) == 1:
            raise DatabaseBusy()  # after the rows were written: they must be rolled back, then written again
        return message

    monkeypatch.setattr(messages, "submit_video_message", lose_the_first_race)
    monkeypatch.setattr("mediation.runtime.RETRY_PAUSE_SECONDS", (0.0, 0.0))
    response = browser(app, world, "harmed").post(f"/portal/cases/{world.own_video}/videos",
                                                  {"video": video_upload()})
    assert response.status_code == 303
    assert len(attempts) == 2 and attempts[0] == attempts[1]  # one stored file, offered twice
    with web_runtime.transaction(read_only=True) as session:
        blob = session.get(Blob, attempts[0])
        assert blob is not None
        assert session.scalar(select(func.count()).select_from(Message).where(Message.blob_id == blob.id)) == 1
    assert web_runtime.blobs.path(attempts[0]).exists()


def test_mediation_web_on_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")},
           "MEDIATION_INSTANCE_DIR": str(tmp_path / "instance"), "MEDIATION_DATABASE_URL": UNREACHABLE}
    result = subprocess.run([str(Path(sys.executable).with_name("mediation-web"))], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("mediation-web: The database cannot be reached; the service is unavailable.")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
