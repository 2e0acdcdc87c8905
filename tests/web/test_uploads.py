"""Video uploads stream from the request body into the encryptor, and playback stops at the first bad chunk.

Through the test client, with multipart bodies built here (so the test client's own encoder, which spools big
bodies to a temporary file, stays out of the way): a multi-chunk video arrives whole; the CSRF token and the
right to send are checked before the file's first byte is read; limits, a full disk and a cut-off body give a
clear page and keep nothing; a tampered or missing video is an error page before any byte of it is sent, or a
stream that ends early and is logged.
"""

from __future__ import annotations

import errno
import io
import logging
import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from mediation.models import Blob, Case, Message
from mediation.runtime import Runtime
from tests.web.conftest import WEBM, Browser, World, csrf_from, page_text

BOUNDARY = "----rj-test-boundary-7f3a"
CHUNK = 1024 * 1024


def multipart(*parts: tuple[str, str | None, bytes], boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """A multipart/form-data body with the parts in the given order, and its content type."""
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        kind = "Content-Type: video/webm\r\n" if filename is not None else ""
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{kind}\r\n".encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class CountingStream(io.BytesIO):
    """A request body that remembers how far the server read it (whether it calls read or readinto)."""

    @property
    def consumed(self) -> int:
        return self.tell()


def video(size: int) -> bytes:
    return WEBM + bytes(range(256)) * (size // 256) + b"end-of-video"[: max(0, size % 256)]


def upload(browser: Browser, reference: str, body: bytes, content_type: str, **kwargs) -> tuple:
    stream = CountingStream(body)
    response = browser.request("POST", f"/portal/cases/{reference}/videos", input_stream=stream,
                               content_length=len(body), content_type=content_type, **kwargs)
    return response, stream


def token_of(browser: Browser, world: World) -> str:
    return csrf_from(page_text(browser.get(f"/portal/cases/{world.own_video}/messages")))


def stored_files(runtime: Runtime) -> list[str]:
    return sorted(p.name for p in runtime.settings.blob_dir.rglob("*") if p.is_file())


def videos_of(runtime: Runtime, reference: str) -> list[str]:
    with runtime.transaction() as s:
        return list(s.scalars(select(Message.id).join(Case, Case.id == Message.case_id)
                              .where(Case.reference == reference, Message.kind == "video")
                              .order_by(Message.submitted_at)))


@pytest.fixture
def offender(browser_for) -> Browser:
    return browser_for("offender")


def test_a_video_of_several_chunks_streams_in_and_plays_back_whole(offender, browser_for, world, web_runtime):
    data = video(2 * CHUNK + 12345)
    before = videos_of(web_runtime, world.own_video)
    body, kind = multipart(("csrf_token", None, token_of(offender, world).encode()), ("video", "clip.webm", data))
    response, stream = upload(offender, world.own_video, body, kind)
    assert response.status_code == 303, page_text(response)
    assert stream.consumed == len(body)
    [new] = [m for m in videos_of(web_runtime, world.own_video) if m not in before]
    played = browser_for("mediator").get(f"/mediator/cases/{world.own_video}/messages/{new}/video")
    assert played.status_code == 200
    assert played.get_data() == data
    assert played.headers["Content-Length"] == str(len(data))


def test_the_token_may_come_in_a_header(offender, world, web_runtime):
    body, kind = multipart(("video", "clip.webm", video(4096)))
    response, _ = upload(offender, world.own_video, body, kind, headers={"X-CSRFToken": token_of(offender, world)})
    assert response.status_code == 303


@pytest.mark.parametrize("forgery", ["token-after-the-file", "no-token", "forged-token"])
def test_a_forged_upload_is_refused_before_the_file_is_read(offender, world, web_runtime, forgery):
    files_before, messages_before = stored_files(web_runtime), videos_of(web_runtime, world.own_video)
    data = video(3 * CHUNK)
    parts = {"token-after-the-file": [("video", "clip.webm", data),
                                      ("csrf_token", None, token_of(offender, world).encode())],
             "no-token": [("video", "clip.webm", data)],
             "forged-token": [("csrf_token", None, b"ImFiYyI.forged.token"), ("video", "clip.webm", data)]}[forgery]
    body, kind = multipart(*parts)
    response, stream = upload(offender, world.own_video, body, kind)
    assert response.status_code == 400
    assert "did not come from this site" in page_text(response)
    assert 0 < stream.consumed < 256 * 1024  # stopped at the file part's first block, never read it through
    assert stored_files(web_runtime) == files_before
    assert videos_of(web_runtime, world.own_video) == messages_before


def test_a_participant_who_may_not_send_a_video_is_refused_before_the_file_is_read(offender, world, web_runtime):
    files_before = stored_files(web_runtime)
    body, kind = multipart(("csrf_token", None, token_of(offender, world).encode()),
                           ("video", "clip.webm", video(3 * CHUNK)))
    for reference, status in ((world.own, 303), (world.other, 404)):  # a written dialogue; someone else's case
        response, stream = upload(offender, reference, body, kind,
                                  headers={"Referer": f"http://localhost/portal/cases/{reference}/messages"})
        assert response.status_code == status
        assert 0 < stream.consumed < 256 * 1024
    assert stored_files(web_runtime) == files_before


def test_a_video_over_the_limit_gets_a_clear_page_and_leaves_nothing(fresh_app: Flask, world, web_runtime):
    fresh_app.config["VIDEO_MAX_BYTES"] = CHUNK
    offender = Browser(fresh_app.test_client(), world).sign_in("offender")
    files_before = stored_files(web_runtime)
    body, kind = multipart(("csrf_token", None, token_of(offender, world).encode()),
                           ("video", "clip.webm", video(CHUNK + 10)))
    response, _ = upload(offender, world.own_video, body, kind)
    assert response.status_code == 413
    assert "larger than the limit" in page_text(response)
    huge, _ = upload(offender, world.own_video, body + b"x" * (200 * 1024), kind)  # Content-Length says it all
    assert huge.status_code == 413
    assert stored_files(web_runtime) == files_before


def test_every_other_route_keeps_a_small_body_limit(offender, world, web_runtime):
    response = offender.post(f"/portal/cases/{world.own}/messages", {"text": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_a_full_disk_gives_a_clear_page_and_keeps_nothing(offender, world, web_runtime, monkeypatch, caplog):
    blob_dir = str(web_runtime.settings.blob_dir)
    real_fdopen = os.fdopen

    class FullDisk(io.RawIOBase):
        def __init__(self, handle) -> None:
            self.handle, self.written = handle, 0

        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            self.written += len(data)
            if self.written > CHUNK:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def fileno(self) -> int:
            return self.handle.fileno()

        def close(self) -> None:
            self.handle.close()
            super().close()

    def fdopen(descriptor: int, *args, **kwargs):
        handle = real_fdopen(descriptor, *args, **kwargs)
        return FullDisk(handle) if os.readlink(f"/proc/self/fd/{descriptor}").startswith(blob_dir) else handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    files_before, messages_before = stored_files(web_runtime), videos_of(web_runtime, world.own_video)
    body, kind = multipart(("csrf_token", None, token_of(offender, world).encode()),
                           ("video", "clip.webm", video(3 * CHUNK)))
    with caplog.at_level(logging.ERROR):
        response, _ = upload(offender, world.own_video, body, kind)
    assert response.status_code == 507
    assert "There is no room left on the server to store this video, so nothing was kept" in page_text(response)
    assert stored_files(web_runtime) == files_before
    assert videos_of(web_runtime, world.own_video) == messages_before
    assert "no room left to store an uploaded video (ENOSPC)" in caplog.text


@pytest.mark.parametrize("cut", ["body-shorter-than-announced", "no-closing-boundary", "no-boundary-at-all"])
def test_a_cut_off_or_malformed_upload_gets_a_clear_page_and_keeps_nothing(offender, world, web_runtime, cut):
    files_before = stored_files(web_runtime)
    body, kind = multipart(("csrf_token", None, token_of(offender, world).encode()),
                           ("video", "clip.webm", video(2 * CHUNK)))
    if cut == "body-shorter-than-announced":
        stream = io.BytesIO(body[: CHUNK])
        response = offender.request("POST", f"/portal/cases/{world.own_video}/videos", input_stream=stream,
                                    content_length=len(body), content_type=kind)
    elif cut == "no-closing-boundary":
        response, _ = upload(offender, world.own_video, body[: CHUNK], kind)
    else:
        response, _ = upload(offender, world.own_video, body, "multipart/form-data")
    assert response.status_code == 400
    assert "The upload was cut off or malformed; nothing was kept." in page_text(response)
    assert stored_files(web_runtime) == files_before


def test_a_form_without_a_file_asks_for_one(offender, world, web_runtime):
    token = token_of(offender, world).encode()
    for parts in ([("csrf_token", None, token)], [("csrf_token", None, token), ("video", "", b"")]):
        response, _ = upload(offender, world.own_video, *multipart(*parts))
        assert response.status_code == 400
        assert "Choose a video file to send." in page_text(response)


# --- playback ----------------------------------------------------------------------------------------------------

def _blob_file(runtime: Runtime, message_id: str) -> Path:
    with runtime.transaction() as s:
        blob_id = s.scalar(select(Blob.id).join(Message, Message.blob_id == Blob.id).where(Message.id == message_id))
    return runtime.blobs.path(blob_id)


def _sent(offender: Browser, world: World, runtime: Runtime, data: bytes) -> str:
    before = videos_of(runtime, world.own_video)
    body, kind = multipart(("csrf_token", None, token_of(offender, world).encode()), ("video", "clip.webm", data))
    assert upload(offender, world.own_video, body, kind)[0].status_code == 303
    [new] = [m for m in videos_of(runtime, world.own_video) if m not in before]
    return new


@pytest.mark.parametrize("damage", ["first-chunk-altered", "file-missing", "file-truncated-to-its-header"])
def test_a_damaged_video_is_an_error_page_before_any_byte_is_sent(offender, browser_for, world, web_runtime, damage,
                                                                  caplog):
    message = _sent(offender, world, web_runtime, video(2 * CHUNK))
    path = _blob_file(web_runtime, message)
    if damage == "first-chunk-altered":
        raw = bytearray(path.read_bytes())
        raw[100] ^= 0x01
        path.write_bytes(bytes(raw))
    elif damage == "file-missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:40])
    response = browser_for("mediator").get(f"/mediator/cases/{world.own_video}/messages/{message}/video")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "This content cannot be opened right now" in page_text(response)


def test_a_chunk_altered_further_in_ends_the_stream_early_and_is_logged(offender, browser_for, world, web_runtime,
                                                                        caplog):
    data = video(3 * CHUNK)
    message = _sent(offender, world, web_runtime, data)
    path = _blob_file(web_runtime, message)
    raw = bytearray(path.read_bytes())
    raw[len(raw) - 100] ^= 0x01  # in the last chunk
    path.write_bytes(bytes(raw))
    with caplog.at_level(logging.ERROR):
        response = browser_for("mediator").get(f"/mediator/cases/{world.own_video}/messages/{message}/video")
    assert response.status_code == 200  # already under way when the damage was met
    body = response.get_data()
    assert body == data[: len(body)] and len(body) < len(data) == int(response.headers["Content-Length"])
    assert f"video of message {message} failed its integrity check while streaming" in caplog.text
