"""Adding an organisation together with its own keyring: the one way the command line, the demo and the tests do
it, so an organisation never exists without keys of its own."""

from __future__ import annotations

from mediation.crypto.keyring import Keyrings
from mediation.keyfiles import add_organisation_keyring
from mediation.runtime import Runtime
from mediation.services.organisations import add_organisation


def add_organisation_with_keys(runtime: Runtime, slug: object, name: object) -> tuple[int, Keyrings]:
    """Add the organisation and write its keyring before the row commits; returns its id and the keyrings (to
    show the operator when they come from the environment)."""
    with runtime.transaction() as session:
        organisation = add_organisation(session, slug, name)
        return organisation.id, add_organisation_keyring(runtime.settings, runtime.vault, organisation.id)
