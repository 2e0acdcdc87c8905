"""Videos through the web layer without a plaintext copy anywhere.

An upload is never handed to the framework's form parser (which spools any file over 500 KiB to a temporary
file in clear): the multipart body is decoded as it arrives, with Werkzeug's sans-io decoder over
``request.stream``, and the file part's bytes go straight into ``BlobStore.receive``'s encryptor. The CSRF token
(a form field before the file, or a header) and the right to send a video now are checked before the file's
first byte is read. Playback decrypts chunk by chunk and verifies the first chunk before the response starts.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from typing import IO, NoReturn

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Event, Field, File, MultipartDecoder

from mediation.blobs import ReceivedBlob
from mediation.crypto.errors import CryptoError
from mediation.crypto.stream import TooLarge
from mediation.services import messages
from web.calls import actor, call, call_as_user, runtime
from web.extensions import csrf

log = logging.getLogger(__name__)

VIDEO_FIELD = "video"
READ_BLOCK = 64 * 1024
FIELD_LIMIT = 4096  # a plain form field (the CSRF token) is short
MAX_PARTS = 16
FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and the token around the file
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT)


class InsufficientStorage(HTTPException):
    """507: the server has no room for the upload (Werkzeug has no class for it)."""

    code = 507


class MalformedUpload(Exception):
    """The body is not the multipart form it claims to be, or it was cut off."""


class MultipartBody:
    """The parts of a multipart body, decoded a block at a time as the request stream delivers it.

    ``next_part`` moves to the next part's headers; ``read`` returns the current part's bytes like a file does,
    never holding more than a block, so a file part can be given to an encryptor as its source.
    """

    def __init__(self, stream: IO[bytes], boundary: bytes) -> None:
        self._stream = stream
        self._decoder = MultipartDecoder(boundary, max_form_memory_size=4 * READ_BLOCK, max_parts=MAX_PARTS)
        self._pending = b""
        self._part_done = True

    def _event(self) -> Event:
        try:
            while True:
                event = self._decoder.next_event()
                if event is not NEED_DATA:
                    return event
                self._decoder.receive_data(self._stream.read(READ_BLOCK) or None)
        except ValueError as error:  # the decoder's word for a malformed or truncated body
            raise MalformedUpload(str(error)) from None

    def next_part(self) -> Field | File | None:
        """The next part (what is left of the current one is skipped), or None at the end of the form."""
        while self.read(READ_BLOCK):
            pass
        while True:
            event = self._event()
            if isinstance(event, Field | File):
                self._part_done = False
                return event
            if isinstance(event, Epilogue):
                return None

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes of the current part (any amount if negative); b"" at its end."""
        while not self._pending and not self._part_done:
            event = self._event()
            if not isinstance(event, Data):
                raise MalformedUpload("a part ended without its data")
            self._pending, self._part_done = event.data, not event.more_data
        if size is None or size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def read_field(self) -> str:
        value = b""
        while piece := self.read(FIELD_LIMIT):
            value += piece
            if len(value) > FIELD_LIMIT:
                raise MalformedUpload("a form field is too long")
        return value.decode("utf-8", "replace")


def _check_csrf(fields: list[tuple[str, str]]) -> None:
    """Flask-WTF's own check, on the fields read from the stream so far (the token comes before the file)."""
    request.form = ImmutableMultiDict(fields)  # what Flask-WTF reads; the body is never parsed by the framework
    request.files = ImmutableMultiDict()
    csrf.protect()


def _choose_a_file() -> NoReturn:
    abort(400, description=_("Choose a video file to send."))


def receive_video(reference: str) -> ReceivedBlob:
    """Stream the uploaded video into the blob store, encrypted; refuse before storing anything when the request
    is forged or the signed-in participant may not send a video on this case now."""
    if request.mimetype != "multipart/form-data":
        csrf.protect()  # an ordinary (small) form: Flask-WTF reads its token as usual
        _choose_a_file()
    boundary = request.mimetype_params.get("boundary", "").encode()
    if not boundary:
        abort(400, description=_("The upload was cut off or malformed; nothing was kept. Please send it again."))
    limit = current_app.config["VIDEO_MAX_BYTES"]
    request.max_content_length = limit + FORM_OVERHEAD  # this route only; every other one keeps the small limit
    fields: list[tuple[str, str]] = []
    try:
        body = MultipartBody(request.stream, boundary)
        while (part := body.next_part()) is not None:
            if isinstance(part, Field):
                fields.append((part.name, body.read_field()))
                continue
            _check_csrf(fields)
            if part.name != VIDEO_FIELD or not part.filename:
                continue
            call_as_user(messages.may_send_video, reference)  # before the first byte of the file is read
            return runtime().blobs.receive(body, limit=limit)
        _check_csrf(fields)
        _choose_a_file()
    except (TooLarge, RequestEntityTooLarge):
        abort(413, description=_("The video is larger than the limit."))
    except (MalformedUpload, ClientDisconnected) as error:
        log.info("a video upload was malformed or cut off: %s", type(error).__name__)
        abort(400, description=_("The upload was cut off or malformed; nothing was kept. Please send it again."))
    except OSError as error:
        if error.errno not in _NO_ROOM:
            raise
        log.error("no room left to store an uploaded video (%s)", errno.errorcode.get(error.errno, error.errno))
        message = _("There is no room left on the server to store this video, so nothing was kept. Please try "
                    "again later, and tell your mediator if it happens again.")
        raise InsufficientStorage(description=message) from None


def stream_video(reference: str, message_id: str) -> Response:
    """Stream a video message, decrypted chunk by chunk after the transaction that checked access.

    The first chunk is decrypted and verified before the response starts, so a missing or altered file (or a
    destroyed key) is an error page; a chunk that fails later ends the stream early, logged, and the client
    sees a response shorter than announced, never a page of garbage.
    """
    vault, blobs, user = runtime().vault, runtime().blobs, actor()
    content_type, size, chunks = call(
        lambda session: messages.open_video(session, vault, blobs, user, reference, message_id=message_id))
    try:
        first = next(chunks, b"")
    except CryptoError:
        _close(chunks)
        raise
    return Response(_after(first, chunks, message_id), mimetype=content_type, headers={"Content-Length": str(size)})


def _after(first: bytes, chunks: Iterator[bytes], message_id: str) -> Iterator[bytes]:
    try:
        yield first
        yield from chunks
    except CryptoError as error:
        log.error("video of message %s failed its integrity check while streaming (%s); the response was cut "
                  "short", message_id, type(error).__name__)
    finally:
        _close(chunks)


def _close(chunks: Iterator[bytes]) -> None:
    """Close the decrypting generator (and with it the encrypted file) however the stream ended."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
