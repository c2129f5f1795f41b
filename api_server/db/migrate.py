"""Applies migrations/NNNN_name.sql in order, each once, under an advisory lock."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from api_server.db import queries

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """A digest of the file, so an edited applied migration is noticed."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """The migration files or the recorded history are inconsistent."""


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Reads the migration files in version order; rejects malformed names and gaps."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name not NNNN_name.sql: {path.name}")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(f"migration {expected:04d} missing before {migration.version:04d}")
    return migrations


def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Applies pending migrations in one transaction each; returns the versions applied."""
    migrations = load_migrations(directory)
    applied_now: list[int] = []
    conn = psycopg2.connect(dsn)
    try:
        for migration in migrations:
            with conn, conn.cursor() as cur:
                # The lock is per transaction, so two workers or launchers serialise here.
                cur.execute(queries.LOCK, (queries.ADVISORY_LOCK_KEY,))
                cur.execute(queries.CREATE_MIGRATIONS_TABLE)
                cur.execute(queries.APPLIED)
                applied = {row[0]: row[2] for row in cur.fetchall()}
                if migration.version in applied:
                    if applied[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:04d} changed after it was applied"
                        )
                    continue
                cur.execute(migration.sql)
                cur.execute(queries.RECORD, (migration.version, migration.name, migration.checksum))
                applied_now.append(migration.version)
    finally:
        conn.close()
    return applied_now


def pending_versions(
    cur: psycopg2.extensions.cursor, directory: Path = MIGRATIONS_DIR
) -> list[int]:
    """Versions on disk that the database has not recorded (for readiness)."""
    expected = {m.version for m in load_migrations(directory)}
    cur.execute(queries.TABLE_EXISTS)
    row = cur.fetchone()
    present = row["present"] if isinstance(row, dict) else row[0]
    if not present:
        return sorted(expected)
    cur.execute(queries.APPLIED)
    recorded = {(r["version"] if isinstance(r, dict) else r[0]) for r in cur.fetchall()}
    return sorted(expected - recorded)
