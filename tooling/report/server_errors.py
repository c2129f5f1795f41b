"""No server error passes silently: every 5xx in the API's access log that no test asked for.

    python -m tooling.report.server_errors [--access-log FILE] [--expected-dir DIR] [results]
    python -m tooling.report.server_errors --guard [results] -- COMMAND ...

Two records meet here. gunicorn writes one JSON line per request to its access log
(`API_ACCESS_LOG`, which the launcher passes to gunicorn; `tooling/report/run_suite.py` points
it at `<results>/api_access.log`, fresh each run). The suite's HTTP keywords
(`keywords/libraries/ExpectedStatus.py`) write one JSON line for each 5xx a test expected, with
the response's `X-Request-ID`, to `<dir>/expected-5xx-<pid>.jsonl` (`API_EXPECTED_5XX_DIR`; the
wrapper sets `<results>/expected-5xx`). A 5xx of the access log whose request id no test
expected is a server error nobody asked for: the run fails and each one is listed with its
request id, which finds its traceback in `api_server.log`.

`--guard` runs COMMAND (a robot run under `sandbox run --`, say) with both records pointed into
`results`, fresh, then checks them: the runs that do not go through tooling.report.run_suite
(the live profile, the smoke tests, the deployment check) fail alike on a 5xx nobody asked for."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ACCESS_LOG_ENV = "API_ACCESS_LOG"
EXPECTED_DIR_ENV = "API_EXPECTED_5XX_DIR"
ACCESS_LOG_NAME = "api_access.log"
EXPECTED_DIR_NAME = "expected-5xx"
REPORT_NAME = "server-errors.json"


def is_server_error(status: object) -> bool:
    """Whether `status` (an int or its text) is a 5xx."""
    try:
        return 500 <= int(str(status)) <= 599
    except ValueError:
        return False


def _json_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def server_errors(access_log: Path) -> list[dict[str, Any]]:
    """The access log's 5xx lines, in order (lines that are not JSON objects are skipped)."""
    with access_log.open(encoding="utf-8", errors="replace") as lines:
        return [r for r in _json_lines(lines) if is_server_error(r.get("status"))]


def record_expected(directory: Path, record: dict[str, Any]) -> None:
    """Appends `record` (request_id, status, method, url, test) to this process's file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"expected-5xx-{os.getpid()}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def expected_ids(directory: Path) -> set[str]:
    """The request ids of every 5xx a test expected, from every process's file."""
    ids: set[str] = set()
    if not directory.is_dir():
        return ids
    for path in sorted(directory.glob("expected-5xx-*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as lines:
            ids.update(str(r["request_id"]) for r in _json_lines(lines) if r.get("request_id"))
    return ids


def unexpected(errors: list[dict[str, Any]], expected: set[str]) -> list[dict[str, Any]]:
    """The 5xx lines whose request id no test expected (a line without an id is never expected)."""
    known = expected - {"-", ""}
    return [e for e in errors if str(e.get("request_id") or "-") not in known]


def describe(error: dict[str, Any]) -> str:
    """One line for a server error: status, method, path, request id and time."""
    return (
        f"{error.get('status')} {error.get('method', '?')} {error.get('path', '?')} "
        f"request_id={error.get('request_id') or '-'} at {error.get('time', '?')}"
    )


def check(access_log: Path, expected_dir: Path, report: Path | None = None) -> int:
    """Prints the verdict and writes `report` (JSON); 1 when a 5xx was not expected, else 0."""
    if not access_log.exists():
        print(f"Server errors: no access log at {access_log}; nothing checked (a remote stack?).")
        return 0
    errors = server_errors(access_log)
    found = unexpected(errors, expected_ids(expected_dir))
    if report is not None:
        summary = {
            "access_log": str(access_log),
            "server_errors": len(errors),
            "expected": len(errors) - len(found),
            "unexpected": found,
        }
        report.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if not found:
        print(f"Server errors: {len(errors)} 5xx in {access_log}, every one expected by a test.")
        return 0
    bar = "!" * 78
    lines = [bar, f"UNEXPECTED SERVER ERRORS: {len(found)} 5xx no test asked for ({access_log}):"]
    lines += [f"  - {describe(error)}" for error in found]
    lines += ["Their tracebacks are in api_server.log under the same request id.", bar]
    print("\n".join(lines), flush=True)
    return 1


def environment(results: Path) -> dict[str, str]:
    """The variables that point a run's two records into `results` (a re-run appends)."""
    folder = results.resolve()
    return {
        ACCESS_LOG_ENV: str(folder / ACCESS_LOG_NAME),
        EXPECTED_DIR_ENV: str(folder / EXPECTED_DIR_NAME),
    }


def forget(results: Path) -> None:
    """Removes what an earlier run recorded in `results`, so a check reads this run only."""
    for stale in (ACCESS_LOG_NAME, REPORT_NAME):
        (results / stale).unlink(missing_ok=True)
    directory = results / EXPECTED_DIR_NAME
    for path in directory.glob("expected-5xx-*.jsonl") if directory.is_dir() else ():
        path.unlink()


def guard(results: Path, command: list[str]) -> int:
    """Runs `command` with fresh records in `results`; its status, at least 1 on a 5xx unasked."""
    results.mkdir(parents=True, exist_ok=True)
    forget(results)
    status = subprocess.call(command, env={**os.environ, **environment(results)})
    unasked = check(results / ACCESS_LOG_NAME, results / EXPECTED_DIR_NAME, results / REPORT_NAME)
    return max(status, unasked)


def main(argv: list[str] | None = None) -> int:
    """Command line: the results folder, optionally other paths for the two records."""
    parser = argparse.ArgumentParser(
        prog="python -m tooling.report.server_errors",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("results", type=Path, nargs="?", default=Path("results"))
    parser.add_argument("--access-log", type=Path)
    parser.add_argument("--expected-dir", type=Path)
    parser.add_argument("--guard", action="store_true", help="run the command after --, then check")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    results: Path = args.results
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.guard:
        if not command:
            parser.error("--guard needs a command after --")
        return guard(results, command)
    return check(
        args.access_log or results / ACCESS_LOG_NAME,
        args.expected_dir or results / EXPECTED_DIR_NAME,
        results / REPORT_NAME,
    )


if __name__ == "__main__":
    sys.exit(main())
