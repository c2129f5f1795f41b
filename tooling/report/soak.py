"""Runs the whole suite N times and reports each test's pass rate (the false-positive figure).

    python -m tooling.report.soak --runs 5 --outputdir results/soak -- COMMAND ...

Each run goes to <outputdir>/run-<i>/ (COMMAND's own --outputdir is replaced) with no re-run
of failures: a failure on unchanged code is a false positive. Writes pass-rates.json and
index.html into <outputdir>.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from tooling.report import outcomes
from tooling.report.command import with_options
from tooling.report.html import page, table, text


def pass_rates(outputs: list[Path]) -> dict[str, Any]:
    """Per test: runs, passes and rate; overall: executions, failures, false-positive percent."""
    results: dict[str, list[str]] = defaultdict(list)
    for output in outputs:
        for test in outcomes.tests_of(output):
            if test["status"] != "SKIP":
                results[test["name"]].append(test["status"])
    tests = {
        name: {
            "runs": len(statuses),
            "passes": statuses.count("PASS"),
            "rate": round(100.0 * statuses.count("PASS") / len(statuses), 1),
        }
        for name, statuses in sorted(results.items())
    }
    executions = sum(t["runs"] for t in tests.values())
    failures = executions - sum(t["passes"] for t in tests.values())
    return {
        "runs": len(outputs),
        "executions": executions,
        "failures": failures,
        "false_positive_percent": round(100.0 * failures / executions, 2) if executions else 0.0,
        "tests": tests,
    }


def render(rates: dict[str, Any]) -> str:
    """The soak page: the overall figure, then tests below 100% first."""
    rows = sorted(rates["tests"].items(), key=lambda kv: (kv[1]["rate"], kv[0]))
    body = [
        f"<p>{rates['runs']} runs, {rates['executions']} test executions, {rates['failures']} "
        f"failures: false positives {rates['false_positive_percent']}% (target &lt; 1%).</p>",
        table(
            ["test", "passes / runs", "pass rate"],
            ([text(n), f"{t['passes']} / {t['runs']}", f"{t['rate']}%"] for n, t in rows),
        ),
    ]
    return page("Soak: pass rate per test", body)


def main() -> int:
    """Command line: --runs, --outputdir, then `--` and the command. 1 when any run failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--outputdir", type=Path, default=Path("results/soak"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    outputs = []
    for index in range(1, args.runs + 1):
        folder = (args.outputdir / f"run-{index}").resolve()
        print(f"Soak run {index} of {args.runs} -> {folder}", flush=True)
        env = {**os.environ, "API_COVERAGE_DIR": str(folder / "coverage")}
        run = with_options(command, ["--outputdir", str(folder)], drop=("--outputdir", "-d"))
        subprocess.call(run, env=env)
        if (folder / "output.xml").exists():
            outputs.append(folder / "output.xml")
    rates = pass_rates(outputs)
    (args.outputdir / "pass-rates.json").write_text(json.dumps(rates, indent=1), encoding="utf-8")
    (args.outputdir / "index.html").write_text(render(rates), encoding="utf-8")
    for name, test in rates["tests"].items():
        if test["rate"] < 100:
            print(f"UNSTABLE {test['rate']}% ({test['passes']}/{test['runs']}): {name}")
    figure = rates["false_positive_percent"]
    print(f"Soak: {rates['executions']} executions, false positives {figure}%")
    return 1 if rates["failures"] or len(outputs) < args.runs else 0


if __name__ == "__main__":
    sys.exit(main())
