"""Shared fixtures: a freshly migrated database per test, on SQLite always and on PostgreSQL when
MEDIATION_TEST_POSTGRES_URL names a server (then a failure to reach it fails the run, loudly)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import load_settings
from mediation.db import make_engine
from mediation.demo import build_case, path_to
from mediation.keyfiles import ensure_instance
from mediation.models import Origin, User
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import users
from workflows.vocabulary import CaseState, Modality

POSTGRES_URL = os.environ.get("MEDIATION_TEST_POSTGRES_URL")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not POSTGRES_URL, reason="set MEDIATION_TEST_POSTGRES_URL to test on PostgreSQL"),
    ]),
]


class _SqliteTemplates:
    def __init__(self, folder: Path) -> None:
        self.template = folder / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        migrate(engine)
        engine.dispose()  # checkpoints the WAL into the file, so a plain copy is complete

    def fresh(self, folder: Path) -> str:
        target = folder / "mediation.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"


class _PostgresTemplates:
    def __init__(self, url: str) -> None:
        self.admin_url = make_url(url)
        self.template = f"mediation_tpl_{os.getpid()}"
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.template}"'))
            connection.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(self._url(self.template))
        migrate(engine)
        engine.dispose()

    def _url(self, database: str) -> str:
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def fresh(self) -> tuple[str, str]:
        name = f"mediation_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return name, self._url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> _SqliteTemplates:
    return _SqliteTemplates(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[_PostgresTemplates]:
    assert POSTGRES_URL, "MEDIATION_TEST_POSTGRES_URL is not set"
    templates = _PostgresTemplates(POSTGRES_URL)
    yield templates
    templates.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, fully migrated database of its own for this test."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_templates").fresh(tmp_path)
        return
    templates: _PostgresTemplates = request.getfixturevalue("postgres_templates")
    name, url = templates.fresh()
    yield url
    templates.drop(name)


@pytest.fixture
def environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment variables pointing the application at this test's database and instance folder."""
    return {"MEDIATION_DATABASE_URL": database_url, "MEDIATION_INSTANCE_DIR": str(tmp_path / "instance"),
            "MEDIATION_ENV": "test"}


@pytest.fixture
def runtime(environment: dict[str, str], tmp_path: Path) -> Iterator[Runtime]:
    settings = load_settings(environment, cwd=tmp_path)
    ensure_instance(settings)
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


@dataclass
class Actors:
    admin: User
    mediator: User
    other_mediator: User
    staff: User
    other_staff: User
    harmed_user: User
    offender_user: User
    stranger: User  # a participant account on no case of these tests


@pytest.fixture
def actors(runtime: Runtime) -> Actors:
    def make(username: str, role: str) -> User:
        # No password: Argon2 is slow by design, and these tests act through the services directly.
        with runtime.transaction() as session:
            return users.create_user(session, None, username=username, display_name=username.title(), role=role,
                                     password=None)

    return Actors(
        admin=make("coordinator", "admin"), mediator=make("mediator.one", "mediator"),
        other_mediator=make("mediator.two", "mediator"), staff=make("officer.one", "staff"),
        other_staff=make("officer.two", "staff"), harmed_user=make("harmed.person", "participant"),
        offender_user=make("offender.person", "participant"), stranger=make("stranger", "participant"),
    )


@pytest.fixture
def make_case(runtime: Runtime, actors: Actors):
    """Build a case in a given state through the services; the case's mediator is ``actors.mediator``."""

    def make(state: CaseState = CaseState.REQUESTED, modality: Modality = Modality.WRITTEN,
             origin: Origin = Origin.HARMED_PARTY_REQUEST, steps: list | None = None) -> str:
        path = steps if steps is not None else path_to(state, modality)
        return build_case(runtime, actors.admin, actors.mediator, actors.staff, steps=path, origin=origin)

    return make
