"""The status check of every HTTP keyword: no server error passes unless the test asked for it.

`expected_status` is one status (`201`, `"404"`), several (`"502 or 504"`, `"502, 504"`, or a
list), or `any`, which takes every status but a 5xx. A 5xx the test expected is recorded,
with its `X-Request-ID`, in `API_EXPECTED_5XX_DIR` (else `${OUTPUT DIR}/expected-5xx`), so
that after the run `tooling/report/server_errors.py` can tell it from the 5xx nobody asked
for in the API's access log.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from tooling.report.server_errors import EXPECTED_DIR_ENV, EXPECTED_DIR_NAME, record_expected

ANY = ("any", "anything")


def expected_statuses(expected: Any) -> set[int] | None:
    """The statuses `expected` allows; None for `any` (every status but a 5xx)."""
    if expected is None or (isinstance(expected, str) and expected.strip().lower() in ANY):
        return None
    if isinstance(expected, int):
        return {expected}
    if isinstance(expected, list | tuple | set):
        statuses: set[int] = set()
        for item in expected:
            allowed = expected_statuses(item)
            if allowed is None:
                raise ValueError(f"`any` cannot be one of several expected statuses: {expected}")
            statuses |= allowed
        return statuses
    statuses = set()
    for part in re.split(r"\s*(?:,|\bor\b|\|)\s*", str(expected).strip()):
        if part.isdigit():
            statuses.add(int(part))
        elif part:
            code = requests.codes.get(part.lower().replace(" ", "_"))
            if code is None:
                raise ValueError(f"not a status: {part!r} (in expected_status={expected!r})")
            statuses.add(int(code))
    return statuses


def status_problem(status: int, allowed: set[int] | None) -> str | None:
    """Why `status` fails `allowed`, or None when it passes."""
    if allowed is None:
        if 500 <= status <= 599:
            return "a server error the test did not expect"
        return None
    if status in allowed:
        return None
    return f"expected {' or '.join(str(s) for s in sorted(allowed))}"


@library(scope="GLOBAL", auto_keywords=False)
class ExpectedStatus:
    """`Status Should Be As Expected`, the check behind `Call Api` and its siblings."""

    @keyword
    def status_should_be_as_expected(
        self, response: requests.Response, expected_status: Any = "any"
    ) -> None:
        """Fails unless `response` has a status `expected_status` allows; `any` allows all but 5xx.

        A 5xx that was expected is recorded with its request id for the run's server-error check.
        """
        allowed = expected_statuses(expected_status)
        status = response.status_code
        request_id = response.headers.get("X-Request-ID", "-")
        problem = status_problem(status, allowed)
        if problem is None:
            if 500 <= status <= 599:
                self._record(response, request_id)
            return
        message = f"Url: {response.url} Expected status: {status} != {expected_status}"
        if 500 <= status <= 599:
            code = _problem_code(response)
            message = (
                f"Url: {response.url} answered {status}{f' {code}' if code else ''}, {problem} "
                f"(request id {request_id}; its traceback is in api_server.log). A test that "
                f"provokes it says so: expected_status={status}."
            )
        raise AssertionError(message)

    def _record(self, response: requests.Response, request_id: str) -> None:
        output_dir = _variable("${OUTPUT DIR}") or "."
        directory = os.environ.get(EXPECTED_DIR_ENV) or str(Path(output_dir) / EXPECTED_DIR_NAME)
        method = response.request.method if response.request is not None else "?"
        record = {
            "request_id": request_id,
            "status": response.status_code,
            "method": method,
            "path": urlsplit(response.url).path,
            "test": _variable("${TEST NAME}") or _variable("${SUITE NAME}") or "",
        }
        record_expected(Path(directory), record)
        logger.info(f"Expected {response.status_code} recorded (request id {request_id})")


def _variable(name: str) -> Any:
    """A Robot variable's value; None outside a Robot run or when it is not set."""
    try:
        return BuiltIn().get_variable_value(name)
    except RobotNotRunningError:
        return None


def _problem_code(response: requests.Response) -> str:
    """The problem's `code`, when the body is problem+json with one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""
