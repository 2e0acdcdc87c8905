"""Refuse to write when the instance folder vanished or was replaced under a running server.

The folder holds the keys and the encrypted files: a server writing on after it was deleted would make new
folders, new files and rows that point at files gone at the next start (and SQLite, whose database may live
there, would answer success for writes into a deleted file: see ``mediation.sqlite``). So before each writing
transaction the server checks, with one ``stat`` per path, that each path is still the very one it started
with (same device and inode); if not, it refuses with a clear error until it is restarted on the right files.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from mediation.errors import StorageUnavailable


class StorageGuard:
    def __init__(self, paths: dict[str, Path]) -> None:
        """``paths`` names each watched path (e.g. "instance folder") for the error message."""
        self._paths = dict(paths)
        self._seen: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise StorageUnavailable if a path seen before is gone or is another file now.

        A path is remembered the first time it is seen, so a fresh installation (``mediation init`` creates
        the folder after the runtime opened) is not refused.
        """
        for name, path in self._paths.items():
            try:
                status = os.stat(path)
            except (FileNotFoundError, NotADirectoryError):
                if name in self._seen:
                    raise StorageUnavailable("The %(name)s (%(path)s) has disappeared; nothing can be saved until the "
                                             "server is restarted on its files. Tell the server's operator.",
                                             name=str(name), path=str(path)) from None
                continue
            identity = (status.st_dev, status.st_ino)
            with self._lock:
                known = self._seen.setdefault(name, identity)
            if known != identity:
                raise StorageUnavailable("The %(name)s (%(path)s) was replaced while the server was running; nothing "
                                         "can be saved until the server is restarted. Tell the server's operator.",
                                         name=str(name), path=str(path))

    def problem(self) -> str | None:
        """What ``check`` would refuse for, or None: for the health endpoint."""
        try:
            self.check()
        except StorageUnavailable as error:
            return str(error)
        return None


def make_private_folder(path: Path) -> None:
    """Create ``path`` and every missing parent with mode 0700 (``mkdir(parents=True)`` gives parents the
    default mode, so a folder holding keys could be created readable by everyone)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
