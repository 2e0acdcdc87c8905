"""``mediation worker``: fire due timers and send queued e-mail, until stopped."""

from __future__ import annotations

import logging

import click

from config import load_settings
from config.settings import check_worker_settings
from mediation.cli.base import clean_errors, cli_runtime, main
from mediation.worker import Worker


@main.command("worker")
@click.option("--once", is_flag=True, help="Do what is due now, then stop (for cron) instead of waiting for more.")
@click.option("--batch", type=click.IntRange(min=1, max=10_000), default=None,
              help="Items taken before turning to the other job (default: MEDIATION_WORKER_BATCH).")
@clean_errors
def worker_command(once: bool, batch: int | None) -> None:
    """Fire due timers and send the outbox's e-mail, as the system. Several workers may run at once on
    PostgreSQL (nothing is done twice); on SQLite one is enough."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    check_worker_settings(load_settings())
    with cli_runtime() as runtime:
        worker = Worker(runtime, batch=batch)
        if once:
            rounds = worker.drain()
            click.echo("worker: " + ", ".join(f"{job} {count}" for job, count in rounds.handled.items()))
            return
        worker.stop_on_signals()
        click.echo("worker: running; stop it with Ctrl-C or SIGTERM")
        worker.run_forever()
        click.echo("worker: stopped")
