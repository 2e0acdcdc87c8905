"""Looking after what is stored: backups and restores of the database, and the blob folder's consistency."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediation import backup as backups
from mediation import fsck as blobcheck
from mediation.cli.base import EXIT_TAMPERED, clean_errors, cli_runtime, main
from mediation.crypto.keyring import KeyringSource


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@clean_errors
def backup_command(target: Path) -> None:
    """Write a consistent copy of the SQLite database to TARGET, even while the server runs (PostgreSQL: use
    pg_dump, see the README). Copy the blob folder after it, and keep the keyring apart from both."""
    with cli_runtime() as runtime:
        written = backups.backup(runtime.settings, target)
        blob_dir = runtime.settings.blob_dir
    click.echo(f"database copied to {written} (mode 0600); now copy the blob folder {blob_dir} too, and keep "
               "the keyring's backup apart from both")


@main.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@clean_errors
def restore_command(source: Path) -> None:
    """Replace the SQLite database with the backup SOURCE, after checking that it is intact, of a schema this
    version knows, and that every data key in it opens with the current keyring. Nothing is replaced otherwise."""
    with cli_runtime(initialised=False) as runtime:
        settings = runtime.settings
        keyring = KeyringSource(settings.keyring_file, settings.keyring_from_env).read()
        runtime.engine.dispose()  # no connection of this process stays open on the file being replaced
        restored = backups.restore(settings, source, keyring)
        with runtime.transaction() as session:
            missing = [f for f in blobcheck.check_blobs(session, runtime.blobs)
                       if f.problem == blobcheck.Problem.MISSING]
    migrated = f", migrated from revision {restored.revision_then}" if restored.migrated else ""
    click.echo(f"restored {source}{migrated}: {restored.data_keys} data key(s), all opening with the keyring")
    if missing:
        click.echo(f"{len(missing)} encrypted file(s) named by the database are not in {settings.blob_dir}: "
                   "restore the blob folder from the same backup, then run 'mediation fsck'", err=True)


@main.command("fsck")
@click.option("--dry-run", is_flag=True, help="Only report; remove nothing.")
@click.option("--grace-minutes", type=click.IntRange(min=1), default=blobcheck.DEFAULT_GRACE_SECONDS // 60,
              show_default=True, help="Leave files younger than this alone (an upload may be in progress).")
@clean_errors
def fsck(dry_run: bool, grace_minutes: int) -> None:
    """Check the blob folder against the database: remove unfinished uploads, files with no row and files of
    purged cases; report rows whose file is missing (exit 3 if any)."""
    with cli_runtime() as runtime, runtime.transaction() as session:
        findings = blobcheck.check_blobs(session, runtime.blobs, grace_seconds=grace_minutes * 60)
    if not dry_run:
        blobcheck.remove(findings)
    for finding in findings:
        action = ("would remove" if dry_run else "removed") if finding.removable else "found"
        click.echo(f"{action} {finding.problem.value}: {finding.where}")
    missing = sum(1 for finding in findings if finding.problem == blobcheck.Problem.MISSING)
    if missing:
        click.echo(f"{missing} row(s) name an encrypted file that is missing: restore the blob folder from the "
                   "backup made with the database", err=True)
        sys.exit(EXIT_TAMPERED)
    if not findings:
        click.echo("the blob folder matches the database")
