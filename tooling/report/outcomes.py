"""What a run's output.xml says: counts, duration and each test, read with robot.api."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from robot.api import ExecutionResult, ResultVisitor
from robot.result import Result, TestCase


def _plain(message: str) -> str:
    """A message as text: a merged run's *HTML* messages without their tags."""
    if message.startswith("*HTML*"):
        message = re.sub(r"<[^>]+>", " ", message[len("*HTML*") :])
        message = re.sub(r"\s+", " ", message).replace("&lt;", "<").replace("&gt;", ">")
    return message.strip()


class _Tests(ResultVisitor):
    def __init__(self) -> None:
        self.tests: list[dict[str, Any]] = []

    def visit_test(self, test: TestCase) -> None:
        self.tests.append(
            {
                "name": test.full_name,
                "id": test.id,
                "status": test.status,
                "seconds": round(test.elapsed_time.total_seconds(), 3),
                "message": _plain(test.message)[:300],
            }
        )


def _result(output: Path) -> Result:
    # Keywords are most of a big output.xml and nothing here reads them: parsing without
    # them takes a fraction of the time.
    return ExecutionResult(str(output), include_keywords=False)


def _tests(result: Result) -> list[dict[str, Any]]:
    visitor = _Tests()
    result.visit(visitor)
    return visitor.tests


def tests_of(output: Path) -> list[dict[str, Any]]:
    """Every test of `output` with its full name, log id, status, seconds and message."""
    return _tests(_result(output))


def failed_tests(output: Path) -> list[str]:
    """The full names of the failed tests of `output`."""
    return [t["name"] for t in tests_of(output) if t["status"] == "FAIL"]


def run_of(output: Path, flaky: list[str]) -> dict[str, Any]:
    """Counts (flaky among the passed), duration and tests of the run in `output`."""
    result = _result(output)
    tests = _tests(result)
    stats = result.statistics.total
    return {
        "started": result.suite.start_time.isoformat() if result.suite.start_time else None,
        "seconds": round(result.suite.elapsed_time.total_seconds(), 1),
        "counts": {
            "total": stats.total,
            "passed": stats.passed,
            "failed": stats.failed,
            "skipped": stats.skipped,
            "flaky": len(flaky),
        },
        "flaky": flaky,
        "tests": tests,
        "instruments": instruments_of(result.suite),
    }


def instruments_of(suite: Any) -> dict[str, int]:
    """What the instruments did, from the metadata their keywords set on the suites: invariant
    checks run in teardowns, payments compared with their gateway at the end of the run, and
    the model-based test's sequences and steps."""
    totals = {"invariant checks": 0, "payments checked against their gateway": 0}
    totals |= {"model-based sequences": 0, "model-based steps": 0}
    counted = [
        ("Invariant checks", "invariant checks"),
        ("Gateway checks", "payments checked against their gateway"),
    ]
    for one in [suite, *_all_suites(suite)]:
        for name, total in counted:
            checks = one.metadata.get(name)
            if checks and str(checks).isdigit():
                totals[total] += int(checks)
        model = str(one.metadata.get("Model-based steps") or "").split()
        if len(model) == 4 and model[0].isdigit() and model[2].isdigit():
            totals["model-based steps"] += int(model[0])
            totals["model-based sequences"] += int(model[2])
    return totals


def _all_suites(suite: Any) -> list[Any]:
    found = []
    for child in suite.suites:
        found += [child, *_all_suites(child)]
    return found
