"""resources/pabot-order.txt: the suites in PROCESSES groups of about equal time, from a run.

    python -m tooling.report.pabot_order --check            # every suite exactly once (make lint)
    python -m tooling.report.pabot_order results/output.xml  # write the order from that run

pabot runs each `{ }` group in one robot process, one after another within it. The groups
are balanced from the durations the suite's own output.xml recorded: longest suite first,
each into the group that ends soonest. A suite the run did not have (a new one) counts as the
median suite. `--check` fails when a suite file under robot/ is missing from the order, named
twice, or when the order names a suite that no longer exists: a suite left out would still
run, but in a process of its own, beside the four groups, and nobody would notice.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]
ORDER = ROOT / "resources" / "pabot-order.txt"
ROBOT = ROOT / "robot"
PROCESSES = 4
# pabot reads every line that is not `{`, `}`, `#WAIT` or `#SLEEP` as a suite: no comments.


def suite_name(path: Path, robot_dir: Path = ROBOT) -> str:
    """Robot's long name of a suite file: robot/users/read_only.robot -> Robot.Users.Read Only."""
    parts = [robot_dir.name, *path.relative_to(robot_dir).with_suffix("").parts]
    return ".".join(part.replace("_", " ").title() for part in parts)


def suites(robot_dir: Path = ROBOT) -> list[str]:
    """Every suite file's long name, sorted."""
    files = (p for p in robot_dir.rglob("*.robot") if p.name != "__init__.robot")
    return sorted(suite_name(p, robot_dir) for p in files)


def durations(output: Path) -> dict[str, float]:
    """Seconds each suite file took in the run of `output` (its leaf suites)."""
    result = ExecutionResult(str(output), include_keywords=False)
    found: dict[str, float] = {}

    def walk(suite: Any) -> None:
        if not suite.suites:
            found[str(suite.full_name)] = suite.elapsed_time.total_seconds()
        for child in suite.suites:
            walk(child)

    walk(result.suite)
    return found


def balance(names: list[str], seconds: dict[str, float], groups: int) -> list[list[str]]:
    """Longest first, each into the group with the least time so far (LPT)."""
    known = [seconds[n] for n in names if n in seconds]
    typical = statistics.median(known) if known else 1.0
    cost = {n: seconds.get(n, typical) for n in names}
    totals = [0.0] * groups
    order: list[list[str]] = [[] for _ in range(groups)]
    for name in sorted(names, key=lambda n: (-cost[n], n)):
        least = totals.index(min(totals))
        order[least].append(name)
        totals[least] += cost[name]
    return order


def render(order: list[list[str]]) -> str:
    body = "".join(
        "{\n" + "".join(f"--suite {name}\n" for name in group) + "}\n" for group in order
    )
    return body


def named(text: str) -> list[str]:
    """The suites an order file names, in order."""
    prefix = "--suite "
    return [line[len(prefix) :].strip() for line in text.splitlines() if line.startswith(prefix)]


def problems(order_text: str, expected: list[str]) -> list[str]:
    """What is wrong with an order file against the suites that exist; empty when nothing."""
    listed = named(order_text)
    counts = Counter(listed)
    found = [f"missing from the order: {n}" for n in expected if n not in counts]
    found += [f"named {counts[n]} times: {n}" for n in sorted(counts) if counts[n] > 1]
    found += [f"no such suite: {n}" for n in sorted(counts) if n not in expected]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.report.pabot_order")
    parser.add_argument("output", nargs="?", type=Path, help="a run's output.xml")
    parser.add_argument("--check", action="store_true", help="check the order file only")
    parser.add_argument("--processes", type=int, default=PROCESSES)
    args = parser.parse_args(argv)
    expected = suites()
    if args.check:
        found = problems(ORDER.read_text(encoding="utf-8"), expected)
        for line in found:
            print(f"{ORDER.relative_to(ROOT)}: {line}")
        if found:
            print("Write it again from a run: make pabot-order (after make robot).")
        return 1 if found else 0
    if args.output is None or not args.output.exists():
        parser.error("give a run's output.xml (make robot writes results/output.xml)")
    order = balance(expected, durations(args.output), args.processes)
    ORDER.write_text(render(order), encoding="utf-8")
    print(f"{ORDER.relative_to(ROOT)}: {len(expected)} suites in {args.processes} groups")
    return 0


if __name__ == "__main__":
    sys.exit(main())
