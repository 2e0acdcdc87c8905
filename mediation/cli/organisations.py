"""Organisations: the operator adds them, each with its own key-encryption key, and lists them."""

from __future__ import annotations

import click

from mediation.cli.base import clean_errors, cli_runtime, main
from mediation.organisation_keys import add_organisation_with_keys
from mediation.services import organisations as organisation_service


@main.group()
def organisations() -> None:
    """Organisations hosted by this deployment: add, list."""


@organisations.command("add")
@click.argument("slug")
@click.argument("name")
@clean_errors
def organisations_add(slug: str, name: str) -> None:
    """Add an organisation and give it its own KEK in the keyring, in one step (the keyring is written before
    the organisation's row commits: an organisation never exists without keys)."""
    with cli_runtime() as runtime:
        from_env = runtime.settings.keyring_from_env is not None
        added, keyrings = add_organisation_with_keys(runtime, slug, name)
        active = keyrings.of(added).active
    click.echo(f"added organisation #{added} {slug!r} with its own KEK {active}")
    if from_env:
        click.echo("the keyring comes from MEDIATION_KEYRING: replace it with this one (it holds the new "
                   "organisation's keys) before the organisation seals anything:", err=True)
        click.echo(keyrings.to_json(), nl=False)
    else:
        click.echo(f"back up {runtime.settings.keyring_file} now: it holds the new organisation's keys")


@organisations.command("list")
@clean_errors
def organisations_list() -> None:
    """Every organisation, its handle, name, accounts and active KEK."""
    with cli_runtime() as runtime, runtime.transaction(read_only=True) as session:
        rows = [(o.id, o.slug, o.name, count) for o, count in organisation_service.all_organisations(session)]
        keyrings = runtime.vault.keyring
    for organisation_id, slug, name, count in rows:
        known = keyrings.by_organisation.get(organisation_id)
        kek = known.active if known is not None else "NO KEYS in the keyring"
        click.echo(f"#{organisation_id:<4} {slug:<24} {count:>6} account(s)  {kek}  {name}")
