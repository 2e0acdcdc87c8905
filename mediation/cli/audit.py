"""Verifying the audit log and exporting signed checkpoints of it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mediation.audit.checkpoint import create_checkpoint, read_checkpoint
from mediation.audit.verify import verify_audit_log
from mediation.cli.base import EXIT_TAMPERED, clean_errors, cli_runtime, main
from mediation.db import utcnow
from mediation.keyfiles import load_audit_signing_key


@main.command("verify-audit")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint from 'mediation audit-checkpoint': also detect history rewritten or cut short.")
@clean_errors
def verify_audit(checkpoint_file: Path | None) -> None:
    """Check every audit chain; name the first broken entry of each chain and exit 3 if any is broken."""
    with cli_runtime() as runtime:
        heads = None
        if checkpoint_file is not None:
            key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
            try:
                document = json.loads(checkpoint_file.read_text())
            except (ValueError, UnicodeDecodeError):
                raise click.ClickException(f"{checkpoint_file} is not a checkpoint file (not JSON)") from None
            heads = read_checkpoint(document, key.public_key())
        with runtime.transaction() as session:
            report = verify_audit_log(session, heads)
    for problem in report.problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    summary = f"{report.entries_checked} entries in {report.chains_checked} chains"
    if report.problems:
        click.echo(f"audit log FAILED verification ({summary})", err=True)
        sys.exit(EXIT_TAMPERED)
    click.echo(f"audit log intact: {summary}" + (", consistent with the checkpoint" if heads else ""))


@main.command("audit-checkpoint")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the checkpoint here instead of to standard output.")
@clean_errors
def audit_checkpoint(output: Path | None) -> None:
    """Print a signed digest of every audit chain head, to be stored off the server."""
    with cli_runtime() as runtime:
        key = load_audit_signing_key(runtime.settings.audit_signing_key_file)
        with runtime.transaction() as session:
            report = verify_audit_log(session)
    if not report.intact:
        raise click.ClickException("refusing to sign a checkpoint over a damaged audit log; run verify-audit")
    text = json.dumps(create_checkpoint(report, key, utcnow()), indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text)
        except OSError as error:
            raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
        click.echo(f"checkpoint of {len(report.heads)} chains written to {output}; copy it off this server")
