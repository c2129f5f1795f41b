"""python -m api_server.db migrate: applies pending migrations to DATABASE_URL."""

from __future__ import annotations

import argparse
import os
import sys

from api_server.db.migrate import MigrationError, migrate


def main(argv: list[str] | None = None) -> int:
    """Runs the migrate command and reports what it applied."""
    parser = argparse.ArgumentParser(prog="python -m api_server.db")
    parser.add_argument("command", choices=["migrate"])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("DATABASE_URL is not set (or pass --database-url)")
    try:
        applied = migrate(args.database_url)
    except MigrationError as exc:
        print(f"migration failed: {exc}", file=sys.stderr)
        return 1
    print(f"applied {len(applied)} migration(s): {applied}" if applied else "schema up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
