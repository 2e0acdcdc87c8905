"""The ``mediation`` command: thin wrappers that parse, call a service, and print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from config import SettingsError, load_settings
from mediation.audit.checkpoint import create_checkpoint, read_checkpoint
from mediation.audit.verify import verify_audit_log
from mediation.crypto.keyring import generate_keyring, new_kek, write_keyring
from mediation.db import utcnow
from mediation.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from mediation.keyfiles import ensure_instance, load_audit_signing_key
from mediation.models import Case
from mediation.runtime import Runtime, open_runtime
from mediation.schema import database_exists, migrate, schema_problem
from mediation.services import keys as keyservice
from mediation.services import queries, users
from mediation.services.lookup import normalise_reference
from workflows.case_workflow import CASE_WORKFLOW, case_workflow
from workflows.diagram import dot, mermaid
from workflows.errors import DomainError
from workflows.message_workflow import MESSAGE_WORKFLOW

# verify-audit's status when the log was tampered with; 1 is a clean error, 2 a usage error (click's).
EXIT_TAMPERED = 3


def _clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a refused action or a bad setting into one clear line and exit status 1, never a traceback."""
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (DomainError, SettingsError) as error:
            raise click.ClickException(str(error)) from None
    return run


@contextmanager
def _runtime(*, initialised: bool = True) -> Iterator[Runtime]:
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


def _initialise(runtime: Runtime) -> None:
    for path in ensure_instance(runtime.settings):
        click.echo(f"created {path} (mode 0600; keep it out of backups of the database)")
    migrate(runtime.engine)


@main.command()
@_clean_errors
def init() -> None:
    """Create the instance folder, key files and database schema, or migrate an existing database."""
    with _runtime(initialised=False) as runtime:
        _initialise(runtime)
        click.echo(f"database ready: {runtime.engine.url.render_as_string(hide_password=True)}")


@main.command()
@_clean_errors
def demo() -> None:
    """Load demo accounts for every role and a case in every state (development databases only)."""
    with _runtime(initialised=False) as runtime:
        if runtime.settings.is_production:
            raise click.ClickException("demo data cannot be loaded when MEDIATION_ENV=production")
        _initialise(runtime)
        if not load_demo(runtime):
            click.echo("demo data is already loaded")
        click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            click.echo(f"  {account.username:<14} {account.role.value:<12} {account.display_name}")


@main.command("cases")
@_clean_errors
def list_cases() -> None:
    """List every case with its state (metadata only, never content)."""
    with _runtime() as runtime, runtime.transaction() as session:
        rows = queries.all_cases(session)
    click.echo(f"{'reference':<15} {'state':<22} {'modality':<13} {'outcome':<11} {'mediator':<14} people")
    for row in rows:
        click.echo(f"{row.reference:<15} {row.state:<22} {row.modality or '-':<13} {row.outcome or '-':<11} "
                   f"{row.mediator or '-':<14} {row.participants}")
    click.echo(f"{len(rows)} case(s)")


@main.command()
@click.argument("reference")
@_clean_errors
def show(reference: str) -> None:
    """Show one case: state, eligibility with its explanation, participants and the audit timeline."""
    from sqlalchemy import select

    with _runtime() as runtime, runtime.transaction() as session:
        wanted = normalise_reference(reference)
        case = session.scalars(select(Case).where(Case.reference == wanted)).one_or_none()
        if case is None:
            raise click.ClickException(f"No case {wanted} was found.")
        click.echo(f"{case.reference}  state={case.state}  modality={case.modality or '-'}  "
                   f"outcome={case.outcome or '-'}  workflow={case.workflow_version}  version={case.version}")
        if case.paused_from:
            click.echo(f"paused from: {case.paused_from}")
        if case.sentence is not None:
            record = case.sentence
            click.echo(f"eligibility: {record.explanation}")
            if record.is_overridden:
                verdict = "eligible" if record.override_eligible else "not eligible"
                click.echo(f"  overridden by the coordinator: {verdict} (rationale recorded)")
        else:
            click.echo("eligibility: no sentence data recorded yet")
        for person in case.participants:
            click.echo(f"participant {person.id}: {person.side}/{person.relationship_to_case} "
                       f"consent={person.consent} safety={person.safety}")
        workflow = case_workflow(case.workflow_version)
        for trigger in workflow.triggers_from(case.state):
            unmet = workflow.unmet_guards(case, trigger, judge_arguments=False)
            status = "possible now" if not unmet else "waiting: " + "; ".join(g.explanation for g in unmet)
            click.echo(f"trigger {trigger}: {status}")
        for entry in queries.timeline(session, case):
            move = f" {entry.from_state or ''}->{entry.to_state}" if entry.to_state else ""
            why = f" reason={entry.reason}" if entry.reason else ""
            click.echo(f"  #{entry.seq:<3} {entry.occurred_at:%Y-%m-%d %H:%M} {entry.actor_role:<11} "
                       f"{entry.tag}{move}{why}")


