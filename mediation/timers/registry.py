"""What each kind of timer does when it fires.

A handler runs inside the worker's transaction, as the system actor (no user; the audit names the role
``system``), and goes through the same services as a person would. It returns an ``Outcome``: done, or moot
with a code that says why (the case moved on, closed, the message was reviewed...). The runner audits a moot
timer itself; a handler that did something audits it through the service it called.

Handlers are registered by the module that owns the rule (``@handles(TimerKind.X)``); ``mediation.timers.kinds``
imports every such module, so the runner knows them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mediation.models import Timer, TimerKind

if TYPE_CHECKING:
    from config import Settings
    from mediation.crypto.vault import Vault

SYSTEM_ROLE = "system"  # the audit's actor_role for what the worker does


@dataclass(frozen=True)
class Outcome:
    code: str  # "done", or why the timer was moot (a short code, never text about a person)
    moot: bool = False

    @classmethod
    def done(cls) -> Outcome:
        return cls("done")

    @classmethod
    def moot_because(cls, why: str) -> Outcome:
        return cls(why, moot=True)


@dataclass
class Firing:
    """What a handler may use: the moment, the settings, the keyring, and work to do once the transaction has
    committed (deleting a purged case's files, for instance: never before the purge is certain)."""

    now: datetime
    settings: Settings
    vault_source: Callable[[], Vault]
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def vault(self) -> Vault:
        return self.vault_source()


Handler = Callable[[Session, Timer, Firing], Outcome]
_HANDLERS: dict[str, Handler] = {}


def handles(kind: TimerKind) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if kind.value in _HANDLERS and _HANDLERS[kind.value] is not handler:
            raise RuntimeError(f"two handlers for timer kind {kind.value}")
        _HANDLERS[kind.value] = handler
        return handler
    return register


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


Arranger = Callable[[Session, "Settings", datetime], None]
_ARRANGERS: list[Arranger] = []


def recurring(arranger: Arranger) -> Arranger:
    """Register a function that makes sure a recurring timer (a checkpoint, a digest) is armed; the worker
    calls each when it starts and whenever it has nothing left to do. It must be idempotent."""
    if arranger not in _ARRANGERS:
        _ARRANGERS.append(arranger)
    return arranger


def arrangers() -> tuple[Arranger, ...]:
    return tuple(_ARRANGERS)
