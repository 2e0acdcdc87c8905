"""Errors the services raise. All derive from ``DomainError``: their text is safe to show to the actor."""

from __future__ import annotations

from workflows.errors import DomainError


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
