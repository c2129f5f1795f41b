"""Throwaway copies of the tree, where mutants are planted, and the run's one PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from sandbox.stack.postgres import EmbeddedPostgres
from sandbox.stack.scratch import scratch_dir

# Never copied: history, the environment, run output, databases and byte-code (a stale .pyc
# of the original could shadow a mutant).
IGNORED = (
    ".git",
    ".venv",
    "results",
    ".pgdata",
    "__pycache__",
    ".ruff_cache",
    ".mypy_cache",
    ".pytest_cache",
    "*.pyc",
    ".hypothesis",
)


def copy_tree(root: Path, target: Path) -> Path:
    """Copies the project at `root` to `target` (which must not exist) and returns it."""
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
    return target


@contextmanager
def workspaces(root: Path, count: int) -> Iterator[list[Path]]:
    """`count` copies of the project in a new temporary directory, removed afterwards
    whatever happens: an interrupted run leaves no mutant anywhere but there."""
    base = Path(tempfile.mkdtemp(prefix="mutation-"))
    try:
        yield [copy_tree(root, base / f"tree-{i}") for i in range(count)]
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def shared_database(database_url: str | None) -> Iterator[str]:
    """The DATABASE_URL every mutant's stack uses: the one given, or an embedded PostgreSQL
    in its own temporary data folder, stopped and removed when the run ends."""
    if database_url:
        yield database_url
        return
    data = Path(tempfile.mkdtemp(prefix="mutation-pg-", dir=scratch_dir()))
    data.chmod(0o755)  # as root, the server runs as the pgserver user
    server = EmbeddedPostgres(data / "data")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


# Mutants of these write the schema's bookkeeping (schema_migrations): each gets a database of
# its own on the shared server, so a wrong row cannot break the trials after it.
OWN_DATABASE = frozenset({"api_server/db/migrate.py", "api_server/db/queries.py"})


@contextmanager
def private_database(database_url: str) -> Iterator[str]:
    """A new, empty database on the server of `database_url`, dropped afterwards."""
    name = f"mutant_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    _admin_sql(admin, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        _admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(admin_url: str, statement: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()
