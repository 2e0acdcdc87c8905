"""Key-encryption keys and crypto-shredding: generate, rotate, rewrap, retire, status, purge."""

from __future__ import annotations

import click

from mediation.backup import checkpoint_wal
from mediation.cli.base import clean_errors, cli_runtime, main
from mediation.crypto.keyring import generate_keyring, new_kek, write_keyring
from mediation.errors import InvalidInput
from mediation.runtime import Runtime
from mediation.schema import database_exists
from mediation.services import keys as keyservice


@main.group()
def keys() -> None:
    """Key-encryption keys (KEKs): generate, rotate, rewrap, retire, status."""


def _keyring_file_only(runtime: Runtime) -> None:
    if runtime.settings.keyring_from_env is not None:
        raise click.ClickException(
            "the keyring comes from MEDIATION_KEYRING, which this command cannot change: add a new key with "
            "'mediation keys generate --print', make it active in your secret store, restart, then run "
            "'mediation keys rewrap'")


def refuse_new_keyring_over_data_keys(runtime: Runtime) -> None:
    """A new keyring opens none of the data keys already stored: when the keyring is missing and the database
    holds data keys, the only way forward is the keyring's backup. Never create one then."""
    settings = runtime.settings
    if settings.keyring_from_env is not None or settings.keyring_file.exists() or not database_exists(settings):
        return
    count = keyservice.live_data_keys(runtime.engine)
    if count:
        raise InvalidInput("the keyring is missing (%(keyring_file)s) but the database holds %(count)s data key(s) "
                           "wrapped by it: restore the keyring from its backup (a new keyring would open none of them)",
                           keyring_file=str(settings.keyring_file), count=count)


@keys.command("generate")
@click.option("--print", "to_stdout", is_flag=True,
              help="Print a new keyring instead of writing the file (for keyrings kept in MEDIATION_KEYRING).")
@clean_errors
def keys_generate(to_stdout: bool) -> None:
    """Create the keyring file (mode 0600) if there is none and the database holds no data key yet."""
    if to_stdout:
        click.echo(generate_keyring().to_json(), nl=False)
        return
    with cli_runtime(initialised=False) as runtime:
        settings = runtime.settings
        if settings.keyring_file.exists():
            raise click.ClickException(f"a keyring already exists at {settings.keyring_file}; use 'mediation keys "
                                       "rotate' to add a new key")
        refuse_new_keyring_over_data_keys(runtime)
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
@clean_errors
def keys_rotate() -> None:
    """Add a new active KEK for each organisation to the keyring file and rewrap every data key under its
    organisation's new one."""
    with cli_runtime() as runtime:
        _keyring_file_only(runtime)
        old = runtime.vault.keyring
        with runtime.transaction() as session:
            keyservice.check_all_open(session, runtime.vault)  # before touching the keyring file
        rotated, changes = old, []
        for organisation_id in sorted(old.by_organisation):
            new_id, new_key = new_kek()
            rotated = rotated.with_new_active(new_id, new_key, organisation_id)
            changes.append((organisation_id, old.of(organisation_id).active, new_id))
        write_keyring(runtime.settings.keyring_file, rotated)  # both keys are kept until the old one is retired
        runtime.vault.keyring = rotated
        count = _rewrap_everything(runtime)
        with runtime.transaction() as session:
            keyservice.record_rotation(session, runtime.vault, count)
    several = len(changes) > 1
    if several:
        for organisation_id, _, new_id in changes:
            click.echo(f"active KEK of organisation #{organisation_id} is now {new_id}")
        click.echo(f"{count} data key(s) rewrapped, no content re-encrypted")
    else:
        click.echo(f"active KEK is now {changes[0][2]}; {count} data key(s) rewrapped, no content re-encrypted")
    click.echo("running servers switch to it at their next request, without a restart")
    retired = " ".join(old_id for _, old_id, _ in changes)
    click.echo(f"back up {runtime.settings.keyring_file}, then retire the old key{'s' if several else ''}: "
               f"mediation keys retire {retired}")


@keys.command("rewrap")
@clean_errors
def keys_rewrap() -> None:
    """Rewrap every data key under the keyring's active KEK (after changing it by hand or in the environment)."""
    with cli_runtime() as runtime:
        count = _rewrap_everything(runtime)
        with runtime.transaction() as session:
            keyservice.record_rotation(session, runtime.vault, count)
    click.echo(f"{count} data key(s) rewrapped under {' '.join(sorted(runtime.vault.keyring.actives))}")


