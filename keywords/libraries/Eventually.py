"""Waiting for what the API does asynchronously, without a red attempt in the log.

`Wait Until Keyword Succeeds` records every failed attempt as a failed keyword: a passing
`Payment Status Should Become` showed red steps to anyone scanning log.html for failures. These
keywords read PostgreSQL through the suite's own DatabaseLibrary connection, call it as a
Python method (no keyword per attempt), and log one line: the value reached and how long it
took, or, on timeout, one failure naming the column, the row and the last value read. The
mail sink is read the same way, over its HTTP API.
"""

from __future__ import annotations

import time
from typing import Any

import requests
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

    @keyword("Mail Should Arrive")
    def mail_should_arrive(
        self,
        mail_api: str,
        address: str,
        subject: str,
        timeout: str = "30 s",
        interval: str = "0.3 s",
    ) -> dict[str, Any]:
        """Reads the mail sink at `mail_api` until `address` has a message whose subject contains
        `subject`; returns the newest such message, or fails after `timeout` naming what came."""
        deadline = time.monotonic() + timestr_to_secs(timeout)
        started, reads = time.monotonic(), 0
        params = {"to": address, "subject_contains": subject}
        while True:
            answer = requests.get(f"{mail_api}/messages", params=params, timeout=10)
            answer.raise_for_status()
            messages: list[dict[str, Any]] = answer.json()
            reads += 1
            if messages:
                elapsed = time.monotonic() - started
                logger.info(f'"{messages[-1]["subject"]}" for {address} after {elapsed:.1f} s')
                return messages[-1]
            if time.monotonic() >= deadline:
                every = requests.get(f"{mail_api}/messages", params={"to": address}, timeout=10)
                subjects = [m.get("subject") for m in every.json()] if every.ok else "unknown"
                raise AssertionError(
                    f'No message "{subject}" for {address} after {timeout} ({reads} reads); '
                    f"it has received: {subjects}"
                )
            time.sleep(timestr_to_secs(interval))
