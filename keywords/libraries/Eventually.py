"""Waiting for what the API does asynchronously, without a red attempt in the log.

`Wait Until Keyword Succeeds` records every failed attempt as a failed keyword: a passing
`Payment Status Should Become` showed red steps to anyone scanning log.html for failures. These
keywords read PostgreSQL through the suite's own DatabaseLibrary connection, call it as a
Python method (no keyword per attempt), and log one line: the value reached and how long it
took, or, on timeout, one failure naming the column, the row and the last value read.
"""

from __future__ import annotations

import time
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn
from robot.utils import timestr_to_secs


@library(scope="GLOBAL", auto_keywords=False)
class Eventually:
    """Polls one SQL value until it is what a test expects."""

    def _read(self, sql: str, parameters: tuple[Any, ...]) -> Any:
        database = BuiltIn().get_library_instance("DatabaseLibrary")
        # The query's own result logging would add one message per attempt.
        level = BuiltIn().set_log_level("WARN")
        try:
            rows = database.query(sql, parameters=parameters)
        finally:
            BuiltIn().set_log_level(level)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise AssertionError(f"{sql} should return one value, returned {rows}")
        return rows[0][0]

    @keyword("Value Should Become")
    def value_should_become(
        self,
        expected: Any,
        sql: str,
        *parameters: Any,
        what: str = "the value",
        timeout: str = "20 s",
        interval: str = "0.2 s",
    ) -> None:
        """Reads the one value `sql` selects until it equals `expected` (compared as text); fails
        after `timeout` naming `what` and the last value read."""
        deadline = time.monotonic() + timestr_to_secs(timeout)
        started, reads = time.monotonic(), 0
        while True:
            value = self._read(sql, tuple(parameters))
            reads += 1
            if str(value) == str(expected):
                elapsed = time.monotonic() - started
                logger.info(f"{what} is {value} (after {elapsed:.1f} s, {reads} reads)")
                return
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{what}: {value} != {expected} after {timeout} ({reads} reads)"
                )
            time.sleep(timestr_to_secs(interval))
