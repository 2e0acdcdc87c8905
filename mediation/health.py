"""What a reverse proxy or a monitor asks before sending people here: can this process serve and save?

Each check answers with a problem in plain words, or None. None of them reads or writes any person's data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from mediation.crypto.keyring import read_keyring
from mediation.runtime import Runtime
from mediation.schema import sqlite_file


def database_problem(runtime: Runtime) -> str | None:
    """The database answers a trivial query."""
    try:
        with runtime.transaction(read_only=True) as session:
            session.connection().execute(text("SELECT 1"))
    except Exception as error:  # any failure at all is the answer here, never a crash of the check
        return f"the database does not answer: {error}"
    return None


def _writable_folder(path: Path, name: str) -> str | None:
    if not path.is_dir():
        return f"the {name} {path} is missing"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"the {name} {path} is not writable"
    return None


def storage_problem(runtime: Runtime) -> str | None:
    """The instance folder (and, on SQLite, the database file) is present, writable, and the one opened."""
    settings = runtime.settings
    problem = _writable_folder(settings.instance_dir, "instance folder")
    database = sqlite_file(settings.database_url)
    if problem is None and database is not None:
        if not database.is_file():
            problem = f"the database file {database} is missing"
        elif not os.access(database, os.W_OK) or not os.access(database.parent, os.W_OK | os.X_OK):
            problem = f"the database file {database} or its folder is not writable"
    return problem or runtime.storage.problem()


def keyring_problem(runtime: Runtime) -> str | None:
    """The keyring can be read and holds a usable active key."""
    try:
        read_keyring(runtime.settings.keyring_file, runtime.settings.keyring_from_env)
    except Exception as error:  # a missing, unreadable or malformed keyring: all the same answer
        return f"the keyring cannot be read: {error}"
    return None


CHECKS: dict[str, Callable[[Runtime], str | None]] = {
    "database": database_problem, "storage": storage_problem, "keyring": keyring_problem}


def problems(runtime: Runtime) -> dict[str, str]:
    """Every failing check by name, with what is wrong; empty when all is well."""
    found = {name: check(runtime) for name, check in CHECKS.items()}
    return {name: problem for name, problem in found.items() if problem is not None}