@keys.command("retire")
@click.argument("kek_ids", nargs=-1, required=True)
@clean_errors
def keys_retire(kek_ids: tuple[str, ...]) -> None:
    """Remove KEKs from the keyring file once no data key needs them (after a rotation, one per organisation)."""
    with cli_runtime() as runtime:
        _keyring_file_only(runtime)
        with runtime.transaction() as session:
            for kek_id in kek_ids:
                keyservice.check_retirable(session, runtime.vault, kek_id)
                keyservice.record_retirement(session, kek_id)
        remaining = runtime.vault.keyring
        for kek_id in kek_ids:
            remaining = remaining.without(kek_id)
        write_keyring(runtime.settings.keyring_file, remaining)
    for kek_id in kek_ids:
        click.echo(f"retired {kek_id}; it is no longer in {runtime.settings.keyring_file}")


@keys.command("check")
@clean_errors
def keys_check() -> None:
    """Open every live data key with the keyring (e.g. after restoring a PostgreSQL dump); exit 1 if any fails."""
    with cli_runtime() as runtime:
        failing = keyservice.unopenable_data_keys(runtime.engine, runtime.vault.keyring)
        total = keyservice.live_data_keys(runtime.engine)
    if failing:
        named = ", ".join(f"{count} under {kek}" for kek, count in sorted(failing.items()))
        raise click.ClickException(f"{sum(failing.values())} of {total} data key(s) do not open with this "
                                   f"keyring ({named})")
    click.echo(f"all {total} data key(s) open with this keyring")


@keys.command("status")
@clean_errors
def keys_status() -> None:
    """Show the KEKs, the active one, and how many data keys each wraps."""
    with cli_runtime() as runtime, runtime.transaction(read_only=True) as session:
        keyring = runtime.vault.keyring
        in_use = keyservice.keys_in_use(session)
    several = len(keyring.by_organisation) > 1
    for kek_id in sorted(set(keyring.keys) | set(in_use)):
        mark = "active" if kek_id in keyring.actives else ("MISSING from the keyring" if kek_id not in keyring.keys
                                                           else "")
        whose = f"  organisation #{keyring.organisation_of(kek_id)}" if several and kek_id in keyring.keys else ""
        click.echo(f"{kek_id:<24} {in_use.get(kek_id, 0):>8} data key(s)  {mark}{whose}".rstrip())


MAX_RETENTION_DAYS = 100 * 366  # beyond this, "closed that long ago" is before the calendar begins


@main.command()
@click.option("--retention-days", type=click.IntRange(min=1, max=MAX_RETENTION_DAYS),
              help="Override MEDIATION_RETENTION_DAYS for this run.")
@click.option("--dry-run", is_flag=True, help="List the cases that would be purged, change nothing.")
@clean_errors
def purge(retention_days: int | None, dry_run: bool) -> None:
    """Destroy the data keys of cases closed longer than the retention period; their content becomes
    unrecoverable, their anonymous statistics remain."""
    with cli_runtime() as runtime:
        days = retention_days or runtime.settings.retention_days
        if days > MAX_RETENTION_DAYS:
            raise click.ClickException(f"MEDIATION_RETENTION_DAYS is {days}; it can be at most {MAX_RETENTION_DAYS}")
        with runtime.transaction() as session:
            result = keyservice.purge_expired(session, runtime.vault, retention_days=days, dry_run=dry_run)
        flushed = None
        if not dry_run:
            for blob_id in result.blob_ids:
                runtime.blobs.discard(blob_id)
            flushed = checkpoint_wal(runtime.engine)  # the destroyed keys must not linger in SQLite's log
    verb = "would destroy" if dry_run else "destroyed"
    click.echo(f"{verb} the content keys of {len(result.cases)} case(s) closed more than {days} days ago"
               f" ({len(result.blob_ids)} file(s))")
    for reference in result.cases:
        click.echo(f"  {reference}")
    if result.referrals:
        click.echo(f"{verb} the shared values, notes and keys of {len(result.referrals)} referral(s) over more than "
                   f"{days} days ago")
        for reference in result.referrals:
            click.echo(f"  {reference}")
    if result.accounts_anonymised or result.accounts_kept:
        verb = "would anonymise" if dry_run else "anonymised"
        click.echo(f"{verb} {result.accounts_anonymised} participant account(s); {result.accounts_kept} still "
                   "taking part in another case only lose their link to these cases")
    if flushed is False:
        click.echo("SQLite's write-ahead log could not be emptied while another process reads the database: run "
                   "'mediation purge' again later (it then only empties the log)", err=True)
