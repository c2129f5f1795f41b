"""The launcher starts a working stack and leaves no process behind, however it ends."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _env(pg_folder: Path) -> dict[str, str]:
    """The launcher's environment: its own data folder and logs, no outside database."""
    env = {**os.environ, "PGDATA_DIR": str(pg_folder / "pg"), "API_LOG_DIR": str(pg_folder)}
    env.pop("DATABASE_URL", None)
    return {**env, "API_WORKERS": "1"}


def _start(pg_folder: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "up"],
        cwd=ROOT,
        env=_env(pg_folder),
        stdout=subprocess.PIPE,
        text=True,
    )
    settings = {}
    for line in proc.stdout:
        line = line.strip()
        if line == "READY":
            return proc, settings
        key, _, value = line.partition("=")
        settings[key] = value
    raise AssertionError(f"launcher exited with {proc.wait()} before READY")


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _all_gone(processes: list[psutil.Process], timeout: float = 20) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stack_serves_and_leaves_nothing_behind(pg_folder, how):
    proc, settings = _start(pg_folder)
    try:
        assert {"API_URL", "DATABASE_URL", "JWT_SECRET"} <= settings.keys()
        ready = requests.get(f"{settings['API_URL']}/api/health/ready", timeout=5)
        assert ready.status_code == 200
        children = _descendants(proc.pid)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "postgres" in names and "gunicorn" in names
    finally:
        proc.send_signal(how)
        proc.wait(30)
    assert _all_gone(children), "a postgres or gunicorn process outlived the launcher"


def test_launcher_stops_when_its_parent_dies(pg_folder):
    # A shell stands in for robot: it starts the launcher, then is killed outright.
    shell = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -m sandbox up --exit-with-parent > {pg_folder}/out"],
        cwd=ROOT,
        env=_env(pg_folder),
    )
    deadline = time.monotonic() + 60
    while "READY" not in (pg_folder / "out").read_text() if (pg_folder / "out").exists() else True:
        assert time.monotonic() < deadline, "never READY"
        time.sleep(0.2)
    everything = _descendants(shell.pid)
    shell.kill()
    shell.wait()
    assert _all_gone(everything), "the stack outlived the process that started it"
