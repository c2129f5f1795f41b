"""A listener (API v3) that records every request the suite sends to the API.

It wraps `requests.Session.send`, so RequestsLibrary sessions, `requests.request` in
`Concurrency.py` and any other library in the Robot process are all seen. Each record holds
the OpenAPI operation, status, response time and the test that sent it. At the end of the
run the records go to `<dir>/requests-<pid>.json` (one file per process, so pabot's
processes never write the same file), and the OpenAPI document to `<dir>/openapi.json`.
`<dir>` is `API_COVERAGE_DIR`, else `${OUTPUT DIR}/coverage`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn

from keywords.libraries.ApiContract import match_operation
from robot import result, running
from tooling.report.timings import over_budget, percentiles_by_operation, read_budgets

ENV_DIR = "API_COVERAGE_DIR"
ROOT = Path(__file__).resolve().parents[2]
BUDGETS = ROOT / "resources" / "budgets.yaml"


class ApiCoverage:
    """Records (operation, status, milliseconds, test) for each API request of the run."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, directory: str = "") -> None:
        self._directory = directory or os.environ.get(ENV_DIR, "")
        self._records: list[dict[str, Any]] = []
        self._documents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._fetching = threading.local()
        self._test = ""
        self._original = requests.Session.send
        listener = self

        def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            response = listener._original(session, request, **kwargs)
            listener._record(request, response, time.perf_counter() - started)
            return response

        requests.Session.send = send  # type: ignore[method-assign]

    def start_suite(self, data: running.TestSuite, result: result.TestSuite) -> None:
        """Requests made in a suite setup are credited to the suite."""
        if not self._directory:
            out = BuiltIn().get_variable_value("${OUTPUT DIR}")
            self._directory = str(Path(out) / "coverage")
            os.environ[ENV_DIR] = self._directory  # read by Record State Coverage
        self._test = f"{result.full_name} (suite setup)"

    def start_test(self, data: running.TestCase, result: result.TestCase) -> None:
        """Credits the following requests to this test."""
        self._test = result.full_name

    def end_test(self, data: running.TestCase, result: result.TestCase) -> None:
        """Requests in a suite teardown are credited to the suite."""
        self._test = f"{result.parent.full_name} (suite teardown)" if result.parent else ""

    def end_suite(self, data: running.TestSuite, result: result.TestSuite) -> None:
        """At the end of the top suite: writes the records and warns of operations over budget."""
        if result.parent is None:
            self._write()
            self._warn_over_budget()

    def close(self) -> None:
        """Puts `requests` back as it was."""
        requests.Session.send = self._original  # type: ignore[method-assign]

    def _record(self, request: Any, response: requests.Response, seconds: float) -> None:
        url = urlsplit(request.url or "")
        if not url.path.startswith("/api/") or getattr(self._fetching, "active", False):
            return
        origin = f"{url.scheme}://{url.netloc}"
        paths = self._document(origin).get("paths", {})
        method = (request.method or "GET").upper()
        template = match_operation(paths, method, url.path)
        record = {
            "operation": f"{method} {template}" if template else None,
            "method": method,
            "path": url.path,
            "status": response.status_code,
            "ms": round(seconds * 1000, 2),
            "test": self._test,
        }
        with self._lock:
            self._records.append(record)

    def _document(self, origin: str) -> dict[str, Any]:
        """The API's OpenAPI document, fetched once per stack and kept for the report."""
        if origin in self._documents:
            return self._documents[origin]
        self._fetching.active = True
        try:
            document = requests.get(f"{origin}/api/openapi.json", timeout=10).json()
        except (requests.RequestException, ValueError) as exc:
            logger.warn(f"API coverage: no OpenAPI document at {origin}: {exc}")
            document = {}
        finally:
            self._fetching.active = False
        self._documents[origin] = document
        if document:
            self._save("openapi.json", document)
        return document

    def _write(self) -> None:
        with self._lock:
            records = list(self._records)
        self._save(f"requests-{os.getpid()}.json", records)

    def _save(self, name: str, content: object) -> None:
        folder = Path(self._directory)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(content, indent=1), encoding="utf-8")

    def _warn_over_budget(self) -> None:
        figures = percentiles_by_operation(self._records)
        for line in over_budget(figures, read_budgets(BUDGETS)):
            logger.warn(f"Over budget: {line}")
