"""The ``mediation`` command: thin wrappers that parse, call a service, and print."""

from mediation.cli import audit, cases, keys, mail_catcher, organisations, setup, storage, worker  # noqa: F401  (each module registers its commands)
from mediation.cli.base import main

__all__ = ["main"]
