"""python -m tooling.fuzz: Schemathesis against the running API, anonymous and authenticated.

Needs API_URL and DATABASE_URL in the environment; `make fuzz` runs it under `python -m sandbox
run --`, which starts a throwaway stack and sets both. The authenticated pass logs in a buyer,
a seller and an admin made for the run (tooling.seeding.accounts: verified rows through SQL,
tokens through POST /api/users/login) and sends, per operation, the token of the first role its
`x-roles` names (tooling/fuzz/hooks.py). The two passes run side by side, one Schemathesis
worker each.

Bounded for `make test` by work, not time: each pass runs every phase once (examples,
coverage, fuzzing, stateful) with FUZZ_EXAMPLES examples per operation (default 10), seeded
with FUZZ_SEED (default 1, so a run is reproducible; "random" for a new one). FUZZ_MAX_TIME
(unset by default) gives each pass a time budget instead, which Schemathesis spends by
repeating fuzzing and stateful runs: for a longer hunt, not for `make test`, where a budget
only decided how much CPU the fuzzer took from the other checks sharing the machine.
Reports go to results/fuzz/<pass>/ (console.txt, junit.xml, events.ndjson) and
results/fuzz/summary.json and summary.txt.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sandbox.stack.processes import spawn
from tooling.seeding.accounts import create_accounts, log_in

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "fuzz"
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
# The authenticated pass must keep its actors' sessions: logout and a password change end them,
# and an admin's PATCH /api/admin/users/{id} (the stateful phase finds the ids through GET
# /api/admin/users) disables or re-roles them, after which every call is a 401 or 403 and
# nothing is tested. The anonymous pass still sends them; robot/admin and robot/users test them.
SESSION_ENDERS = (
    "POST /api/users/logout",
    "POST /api/users/me/password",
    "PATCH /api/admin/users/{user_id}",
)
_CASES = re.compile(r"Test cases:\s*\n\s*(\d+) generated")
_OUTCOME = re.compile(r"^=+ (.+ in [0-9.]+s) =+$", re.MULTILINE)
_OPERATIONS = re.compile(r"Tested: (\d+)")


def tokens(api_url: str, dsn: str) -> dict[str, str]:
    """An access token per role, for accounts made for this run."""
    tag = uuid.uuid4().hex[:8]
    found = {}
    for role in ("buyer", "seller", "admin"):
        (account,) = create_accounts(dsn, role, 1, f"fuzz-{tag}")
        found[role] = log_in(api_url, account)
    return found


def command(api_url: str, out: Path, extra: list[str]) -> list[str]:
    """The `schemathesis run` command line of one pass."""
    max_time = os.environ.get("FUZZ_MAX_TIME", "")
    args = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--no-color",
        "run",
        f"{api_url}/api/openapi.json",
        "--url",
        api_url,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        os.environ.get("FUZZ_EXAMPLES", "10"),
        *(["--max-time", max_time] if max_time else []),
        # One worker: CPython 3.11.7's ast.parse is not thread-safe, and Hypothesis parses
        # lambdas while describing strategies ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--report",
        "junit,ndjson",
        "--report-junit-path",
        str(out / "junit.xml"),
        "--report-ndjson-path",
        str(out / "events.ndjson"),
        "--output-truncate",
        "false",
        *extra,
    ]
    seed = os.environ.get("FUZZ_SEED", "1")
    return args + (["--seed", seed] if seed != "random" else [])


def start(name: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, Any]:
    """Starts one pass writing its console to results/fuzz/<name>/console.txt."""
    console = (OUT / name / "console.txt").open("w")
    # A child that dies with this process: an interrupted run leaves no fuzzer behind.
    return spawn(args, stdout=console.fileno(), stderr=subprocess.STDOUT, env=env), console


def outcome(name: str, code: int, seconds: float) -> dict[str, Any]:
    """What one finished pass reports, read from its console."""
    console = OUT / name / "console.txt"
    text = console.read_text()
    cases, ops, last = _CASES.search(text), _OPERATIONS.search(text), _OUTCOME.findall(text)
    result = {
        "pass": name,
        "exit_code": code,
        "seconds": seconds,
        "operations": int(ops[1]) if ops else 0,
        "test_cases": int(cases[1]) if cases else 0,
        "outcome": last[-1] if last else "no summary (see console.txt)",
        "console": str(console.relative_to(ROOT)),
        "junit": str((OUT / name / "junit.xml").relative_to(ROOT)),
    }
    status = "passed" if code == 0 else "FAILED"
    print(
        f"fuzz {name}: {status}, {result['operations']} operations, "
        f"{result['test_cases']} test cases, {result['outcome']}"
    )
    if code != 0:
        print(_failures(text))
    return result


def _failures(text: str) -> str:
    """The FAILURES and ERRORS sections of a console report, to show on the terminal."""
    starts = [i for i in (text.find("= FAILURES ="), text.find("= ERRORS =")) if i >= 0]
    if not starts:
        return text[-3000:]
    start_at = text.rfind("\n", 0, min(starts)) + 1
    end = text.find("= WARNINGS =")
    return text[start_at : end if end > 0 else None]


def main() -> int:
    """Both passes; non-zero when either found a failure or an error."""
    api_url = os.environ.get("API_URL", "").rstrip("/")
    dsn = os.environ.get("DATABASE_URL", "")
    if not api_url or not dsn:
        print(
            "python -m tooling.fuzz needs API_URL and DATABASE_URL (make fuzz sets both)",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k != "SCHEMATHESIS_HOOKS"}
    authed = {
        **env,
        "SCHEMATHESIS_HOOKS": "tooling.fuzz.hooks",
        "FUZZ_TOKENS": json.dumps(tokens(api_url, dsn)),
        "PYTHONPATH": str(ROOT),
    }
    skip = [arg for op in SESSION_ENDERS for arg in ("--exclude-name", op)]
    plans = {"anonymous": ([], env), "authenticated": (skip, authed)}
    running = {}
    for name, (extra, pass_env) in plans.items():
        shutil.rmtree(OUT / name, ignore_errors=True)
        (OUT / name).mkdir(parents=True)
        running[name] = start(name, command(api_url, OUT / name, extra), pass_env)
    results = []
    for name, (proc, console) in running.items():
        code = proc.wait()
        console.close()
        results.append(outcome(name, code, round(time.monotonic() - started, 1)))
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "checks": list(CHECKS),
        "examples_per_operation": int(os.environ.get("FUZZ_EXAMPLES", "10")),
        "max_time_per_pass": os.environ.get("FUZZ_MAX_TIME") or None,
        "passes": results,
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        f"{r['pass']}: exit {r['exit_code']}, {r['operations']} operations, "
        f"{r['test_cases']} test cases, {r['outcome']} ({r['console']})"
        for r in results
    ]
    (OUT / "summary.txt").write_text("\n".join(lines) + "\n")
    print(f"fuzz: {summary['seconds']} s; reports in {OUT.relative_to(ROOT)}/")
    return 0 if all(r["exit_code"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
