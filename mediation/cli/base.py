"""The command group and what every command shares: one-line errors, and a runtime that insists on an
initialised database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from config import SettingsError, load_settings
from mediation.runtime import Runtime, open_runtime
from mediation.schema import database_exists, schema_problem
from workflows.errors import DomainError

# verify-audit's status when the log was tampered with; 1 is a clean error, 2 a usage error (click's).
EXIT_TAMPERED = 3


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a refused action or a bad setting into one clear line and exit status 1, never a traceback."""
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (DomainError, SettingsError) as error:
            raise click.ClickException(str(error)) from None
    return run


@contextmanager
def cli_runtime(*, initialised: bool = True) -> Iterator[Runtime]:
    """The runtime for one command; unless it is the command that creates it, the schema must be there."""
    settings = load_settings()
    if initialised and not database_exists(settings):
        raise click.ClickException("there is no database yet; run 'mediation init' first")
    runtime = open_runtime(settings)
    try:
        if initialised:
            problem = schema_problem(runtime.engine)
            if problem:
                raise click.ClickException(problem)
        yield runtime
    except OperationalError as error:
        raise click.ClickException(f"the database cannot be reached: {error.orig}") from None
    finally:
        runtime.close()


@click.group(help="Restorative justice mediation: cases, audit log and keys, from the server's command line.")
def main() -> None:
    pass
