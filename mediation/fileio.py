"""Writing private files so that a crash or a power cut leaves either the old file or the new one, whole.

The content goes to a temporary file beside the target, is flushed to the disk, renamed (or linked) into place,
and the folder is flushed too: without that last step the rename itself may not survive a power cut.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from mediation.storage_guard import make_private_folder


def fsync_folder(folder: Path) -> None:
    """Make the folder's entries (a file created, renamed or removed in it) durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def temporary_beside(path: Path) -> Path:
    """A fresh hidden name in the target's folder (a rename is atomic only within one file system)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def write_private(path: Path, content: bytes, *, overwrite: bool) -> None:
    """Write ``path`` readable by its owner only, atomically and durably.

    With ``overwrite`` the file is replaced whole; without it an existing file is never touched
    (``FileExistsError``), which is how key files are created.
    """
    make_private_folder(path.parent)
    temporary = temporary_beside(path)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            temporary.replace(path)
        else:
            os.link(temporary, path)  # fails if the target exists: never overwrites a key
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()  # never leave a stray copy of a secret behind
    fsync_folder(path.parent)
