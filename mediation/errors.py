"""Errors the services raise. All derive from ``DomainError``: their text is safe to show to the actor."""

from __future__ import annotations

from workflows.errors import DomainError
from workflows.words import Words

BUSY = Words("The database is busy with other changes; try again in a moment.")
UNREACHABLE = Words("The database cannot be reached; the service is unavailable.")


class NotFound(DomainError):
    """No such record, or not one the actor may see: the two are never told apart."""


class Forbidden(DomainError):
    """The actor may see the record but may not do this to it."""


class Conflict(DomainError):
    """Someone else changed the record first; reload and try again."""


class InvalidInput(DomainError):
    """The request itself is malformed (a value out of range, an unknown choice)."""


class WrongState(DomainError):
    """The case's current state does not allow this action (outside the workflow's triggers)."""


class Unavailable(DomainError):
    """The service cannot do this right now (database busy or unreachable, storage gone or full); nothing was
    changed. ``retry_after`` is how many seconds a client should wait before trying again, if it may."""

    retry_after: int | None = None
    detail: str | None = None  # what the driver said, for the operator's log and command line; never a web page


class DatabaseBusy(Unavailable):
    """Other changes held the database too long (a lock, a deadlock, a serialisation race): try again soon."""

    retry_after = 2

    def __init__(self, message: str | Words = BUSY) -> None:
        super().__init__(message)


class DatabaseUnreachable(Unavailable):
    """The database cannot be reached or opened at all."""

    def __init__(self, message: str | Words = UNREACHABLE) -> None:
        super().__init__(message)


class StorageUnavailable(Unavailable):
    """Where the data is kept is gone, read-only or full: writing now would lose what is written."""
