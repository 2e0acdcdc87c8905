"""How views reach the domain: one service call in one transaction, as the signed-in user.

Views never open a session or write SQL; they call ``call(service, ...)`` (or ``read(service, ...)`` for a page
that only reads) and render what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask_login import current_user

from mediation.models import User
from mediation.runtime import Runtime

T = TypeVar("T")


def runtime() -> Runtime:
    return current_app.extensions["mediation.runtime"]


def actor() -> User:
    """The domain user behind the signed-in account."""
    return current_user.user


def call(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, *args, **kwargs)`` as one writing transaction (run again if it lost a race)."""
    return runtime().run(lambda session: service(session, *args, **kwargs))


def read(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Like ``call``, for a service that only reads: a reading transaction, which cannot write and, on SQLite,
    never waits for a writer. A service that audits a decryption writes, so it goes through ``call``."""
    return runtime().run(lambda session: service(session, *args, **kwargs), read_only=True)


def call_as_user(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, actor, *args, **kwargs)`` for the signed-in user."""
    return call(service, actor(), *args, **kwargs)


def read_as_user(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``read`` for the signed-in user: ``service(session, actor, *args, **kwargs)``."""
    return read(service, actor(), *args, **kwargs)


def call_with_vault(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, vault, actor, *args, **kwargs)``: the services that seal or open content."""
    vault, user = runtime().vault, actor()
    return call(lambda session: service(session, vault, user, *args, **kwargs))
