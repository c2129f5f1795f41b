"""Every test of a traced run has its journey in log.html: `python -m tooling.report.journey_check`.

The Journey listener logs each test's picture into the test's body when the test ends; a test
without one (the listener failed, the files were not found, a pabot process ran without it)
is named here and the run fails, as a missing check would go unnoticed in a green log.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor
from robot.result import Message, TestCase

MARK = "<div class='journey'>"


class _Journeys(ResultVisitor):
    def __init__(self) -> None:
        self.tests: list[str] = []
        self.drawn: set[str] = set()
        self.traced: set[str] = set()

    def visit_test(self, test: TestCase) -> None:
        self.tests.append(test.full_name)
        for item in test.body:
            if isinstance(item, Message) and item.message.startswith(MARK):
                self.drawn.add(test.full_name)
                if "no spans were recorded" not in item.message:
                    self.traced.add(test.full_name)


def missing(output: Path) -> tuple[int, list[str], list[str]]:
    """(tests, those without a journey, those whose journey has no spans)."""
    journeys = _Journeys()
    ExecutionResult(str(output)).visit(journeys)
    drawn, traced = journeys.drawn, journeys.traced
    tests = journeys.tests
    return len(tests), [t for t in tests if t not in drawn], [t for t in drawn if t not in traced]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    output = Path(args[0] if args else "results/output.xml")
    total, without, empty = missing(output)
    for name in without:
        print(f"no journey in log.html: {name}")
    for name in empty:
        print(f"a journey with no spans: {name}")
    print(f"{total - len(without) - len(empty)} of {total} tests have their journey in log.html")
    return 1 if without or empty else 0


if __name__ == "__main__":
    raise SystemExit(main())
