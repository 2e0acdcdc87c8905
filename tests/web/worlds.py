"""The web world on PostgreSQL too: built once per session in a database of its own, then copied per test
(``CREATE DATABASE ... TEMPLATE``) with a copy of its instance folder, like the SQLite world of ``conftest``.

Import the fixtures into a test module (``from tests.web.worlds import postgres_web_world_fixture,
site_fixture``) to use them as ``site``: each test gets a runtime and its world on SQLite and, when
MEDIATION_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from config import load_settings
from mediation.keyfiles import ensure_instance
from mediation.runtime import Runtime, open_runtime
from tests.conftest import BACKENDS
from tests.web.conftest import World, build_world


def _settings_env(folder: Path, url: str) -> dict[str, str]:
    return {"MEDIATION_DATABASE_URL": url, "MEDIATION_INSTANCE_DIR": str(folder / "instance"),
            "MEDIATION_ENV": "test", "MEDIATION_SQLITE_SYNCHRONOUS": "NORMAL"}


@pytest.fixture(scope="session", name="postgres_web_world")
def postgres_web_world_fixture(postgres_templates: Any, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[tuple[Path, World, str]]:
    """A folder with the instance keys and blobs, the world, and the name of the database it was built in."""
    folder = tmp_path_factory.mktemp("web-world-postgres")
    name, url = postgres_templates.fresh()
    settings = load_settings(_settings_env(folder, url), cwd=folder)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    try:
        world = build_world(runtime)
    finally:
        runtime.close()
    yield folder, world, name
    postgres_templates.drop(name)


@dataclass
class Site:
    """One test's copy of the world: its runtime (and settings), the world's ids, which database it runs on."""

    runtime: Runtime
    world: World
    backend: str


def _postgres_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    templates = request.getfixturevalue("postgres_templates")
    folder, world, source = request.getfixturevalue("postgres_web_world")
    name = f"mediation_web_{uuid.uuid4().hex[:12]}"
    with templates.admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    target = tmp_path / "site"
    shutil.copytree(folder, target)
    runtime = open_runtime(load_settings(_settings_env(target, templates._url(name)), cwd=target))
    try:
        yield Site(runtime, world, "postgresql")
    finally:
        runtime.close()
        templates.drop(name)


@pytest.fixture(params=BACKENDS, name="site")
def site_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """A copy of the web world of its own, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield Site(request.getfixturevalue("web_runtime"), request.getfixturevalue("world"), "sqlite")
        return
    yield from _postgres_site(request, tmp_path)
