"""Verifying the audit log and exporting signed checkpoints of it, and the public key that checks them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from config import load_settings
from mediation.audit.checkpoint import (
    CheckpointForged,
    create_checkpoint,
    export_public_key,
    load_public_key,
    parse_checkpoint,
    read_checkpoint,
)
from mediation.audit.verify import ChainHead, verify_audit_log
from mediation.cli.base import EXIT_TAMPERED, clean_errors, cli_runtime, main
from mediation.db import utcnow
from mediation.keyfiles import load_audit_signing_key
from mediation.runtime import Runtime

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _write(output: Path, text: str) -> None:
    try:
        output.write_text(text)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None


def _checkpoint_heads(runtime: Runtime, checkpoint_file: Path, public_key_file: Path | None) -> dict[str, ChainHead]:
    """The checkpoint's chain heads, its signature checked with the public key kept elsewhere if one is given,
    else with the server's own signing key (which whoever controls the server could have replaced)."""
    if public_key_file is not None:
        verify_key = load_public_key(public_key_file.read_bytes(), str(public_key_file))
        key_name = f"the public key in {public_key_file}"
    else:
        verify_key = load_audit_signing_key(runtime.settings.audit_signing_key_file).public_key()
        key_name = "this server's audit signing key"
    document = parse_checkpoint(checkpoint_file.read_bytes(), str(checkpoint_file))
    return read_checkpoint(document, verify_key, key_name=key_name)


def _tampered(problems: list[str], summary: str) -> None:
    for problem in problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    click.echo(f"audit log FAILED verification ({summary})", err=True)
    sys.exit(EXIT_TAMPERED)


@main.command("verify-audit")
@click.option("--checkpoint", "checkpoint_file", type=_FILE,
              help="A checkpoint from 'mediation audit-checkpoint': also detect history rewritten or cut short.")
@click.option("--public-key", "public_key_file", type=_FILE,
              help="Check the checkpoint's signature with this public key (from 'mediation audit-public-key', "
                   "kept off the server) instead of the server's own signing key.")
@clean_errors
def verify_audit(checkpoint_file: Path | None, public_key_file: Path | None) -> None:
    """Check every audit chain; name the first broken entry of each chain and exit 3 if any is broken."""
    if public_key_file is not None and checkpoint_file is None:
        raise click.UsageError("--public-key checks a checkpoint: give --checkpoint too")
    with cli_runtime() as runtime:
        heads = None
        if checkpoint_file is not None:
            try:
                heads = _checkpoint_heads(runtime, checkpoint_file, public_key_file)
            except CheckpointForged as error:
                _tampered([str(error)], f"checkpoint {checkpoint_file}")
        with runtime.transaction() as session:
            report = verify_audit_log(session, heads)
    summary = f"{report.entries_checked} entries in {report.chains_checked} chains"
    if report.problems:
        _tampered(report.problems, summary)
    click.echo(f"audit log intact: {summary}" + (", consistent with the checkpoint" if heads is not None else ""))


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
        return
    _write(output, text)
    click.echo(f"checkpoint of {len(report.heads)} chains written to {output}; copy it off this server")


@main.command("audit-public-key")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the public key here instead of to standard output.")
@clean_errors
def audit_public_key(output: Path | None) -> None:
    """Print the public half of the audit signing key (PEM), to keep off the server with the checkpoints and
    give to 'mediation verify-audit --public-key'."""
    pem = export_public_key(load_audit_signing_key(load_settings().audit_signing_key_file)).decode()
    if output is None:
        click.echo(pem, nl=False)
        return
    _write(output, pem)
    click.echo(f"public key written to {output}; keep it off this server, with the checkpoints")
