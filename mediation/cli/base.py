"""The command group and what every command shares: one-line errors, and a runtime that insists on an
initialised database.

The error boundary: whatever a command raises (a refused action, a bad setting, a file that is a folder or not
UTF-8, a read-only or full disk, a busy or unreachable database, a number out of range) ends as one line on
standard error and exit status 1, never a traceback; a malformed argument is a usage error, exit status 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click

from config import load_settings
from mediation.failures import UNDECODABLE, describe, one_line
from mediation.runtime import Runtime, open_runtime
from mediation.schema import database_exists, schema_problem

# verify-audit's status when the log was tampered with; 1 is a clean error, 2 a usage error (click's).
EXIT_TAMPERED = 3


@contextmanager
def _errors_as_one_line() -> Iterator[None]:
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as error:  # the boundary: every failure becomes one line, never a traceback
        raise click.ClickException(one_line(describe(error))) from None


def _refuse_undecodable(values: Any) -> None:
    """Text arguments must be UTF-8 (a file path may be any bytes: those are not checked)."""
    for value in values:
        texts = value if isinstance(value, tuple | list) else (value,)
        if any(isinstance(text, str) and UNDECODABLE.search(text) for text in texts):
            raise click.UsageError(f"an argument is not valid UTF-8 text: {one_line(str(value))}")


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse arguments that are not text (exit 2), and turn any failure into one clear line (exit 1)."""
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        _refuse_undecodable(kwargs.values())
        with _errors_as_one_line():
            return command(*args, **kwargs)
    return run


class _Commands(click.Group):
    """The group holds the boundary too, so no command (or subgroup) can end in a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        with _errors_as_one_line():
            return super().invoke(ctx)


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
        yield runtime  # a database that cannot be reached ends at the boundary, as one line
    finally:
        runtime.close()


@click.group(cls=_Commands,
             help="Restorative justice mediation: cases, audit log and keys, from the server's command line.")
def main() -> None:
    pass
