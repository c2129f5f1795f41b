"""python -m tooling.report.deployment_check: deployment-safe tests write nothing
(make deployment-check).

Runs under `python -m sandbox run --` (API_URL and DATABASE_URL set). Puts a few public
listings in place first, so the read tests have something to read; then counts the rows of
every table, runs `robot --include deployment-safe robot` against that stack, counts again,
and fails when the tests failed or any table's count changed. Robot's output goes to
results/deployment/; the counts to results/deployment/row_counts.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql

from tooling.seeding.accounts import create_accounts, create_listings

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "deployment"
TABLES = """
    SELECT table_schema, table_name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
    ORDER BY 1, 2
"""


def row_counts(dsn: str) -> dict[str, int]:
    """Every table's exact row count, by schema.table."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(TABLES)
            counts = {}
            for schema, table in cur.fetchall():
                cur.execute(
                    sql.SQL("SELECT count(*) FROM {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(table)
                    )
                )
                counts[f"{schema}.{table}"] = cur.fetchone()[0]
            return counts
    finally:
        conn.close()


def main() -> int:
    """Seed, count, run the tagged tests, count again; non-zero on a failure or a change."""
    dsn = os.environ.get("DATABASE_URL", "")
    if not os.environ.get("API_URL") or not dsn:
        print("needs API_URL and DATABASE_URL (make deployment-check sets both)", file=sys.stderr)
        return 2
    (seller,) = create_accounts(dsn, "seller", 1, f"deploy-{uuid.uuid4().hex[:8]}")
    create_listings(dsn, seller.id, 3, quantity=10)
    before = row_counts(dsn)
    robot = [
        str(Path(sys.executable).with_name("robot")),
        "--outputdir", str(OUT), "--xunit", "xunit.xml",
        "--listener", "keywords/listeners/SecretMasker.py", "--pythonpath", ".",
        "--include", "deployment-safe",
        *os.environ.get("ROBOT_OPTS", "").split(),
        "robot",
    ]  # fmt: skip
    tests = subprocess.call(robot, cwd=ROOT)
    after = row_counts(dsn)
    changed = {t: (before.get(t, 0), after.get(t, 0)) for t in before | after}
    changed = {t: c for t, c in changed.items() if c[0] != c[1]}
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"before": before, "after": after, "changed": changed, "robot_exit_code": tests}
    (OUT / "row_counts.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"rows in {len(before)} tables before the deployment-safe tests: {sum(before.values())}")
    print(f"rows in {len(after)} tables after them:                       {sum(after.values())}")
    for table, (was, now) in sorted(changed.items()):
        print(f"  CHANGED {table}: {was} -> {now}")
    if changed:
        print("deployment-check: the deployment-safe tests wrote to the database")
        return 1
    print("deployment-check: nothing written" + ("" if tests == 0 else "; but tests failed"))
    return tests


if __name__ == "__main__":
    sys.exit(main())
