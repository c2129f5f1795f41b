"""Runs the suite, re-runs its failed tests once, merges, reports flaky tests, builds the reports.

    python -m tooling.report.run_suite --outputdir results -- COMMAND ...

COMMAND is the robot or pabot command line (with `sandbox run --` in front, if wanted). Tests
that fail are run again once (`--rerunfailed`, output `rerun.xml`), the two outputs merged
with `rebot --merge` into output.xml; a test that passed only on the re-run is flaky
(results/flaky.json). Then every 5xx of the API's access log (results/api_access.log) that no
test expected fails the run, listed with its request id (tooling/report/server_errors.py). The exit
status is that of the merged run, at least 1 when a server error passed unasked.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tooling.report import outcomes, report, server_errors
from tooling.report.command import option_value, with_options

COVERAGE_ENV = "API_COVERAGE_DIR"
# Robot's exit statuses from 250 up are errors of the run itself, not failed tests.
RUN_ERRORS = 250


def _run(command: list[str], coverage_dir: Path, **extra: str) -> int:
    env = {
        **os.environ,
        **extra,
        COVERAGE_ENV: str(coverage_dir.resolve()),
        # The run's own records of server errors, in the results folder.
        **server_errors.environment(coverage_dir.parent),
    }
    return subprocess.call(command, env=env)


def rerun_failed(command: list[str], results: Path, coverage_dir: Path) -> list[str]:
    """Runs the failed tests of output.xml again and merges; returns the flaky tests."""
    first = results / "first-run.xml"
    shutil.copyfile(results / "output.xml", first)
    failed = outcomes.failed_tests(first)
    options = ["--rerunfailed", str(first.resolve()), "--output", "rerun.xml"]
    options += ["--log", "NONE", "--report", "NONE"]
    print(f"\nRe-running {len(failed)} failed test(s) once.", flush=True)
    # The re-run has a stack of its own: the first attempt's payments live in gateways that are
    # gone, so its books are judged from its own start (keywords/libraries/Invariants.py).
    started = datetime.now(UTC).isoformat(timespec="seconds")
    command = with_options(command, options, drop=("--output", "-o"))
    _run(command, coverage_dir, RUN_STARTED_AT=started)
    rerun = results / "rerun.xml"
    if not rerun.exists():
        return []
    passed = {t["name"] for t in outcomes.tests_of(rerun) if t["status"] == "PASS"}
    merge = [sys.executable, "-m", "robot.rebot", "--merge", "--outputdir", str(results)]
    merge += ["--output", "output.xml"]
    xunit = option_value(command, "--xunit", "-x")
    if xunit:
        merge += ["--xunit", xunit]
    subprocess.call([*merge, str(first), str(rerun)], stdout=subprocess.DEVNULL)
    return [name for name in failed if name in passed]


def announce(flaky: list[str]) -> None:
    """Says loudly which tests are flaky."""
    if not flaky:
        return
    bar = "!" * 78
    lines = [bar, f"FLAKY: {len(flaky)} test(s) failed, then passed on the re-run:"]
    lines += [f"  - {name}" for name in flaky]
    lines += ["They count as passed; see summary.html and fix them.", bar]
    print("\n".join(lines), flush=True)


def main() -> int:
    """Command line: --outputdir, then `--` and the command."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--outputdir", type=Path, default=Path("results"))
    parser.add_argument("--no-rerun", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    results: Path = args.outputdir
    coverage_dir = results / "coverage"
    shutil.rmtree(coverage_dir, ignore_errors=True)
    server_errors.forget(results)
    for stale in ("flaky.json", "rerun.xml", "first-run.xml"):
        (results / stale).unlink(missing_ok=True)
    status = _run(command, coverage_dir)
    output = results / "output.xml"
    if status >= RUN_ERRORS or not output.exists():
        return status
    flaky: list[str] = []
    if status and not args.no_rerun:
        flaky = rerun_failed(command, results, coverage_dir)
        status = min(len(outcomes.failed_tests(output)), RUN_ERRORS - 1)
    (results / "flaky.json").write_text(json.dumps(flaky, indent=1), encoding="utf-8")
    report.build(results)
    announce(flaky)
    access_log = results / server_errors.ACCESS_LOG_NAME
    expected = results / server_errors.EXPECTED_DIR_NAME
    unasked = server_errors.check(access_log, expected, results / server_errors.REPORT_NAME)
    return max(status, unasked)


if __name__ == "__main__":
    sys.exit(main())
