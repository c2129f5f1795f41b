"""Shared fixtures: one embedded PostgreSQL per test session, a fresh database per test."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from api_server.app import MarketplaceApp
from api_server.config import Config
from api_server.db.migrate import migrate
from sandbox.stack.postgres import EmbeddedPostgres
from sandbox.stack.scratch import scratch_dir
from tests.factories import app_config, make_app
from tooling.report import instruments

RESULTS = Path(__file__).resolve().parents[1] / "results"


def pytest_configure(config: pytest.Config) -> None:
    # The controller (or a run without xdist) starts the run's figures afresh; workers add.
    if not hasattr(config, "workerinput"):
        instruments.forget(RESULTS)


@pytest.fixture
def instrument() -> Callable[[str, int], None]:
    """Records a figure for summary.html (tooling/report/instruments.py): label, count."""
    return lambda label, count: instruments.record(RESULTS, label, count)


@pytest.fixture(scope="session")
def postgres() -> Iterator[EmbeddedPostgres]:
    """A real PostgreSQL for the whole session (per xdist worker), stopped at the end.

    Its folder is not under pytest's temporary root: each xdist worker resets that root to
    mode 0700 when it starts, which would lock out the `pgserver` user PostgreSQL runs as.
    """
    with tempfile.TemporaryDirectory(prefix="mm-pytest-pg-", dir=scratch_dir()) as folder:
        server = EmbeddedPostgres(Path(folder) / "data")
        server.admin_dsn = server.start().replace("/mining_marketplace?", "/postgres?")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def pg_folder() -> Iterator[Path]:
    """A folder for a PostgreSQL data directory, outside pytest's 0700 temporary root."""
    with tempfile.TemporaryDirectory(prefix="mm-pytest-pg-", dir=scratch_dir()) as folder:
        yield Path(folder)


def _create_database(admin_dsn: str, template: str | None = None) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        copy = f' TEMPLATE "{template}"' if template else ""
        cur.execute(f'CREATE DATABASE "{name}"{copy}')
    conn.close()
    return admin_dsn.replace("/postgres?", f"/{name}?")


@pytest.fixture(scope="session")
def migrated_template(postgres: EmbeddedPostgres) -> str:
    """The name of a database migrated once; each test's database is a copy of it.

    Copying is a fraction of the cost of running every migration per test, and
    tests/api_server/db/test_migrations.py still runs them on empty databases.
    """
    dsn = _create_database(postgres.admin_dsn)
    migrate(dsn)
    return dsn.split("?")[0].rsplit("/", 1)[1]


def migrated_database(postgres: EmbeddedPostgres) -> str:
    """A new database with every migration applied, for fixtures of a wider scope."""
    dsn = _create_database(postgres.admin_dsn)
    migrate(dsn)
    return dsn


@pytest.fixture
def empty_dsn(postgres: EmbeddedPostgres) -> str:
    """A new, empty database."""
    return _create_database(postgres.admin_dsn)


@pytest.fixture
def dsn(postgres: EmbeddedPostgres, migrated_template: str) -> str:
    """A new database with every migration applied (a copy of the migrated template)."""
    return _create_database(postgres.admin_dsn, migrated_template)


@pytest.fixture
def config(dsn: str) -> Config:
    """Config for an app on the migrated test database."""
    return app_config(dsn, max_body_bytes=2048)


@pytest.fixture
def app(config: Config) -> Iterator[MarketplaceApp]:
    """The real app on the test database; its pool is closed afterwards."""
    application = make_app(config)
    yield application
    application.services.close()
