"""Reads the state transitions the run caused from the API's database, for the coverage report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg2
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

ENV_DIR = "API_COVERAGE_DIR"
LISTING_MOVES = """
SELECT DISTINCT action, changes -> 'status' ->> 'old', changes -> 'status' ->> 'new'
FROM listing_history
WHERE action IN ('create', 'approve', 'reject', 'suspend', 'reinstate', 'archive')
"""
ERASED = """
SELECT count(*) FROM audit_log
WHERE action = 'listing.delete' AND details ->> 'archived' = 'false'
"""
PAYMENT_MOVES = "SELECT DISTINCT from_status, to_status FROM payment_transitions"


@library(scope="GLOBAL", auto_keywords=False)
class StateCoverage:
    """Writes `transitions-<pid>.json` next to the request records of ApiCoverage."""

    @keyword
    def record_state_coverage(self) -> None:
        """In the top suite, while the database is up: the listing and payment moves seen."""
        builtin = BuiltIn()
        directory = os.environ.get(ENV_DIR)
        url = builtin.get_variable_value("${DATABASE_URL}")
        if not directory or not url or "." in builtin.get_variable_value("${SUITE NAME}", ""):
            return
        with psycopg2.connect(url) as connection, connection.cursor() as cur:
            cur.execute(LISTING_MOVES)
            listings = [list(row) for row in cur.fetchall()]
            cur.execute(ERASED)
            erased = cur.fetchone()[0]
            cur.execute(PAYMENT_MOVES)
            payments = [list(row) for row in cur.fetchall()]
        connection.close()
        seen = {"listings": listings, "listings_erased": erased, "payments": payments}
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"transitions-{os.getpid()}.json").write_text(json.dumps(seen, indent=1))
        logger.info(f"State coverage: {len(listings)} listing and {len(payments)} payment moves")
