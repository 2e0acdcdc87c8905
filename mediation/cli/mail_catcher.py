"""``mediation mail-catcher``: a local SMTP server for development that keeps every e-mail it receives as a
file, so a developer sees what the worker sent without any real mailbox (``scripts/run`` starts it).

Each message is stored as ``<Message-ID>.eml`` in the folder (``instance/mail`` by default): the outbox's
idempotency key is the Message-ID, so a message sent again after a crash overwrites its file instead of doubling.
``--list`` prints the date, recipient and subject of each message received.
"""

from __future__ import annotations

import hashlib
import re
import signal
import threading
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from types import FrameType
from typing import Any

import click

from config import load_settings
from mediation.cli.base import clean_errors, main
from mediation.fileio import write_private
from mediation.storage_guard import make_private_folder

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def file_name(content: bytes) -> str:
    """The file a message is kept in: its Message-ID made safe for a file name, with a hash of the whole
    Message-ID so two ids that read alike once made safe (``a/b``, ``a_b``) keep two files; the content's hash
    when it has none."""
    message_id = str(message_from_bytes(content, policy=default).get("Message-ID") or "").strip().strip("<>")
    if not message_id:
        return hashlib.sha256(content).hexdigest() + ".eml"
    safe = _UNSAFE.sub("_", message_id)[:150].lstrip(".")
    return f"{safe}.{hashlib.sha256(message_id.encode()).hexdigest()[:12]}.eml"


class Keeper:
    """The aiosmtpd handler: every message accepted is written to the folder, atomically and readable by its
    owner only (an invitation's e-mail carries a working code)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        write_private(self.folder / file_name(data), data, overwrite=True)
        return "250 Message accepted for delivery"


def received(folder: Path) -> list[tuple[str, str, str]]:
    """(date, recipient, subject) of each kept message, oldest first."""
    rows = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name)):
        message: Message = message_from_bytes(path.read_bytes(), policy=default)
        rows.append((str(message.get("Date", "")), str(message.get("To", "")), str(message.get("Subject", ""))))
    return rows


def _folder(folder: Path | None) -> Path:
    return folder if folder is not None else load_settings().instance_dir / "mail"


@main.command("mail-catcher")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8025, show_default=True)
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where messages are kept (default: the instance folder's mail/).")
@click.option("--list", "listing", is_flag=True, help="Print the messages received, then stop.")
@clean_errors
def mail_catcher_command(host: str, port: int, folder: Path | None, listing: bool) -> None:
    """A local SMTP server for development: keeps each e-mail it receives as a file (never sends it on)."""
    where = _folder(folder)
    if listing:
        rows = received(where) if where.is_dir() else []
        for date, to, subject in rows:
            click.echo(f"{date}\t{to}\t{subject}")
        click.echo(f"{len(rows)} message(s) in {where}", err=True)
        return
    from aiosmtpd.controller import Controller  # only the server needs it

    make_private_folder(where)
    controller = Controller(Keeper(where), hostname=host, port=port)
    controller.start()
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"mail-catcher: listening on {host}:{port}, keeping messages in {where}")
    try:
        stopping.wait()
    finally:
        controller.stop()
    click.echo("mail-catcher: stopped")
