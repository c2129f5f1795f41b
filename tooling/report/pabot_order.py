"""resources/pabot-order.txt: the suites in PROCESSES groups of about equal time, from a run.

    python -m tooling.report.pabot_order --check            # every suite exactly once (make lint)
    python -m tooling.report.pabot_order results/output.xml  # write the order from that run

pabot runs each `{ }` group in one robot process, one after another within it. The groups
are balanced from the durations the suite's own output.xml recorded: longest suite first,
each into the group that ends soonest. A suite the run did not have (a new one) counts as the
median suite. The deployment-safe suites, which only read what the others made, run after a
`#WAIT`, once every group has ended. `--check` fails when a suite file under robot/ is missing
from the order, named twice, or when the order names a suite that no longer exists (a suite
left out would still run, but in a process of its own, beside the four groups, and nobody
would notice), and when a reader runs before the `#WAIT`.
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
# Suites that only read what the others made (deployment-safe: they create nothing, so on an
# empty database they have nothing to read and skip). Within a group robot runs its suites in
# the order of the tree, not of the file, so these wait (`#WAIT`) for every group to end and
# then run in a group of their own.
READS_THE_OTHERS = ("Robot.Deployment.",)
WAIT = "#WAIT"
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
    readers = sorted(n for n in names if _reads_the_others(n))
    for name in sorted((n for n in names if n not in readers), key=lambda n: (-cost[n], n)):
        least = totals.index(min(totals))
        order[least].append(name)
        totals[least] += cost[name]
    return [*order, readers] if readers else order


def _reads_the_others(name: str) -> bool:
    return name.startswith(READS_THE_OTHERS)


def render(order: list[list[str]]) -> str:
    """The groups as pabot reads them; a last group of readers waits for the others."""

    def group(names: list[str]) -> str:
        return "{\n" + "".join(f"--suite {name}\n" for name in names) + "}\n"

    last = order[-1] if order else []
    if last and all(_reads_the_others(n) for n in last):
        return "".join(group(g) for g in order[:-1]) + f"{WAIT}\n" + group(last)
    return "".join(group(g) for g in order)


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
    waited = order_text.split(f"\n{WAIT}\n", 1)
    after = named(waited[1]) if len(waited) == 2 else []
    before = named(waited[0])
    found += [f"runs before the {WAIT}: {n}" for n in before if _reads_the_others(n)]
    found += [f"waits for the others but need not: {n}" for n in after if not _reads_the_others(n)]
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
