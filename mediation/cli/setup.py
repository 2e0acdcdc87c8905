"""Setting up an installation: schema and keys, demo data, accounts (and their two-factor sign-in)."""

from __future__ import annotations

import click

from mediation.cli.base import clean_errors, cli_runtime, main
from mediation.cli.keys import refuse_new_keyring_over_data_keys
from mediation.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from mediation.errors import NotFound
from mediation.keyfiles import ensure_instance
from mediation.models import FIRST_ORGANISATION, Organisation
from mediation.passwords import new_password
from mediation.runtime import Runtime
from mediation.schema import migrate
from mediation.services import organisations, two_factor, users


def _initialise(runtime: Runtime) -> None:
    refuse_new_keyring_over_data_keys(runtime)  # before anything is created
    for path in ensure_instance(runtime.settings):
        click.echo(f"created {path} (mode 0600; keep it out of backups of the database)")
    migrate(runtime.engine)


@main.command()
@clean_errors
def init() -> None:
    """Create the instance folder, key files and database schema, or migrate an existing database."""
    with cli_runtime(initialised=False) as runtime:
        _initialise(runtime)
        click.echo(f"database ready: {runtime.engine.url.render_as_string(hide_password=True)}")


@main.command()
@clean_errors
def demo() -> None:
    """Load demo accounts for every role and a case in every state (development databases only)."""
    with cli_runtime(initialised=False) as runtime:
        if runtime.settings.is_production:
            raise click.ClickException("demo data cannot be loaded when MEDIATION_ENV=production")
        _initialise(runtime)
        if not load_demo(runtime):
            click.echo("demo data is already loaded")
        click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            whose = f"  ({account.organisation})" if account.organisation else ""
            click.echo(f"  {account.username:<14} {account.role.value:<12} {account.display_name}{whose}")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice(["admin", "mediator", "staff", "participant"]), required=True)
@click.option("--organisation", "organisation_slug", default=None, metavar="SLUG",
              help="The organisation the account belongs to (default: the first organisation).")
@click.password_option(help="Asked for interactively when not given.")
@clean_errors
def create_user(username: str, display_name: str, role: str, organisation_slug: str | None, password: str) -> None:
    """Create an account with its password, e.g. the first coordinator of a new installation or of a new
    organisation (``--organisation``); it sees only its organisation's cases and accounts.

    The operator at the server may set a password; in the web UI every person sets their own."""
    with cli_runtime() as runtime:
        chosen = new_password(password, username=users.normalise_username(username), display_name=display_name)
        with runtime.transaction() as session:
            organisation = (organisations.by_slug(session, organisation_slug) if organisation_slug is not None
                            else session.get(Organisation, FIRST_ORGANISATION))
            if organisation is None:
                raise NotFound("There is no organisation %(slug)s.", slug="main")
            user = users.create_user(session, None, username=username, display_name=display_name, role=role,
                                     password=chosen, organisation_id=organisation.id)
            slug = organisation.slug
        click.echo(f"created {user.role} account {user.username} (organisation {slug})")


@main.command("reset-two-factor")
@click.argument("username")
@clean_errors
def reset_two_factor(username: str) -> None:
    """Remove an account's two-factor sign-in (a lost phone, and no other coordinator to reset it)."""
    with cli_runtime() as runtime, runtime.transaction() as session:
        user = two_factor.reset_by_username(session, username)
        click.echo(f"two-factor sign-in of {user.username} was reset; they set it up again at their next sign-in")
