"""Throwaway copies of the tree, where mutants are planted, and the run's one PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.postgres import EmbeddedPostgres

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
    data = Path(tempfile.mkdtemp(prefix="mutation-pg-"))
    data.chmod(0o755)  # as root, the server runs as the pgserver user
    server = EmbeddedPostgres(data / "data")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
