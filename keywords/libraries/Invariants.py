"""The marketplace invariants as Robot keywords, for suite teardowns: the rules and their
check are invariant_rules.py's; the books against the gateways are gateway_books.py's.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg2
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from keywords.libraries import gateway_books
from keywords.libraries.invariant_rules import TABLES, Report, Rule, Violation, check

__all__ = ["TABLES", "Invariants", "Report", "Rule", "Violation", "check"]


@library(scope="GLOBAL", auto_keywords=False)
class Invariants:
    """The marketplace invariant checker, for suite teardowns."""

    def __init__(self) -> None:
        self._checks = 0
        self._gateway_checks = 0
        self._since: Any = None

    @keyword
    def marketplace_invariants_should_hold(self, database_url: str | None = None) -> None:
        """Fails listing every row that breaks a marketplace invariant (the module's rules).

        Reads `database_url`, else `${DATABASE_URL}`; without either (a deployment checked
        over HTTP only) it checks nothing and says so.
        """
        url = database_url or BuiltIn().get_variable_value("${DATABASE_URL}")
        if not url:
            logger.info("No DATABASE_URL: marketplace invariants not checked.")
            self._checks = 0
            return
        report = check(url)
        self._checks = report.checks
        logger.info(f"Marketplace invariants: {report.summary()}")
        if report.violations:
            raise AssertionError(report.failure())

    @keyword
    def invariant_checks_run(self) -> int:
        """The number of (row, rule) checks the last `Marketplace Invariants Should Hold` made."""
        return self._checks

    @keyword
    def note_when_the_run_started(self) -> None:
        """Remembers the database's time: the books are judged against the gateways from then.

        Under pabot every process starts the top suite; `RUN_STARTED_AT` (set by the Makefile
        when it makes the run's fresh database) gives them all the run's start, so the last
        process, which runs when every other has ended, judges the whole run's payments.
        """
        started = os.environ.get("RUN_STARTED_AT")
        if started:
            self._since = started
            return
        url = BuiltIn().get_variable_value("${DATABASE_URL}") or os.environ.get("DATABASE_URL")
        if not url:
            return
        connection = psycopg2.connect(url)
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT now()")
                self._since = cur.fetchone()[0]
        finally:
            connection.close()

    @keyword
    def books_should_equal_the_gateways(self, *payment_ids: str) -> None:
        """Fails listing every payment (of this run, or those named) whose gateway holds other
        than the books say.

        The rules are gateway_books.py's; without the gateways' settings (a deployment
        checked over HTTP only) it checks nothing and says so.
        """
        names = ("DATABASE_URL", "STRIPE_API_BASE", "STRIPE_SECRET_KEY")
        names += ("FLUTTERWAVE_API_BASE", "FLUTTERWAVE_SECRET_KEY")
        found = {
            n: BuiltIn().get_variable_value("${" + n + "}") or os.environ.get(n) for n in names
        }
        if not all(found.values()):
            missing = ", ".join(n for n, v in found.items() if not v)
            logger.info(f"Books not checked against the gateways: {missing} not set.")
            self._gateway_checks = 0
            return
        dsn, *where = (str(found[n]) for n in names)
        where_ = gateway_books.Gateways(*where)
        ids = list(payment_ids) or None
        judged, wrong = gateway_books.check(dsn, where_, since=self._since, ids=ids)
        self._gateway_checks = judged
        logger.info(f"Books against the gateways: {judged} settled payments, {len(wrong)} wrong.")
        if wrong:
            lines = [f"  payment {pid}: {why}" for pid, why in sorted(wrong.items())]
            raise AssertionError(
                f"{len(wrong)} payment(s) whose gateway disagrees with the books:\n"
                + "\n".join(lines)
            )

    @keyword
    def gateway_checks_run(self) -> int:
        """The number of payments the last `Books Should Equal The Gateways` compared."""
        return self._gateway_checks
