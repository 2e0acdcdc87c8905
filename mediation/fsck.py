"""Checking the blob folder against the database: what a kill, a crash or an interrupted purge left behind.

- a ``.part`` file older than ``grace``: an upload that never finished (removed);
- an encrypted file with no row, older than ``grace``: an upload whose message was never recorded (removed);
- a file of a case whose data key was destroyed: a purge interrupted before it deleted it (removed; it can
  never be read again anyway);
- a row whose file is missing: reported only, since the message that points to it must stay (restore the blob
  folder from the backup made with the database).

Files younger than ``grace`` are left alone: an upload may be streaming in, or be about to be recorded.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.blobs import BlobStore
from mediation.models import Blob, CaseKey

DEFAULT_GRACE_SECONDS = 3600
_BLOB_FILE = re.compile(r"^([0-9a-f]{32})\.(rjs|part)$")


class Problem(StrEnum):
    STALE_PART = "unfinished upload"
    ORPHAN = "file with no row"
    PURGED = "file of a purged case"
    MISSING = "row whose file is missing"
    UNKNOWN = "file that is not the application's"


REMOVABLE = frozenset({Problem.STALE_PART, Problem.ORPHAN, Problem.PURGED})


@dataclass(frozen=True)
class Finding:
    problem: Problem
    where: str  # a path for files, a blob id for rows

    @property
    def removable(self) -> bool:
        return self.problem in REMOVABLE


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() or path.is_symlink())


def _age(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except FileNotFoundError:
        return 0.0  # gone since it was listed: nothing to do


def check_blobs(session: Session, store: BlobStore, *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
                now: float | None = None) -> list[Finding]:
    """Every inconsistency between the blob folder and the ``blobs`` table (read in the caller's transaction)."""
    now = time.time() if now is None else now
    rows = {blob_id: destroyed for blob_id, destroyed in session.execute(
        select(Blob.id, CaseKey.destroyed_at).join(CaseKey, CaseKey.case_id == Blob.case_id, isouter=True))}
    findings: list[Finding] = []
    on_disk: set[str] = set()
    for path in _files(store.root):
        match = _BLOB_FILE.match(path.name)
        if match is None or path.is_symlink() or path.parent.parent != store.root:
            findings.append(Finding(Problem.UNKNOWN, str(path)))
            continue
        blob_id, suffix = match.groups()
        old = _age(path, now) > grace_seconds
        if suffix == "part":
            if old:
                findings.append(Finding(Problem.STALE_PART, str(path)))
            continue
        on_disk.add(blob_id)
        if blob_id not in rows:
            if old:
                findings.append(Finding(Problem.ORPHAN, str(path)))
        elif rows[blob_id] is not None:
            findings.append(Finding(Problem.PURGED, str(path)))
    findings += [Finding(Problem.MISSING, blob_id) for blob_id, destroyed in sorted(rows.items())
                 if destroyed is None and blob_id not in on_disk]
    return findings


def remove(findings: list[Finding]) -> int:
    """Delete the files of the removable findings; return how many were deleted."""
    removed = 0
    for finding in findings:
        if finding.removable:
            with contextlib.suppress(FileNotFoundError):
                Path(finding.where).unlink()
                removed += 1
    return removed