@main.command("verify-audit")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint from 'mediation audit-checkpoint': also detect history rewritten or cut short.")
@_clean_errors
def verify_audit(checkpoint_file: Path | None) -> None:
    """Check every audit chain; name the first broken entry of each chain and exit 3 if any is broken."""
    with _runtime() as runtime:
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
@_clean_errors
def audit_checkpoint(output: Path | None) -> None:
    """Print a signed digest of every audit chain head, to be stored off the server."""
    with _runtime() as runtime:
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


@main.command()
@click.option("--workflow", "which", type=click.Choice(["case", "message"]), default="case", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--current", help="Mark this state as the current one.")
def diagram(which: str, fmt: str, current: str | None) -> None:
    """Print a workflow as a Mermaid or Graphviz DOT diagram."""
    definition = CASE_WORKFLOW if which == "case" else MESSAGE_WORKFLOW
    if current is not None and current not in definition.states:
        raise click.BadParameter(f"{current!r} is not a state of this workflow", param_hint="--current")
    click.echo((mermaid if fmt == "mermaid" else dot)(definition, current), nl=False)


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice(["admin", "mediator", "staff", "participant"]), required=True)
@click.password_option(help="Asked for interactively when not given.")
@_clean_errors
def create_user(username: str, display_name: str, role: str, password: str) -> None:
    """Create an account, e.g. the first coordinator of a new installation."""
    with _runtime() as runtime, runtime.transaction() as session:
        user = users.create_user(session, None, username=username, display_name=display_name, role=role,
                                 password=password)
        click.echo(f"created {user.role} account {user.username}")


@main.group()
def keys() -> None:
    """Key-encryption keys (KEKs): generate, rotate, rewrap, retire, status."""


def _keyring_file_only(runtime: Runtime) -> None:
    if runtime.settings.keyring_from_env is not None:
        raise click.ClickException(
            "the keyring comes from MEDIATION_KEYRING, which this command cannot change: add a new key with "
            "'mediation keys generate --print', make it active in your secret store, restart, then run "
            "'mediation keys rewrap'")


@keys.command("generate")
@click.option("--print", "to_stdout", is_flag=True,
              help="Print a new keyring instead of writing the file (for keyrings kept in MEDIATION_KEYRING).")
@_clean_errors
def keys_generate(to_stdout: bool) -> None:
    """Create the keyring file (mode 0600) if there is none."""
    settings = load_settings()
    if to_stdout:
        click.echo(generate_keyring().to_json(), nl=False)
        return
    if settings.keyring_file.exists():
        raise click.ClickException(f"a keyring already exists at {settings.keyring_file}; use 'mediation keys "
                                   "rotate' to add a new key")
    write_keyring(settings.keyring_file, generate_keyring())
    click.echo(f"created {settings.keyring_file}; back it up apart from the database: without it, no "
               "encrypted content can be read")


def _rewrap_everything(runtime: Runtime) -> int:
    total = 0
    while True:
        with runtime.transaction() as session:
            done = keyservice.rewrap_batch(session, runtime.vault)
        total += done
        if not done:
            return total


