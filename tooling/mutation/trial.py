"""One trial: the mapped suites against a fresh stack, with or without a mutant planted."""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cosmic_ray.plugins
from cosmic_ray.mutating import use_mutation
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkItem, WorkResult

from tooling.mutation.settings import is_pytest, suite_option

OUTPUT_TAIL = 4000
Runner = Callable[[list[str], Path, dict[str, str], float], tuple[int | None, str]]
_running: set[subprocess.Popen] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """What a trial gave: the session's result, how long it took, whether it timed out, and
    which runner (robot or pytest) failed."""

    result: WorkResult
    seconds: float
    timed_out: bool = False
    killed_by: str | None = None


def robot_command(suites: list[str], *, exit_on_failure: bool = True) -> list[str]:
    """`python -m sandbox run -- robot ... --suite ... robot`: a fresh gunicorn and sandboxes
    (PostgreSQL comes from DATABASE_URL), the suites, then everything stopped."""
    robot = [
        sys.executable,
        "-m",
        "robot",
        "--pythonpath",
        ".",
        "--listener",
        "keywords/listeners/SecretMasker.py",
        "--output",
        "NONE",
        "--log",
        "NONE",
        "--report",
        "NONE",
        "--console",
        "verbose",
        "--consolecolors",
        "off",
    ]
    if exit_on_failure:
        robot.append("--exitonfailure")
    for suite in suites:
        robot += ["--suite", suite_option(suite)]
    return [sys.executable, "-m", "sandbox", "run", "--", *robot, "robot"]


def commands(entries: tuple[str, ...], *, exit_on_failure: bool = True) -> list[list[str]]:
    """The Robot suites first (one stack for all), then the pytest targets, if any."""
    suites = [e for e in entries if not is_pytest(e)]
    targets = [e for e in entries if is_pytest(e)]
    argvs = [robot_command(suites, exit_on_failure=exit_on_failure)] if suites else []
    if targets:
        stop = ["-x"] if exit_on_failure else []
        argvs.append(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *stop, *targets]
        )
    return argvs


def _die_with_parent() -> None:
    """Runs in the child: the kernel sends SIGKILL when the driver dies, however it dies."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


def run_command(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """Runs `argv` in its own process group; returns (exit code or None on timeout, output)."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    with _lock:
        _running.add(proc)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        stop_group(proc)
        out, _ = proc.communicate()
        code = None
    finally:
        with _lock:
            _running.discard(proc)
    return code, out.decode(errors="replace")[-OUTPUT_TAIL:]


def stop_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM to the trial's process group (the launcher stops its stack), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_all() -> None:
    """Stops every trial still running (on interrupt)."""
    with _lock:
        running = list(_running)
    for proc in running:
        stop_group(proc, grace=5.0)


def baseline(
    tree: Path, suites: tuple[str, ...], env: dict[str, str], timeout: float
) -> tuple[bool, str, float]:
    """The suites on the unmutated copy: (passed, output, seconds)."""
    start = time.monotonic()
    argvs = commands(suites, exit_on_failure=False)
    code, output, _ = run_all(argvs, tree, env, timeout, run_command)
    return code == 0, output, time.monotonic() - start


def run_all(
    argvs: list[list[str]], cwd: Path, env: dict[str, str], timeout: float, runner: Runner
) -> tuple[int | None, str, str | None]:
    """Runs the commands in turn until one fails or times out, within `timeout` in all:
    (exit code or None on timeout, output, `robot` or `pytest` when one failed)."""
    deadline = time.monotonic() + timeout
    code: int | None = 0
    outputs = []
    for argv in argvs:
        code, output = runner(argv, cwd, env, max(1.0, deadline - time.monotonic()))
        outputs.append(output)
        if code != 0:
            return (
                code,
                "\n".join(outputs)[-OUTPUT_TAIL:],
                "pytest" if "pytest" in argv[:3] else "robot",
            )
    return code, "\n".join(outputs)[-OUTPUT_TAIL:], None


def mutate_and_run(
    tree: Path,
    item: WorkItem,
    suites: tuple[str, ...],
    env: dict[str, str],
    timeout: float,
    runner: Runner = run_command,
) -> Outcome:
    """Plants the item's mutant in `tree` (cosmic-ray restores the file afterwards), runs
    the suites, and says killed (a suite failed or timed out) or survived (all passed)."""
    spec = item.mutations[0]
    path = (tree / spec.module_path).resolve()
    if not path.is_relative_to(tree.resolve()):
        raise ValueError(f"{spec.module_path} is outside the throwaway tree")
    operator = cosmic_ray.plugins.get_operator(spec.operator_name)(**(spec.operator_args or {}))
    start = time.monotonic()
    with contextlib.ExitStack() as planted:
        try:
            original, mutated = planted.enter_context(use_mutation(path, operator, spec.occurrence))
        except Exception:  # cosmic-ray could not plant it (an operator's own bug): not judged
            result = WorkResult(
                worker_outcome=WorkerOutcome.EXCEPTION,
                test_outcome=TestOutcome.INCOMPETENT,
                output=traceback.format_exc()[-OUTPUT_TAIL:],
            )
            return Outcome(result, time.monotonic() - start)
        if mutated is None:
            return Outcome(WorkResult(worker_outcome=WorkerOutcome.NO_TEST), 0.0)
        code, output, killed_by = run_all(commands(suites), tree, env, timeout, runner)
    seconds = time.monotonic() - start
    diff = "\n".join(
        difflib.unified_diff(
            original.split("\n"),
            mutated.split("\n"),
            f"a/{spec.module_path}",
            f"b/{spec.module_path}",
            lineterm="",
        )
    )
    if code is None:
        output = f"timeout after {timeout:.0f} s\n{output}"
    outcome = TestOutcome.SURVIVED if code == 0 else TestOutcome.KILLED
    result = WorkResult(
        worker_outcome=WorkerOutcome.NORMAL, output=output, test_outcome=outcome, diff=diff
    )
    return Outcome(result, seconds, timed_out=code is None, killed_by=killed_by)
