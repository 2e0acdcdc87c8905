"""Alembic environment: the URL comes from the settings (or from the caller's config), never from a file."""

from __future__ import annotations

from alembic import context

import mediation.models  # noqa: F401  (registers every table on Base.metadata)
from config import load_settings
from mediation.db import Base, make_engine
from mediation.schema import schema_change

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())  # `alembic upgrade` from a shell: the same transaction as mediation.schema
    try:
        with schema_change(engine) as connection:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