@keys.command("rotate")
@_clean_errors
def keys_rotate() -> None:
    """Add a new active KEK to the keyring file and rewrap every case's data key under it."""
    with _runtime() as runtime:
        _keyring_file_only(runtime)
        old = runtime.vault.keyring
        new_id, new_key = new_kek()
        rotated = old.with_new_active(new_id, new_key)
        write_keyring(runtime.settings.keyring_file, rotated)  # both keys are kept until the old one is retired
        runtime.vault.keyring = rotated
        count = _rewrap_everything(runtime)
        with runtime.transaction() as session:
            keyservice.record_rotation(session, runtime.vault, count)
    click.echo(f"active KEK is now {new_id}; {count} data key(s) rewrapped, no content re-encrypted")
    click.echo(f"back up {runtime.settings.keyring_file}, then retire the old key: mediation keys retire {old.active}")


@keys.command("rewrap")
@_clean_errors
def keys_rewrap() -> None:
    """Rewrap every data key under the keyring's active KEK (after changing it by hand or in the environment)."""
    with _runtime() as runtime:
        count = _rewrap_everything(runtime)
        with runtime.transaction() as session:
            keyservice.record_rotation(session, runtime.vault, count)
    click.echo(f"{count} data key(s) rewrapped under {runtime.vault.keyring.active}")


@keys.command("retire")
@click.argument("kek_id")
@_clean_errors
def keys_retire(kek_id: str) -> None:
    """Remove a KEK from the keyring file once no data key needs it."""
    with _runtime() as runtime:
        _keyring_file_only(runtime)
        with runtime.transaction() as session:
            keyservice.check_retirable(session, runtime.vault, kek_id)
            keyservice.record_retirement(session, kek_id)
        write_keyring(runtime.settings.keyring_file, runtime.vault.keyring.without(kek_id))
    click.echo(f"retired {kek_id}; it is no longer in {runtime.settings.keyring_file}")


@keys.command("status")
@_clean_errors
def keys_status() -> None:
    """Show the KEKs, the active one, and how many data keys each wraps."""
    with _runtime() as runtime, runtime.transaction() as session:
        keyring = runtime.vault.keyring
        in_use = keyservice.keys_in_use(session)
    for kek_id in sorted(set(keyring.keys) | set(in_use)):
        mark = "active" if kek_id == keyring.active else ("MISSING from the keyring" if kek_id not in keyring.keys
                                                          else "")
        click.echo(f"{kek_id:<24} {in_use.get(kek_id, 0):>8} data key(s)  {mark}")


@main.command()
@click.option("--retention-days", type=click.IntRange(min=1),
              help="Override MEDIATION_RETENTION_DAYS for this run.")
@click.option("--dry-run", is_flag=True, help="List the cases that would be purged, change nothing.")
@_clean_errors
def purge(retention_days: int | None, dry_run: bool) -> None:
    """Destroy the data keys of cases closed longer than the retention period; their content becomes
    unrecoverable, their anonymous statistics remain."""
    with _runtime() as runtime:
        days = retention_days or runtime.settings.retention_days
        with runtime.transaction() as session:
            result = keyservice.purge_expired(session, runtime.vault, retention_days=days, dry_run=dry_run)
        if not dry_run:
            for blob_id in result.blob_ids:
                runtime.blobs.discard(blob_id)
    verb = "would destroy" if dry_run else "destroyed"
    click.echo(f"{verb} the content keys of {len(result.cases)} case(s) closed more than {days} days ago"
               f" ({len(result.blob_ids)} file(s))")
    for reference in result.cases:
        click.echo(f"  {reference}")


@main.command()
@_clean_errors
def stats() -> None:
    """Anonymous programme statistics: cases by state, outcome and modality, messages by state."""
    with _runtime() as runtime, runtime.transaction() as session:
        figures = keyservice.statistics(session)
    for title, counts in (("cases by state", figures.cases_by_state), ("cases by outcome", figures.cases_by_outcome),
                          ("cases by modality", figures.cases_by_modality),
                          ("messages by state", figures.messages_by_state)):
        click.echo(f"{title}: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"))
