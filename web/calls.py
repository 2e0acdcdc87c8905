"""How views reach the domain: one service call in one transaction, as the signed-in user.

Views never open a session or write SQL; they call ``call(service, ...)`` and render what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from mediation.models import User
from mediation.runtime import Runtime

T = TypeVar("T")


def runtime() -> Runtime:
    return current_app.extensions["mediation.runtime"]


def actor() -> User:
    """The domain user behind the signed-in account."""
    return current_user.user


def call(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, *args, **kwargs)`` as one transaction."""
    with runtime().transaction() as session:
        return service(session, *args, **kwargs)


def call_as_user(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, actor, *args, **kwargs)`` for the signed-in user."""
    return call(service, actor(), *args, **kwargs)


def call_with_vault(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``service(session, vault, actor, *args, **kwargs)``: the services that seal or open content."""
    vault = runtime().vault

    def bound(session: Session) -> T:
        return service(session, vault, actor(), *args, **kwargs)

    return call(bound)
