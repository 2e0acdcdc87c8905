"""What went wrong, in one line an operator can act on: for the command line and for the web server's start.

Every failure, expected or not, is described (a refused action, a bad setting, a file that is a folder or not
UTF-8, a read-only or full disk, a busy or unreachable database, a number out of range); none is a traceback.
"""

from __future__ import annotations

import os
import re

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from config import SettingsError
from mediation.db import unavailable
from mediation.errors import Unavailable
from workflows.errors import DomainError

UNDECODABLE = re.compile(r"[\ud800-\udfff]")  # what bytes that are not UTF-8 become in arguments and paths


def one_line(text: str) -> str:
    """Printable on any terminal, on one line: undecodable characters escaped, line breaks folded."""
    text = UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)
    return " ".join(text.split())


def _unavailable_text(error: Unavailable) -> str:
    return f"{error} ({error.detail})" if error.detail else str(error)


def describe(error: Exception) -> str:
    """What went wrong, in one line an operator can act on."""
    if isinstance(error, Unavailable):
        return _unavailable_text(error)
    if isinstance(error, DomainError | SettingsError):
        return str(error)
    if isinstance(error, OSError):
        where = os.fsdecode(error.filename) if isinstance(error.filename, str | bytes) else None
        reason = error.strerror or str(error)
        return f"cannot use {where}: {reason}" if where else reason
    if isinstance(error, UnicodeError):
        return f"a file or setting is not valid UTF-8 text ({getattr(error, 'reason', error)})"
    if isinstance(error, RecursionError):
        return "a file or setting is nested too deeply to be read"
    if isinstance(error, OverflowError):
        return f"a number is out of range ({error})"
    if isinstance(error, DBAPIError):
        found = unavailable(error)
        if found is not None:
            if found is not error.orig:
                found.detail = found.detail or str(error.orig)
            return _unavailable_text(found)
        return f"the database refused the command: {error.orig}"
    if isinstance(error, SQLAlchemyError):
        return f"database error: {error}"
    return f"unexpected error ({type(error).__name__}): {error}"
