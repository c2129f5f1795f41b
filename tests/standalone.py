"""Runs a sandbox module as its own process, the way `python -m sandbox.X` is used by hand."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def standalone(
    module: str, *args: str, settings: int = 3
) -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    """Starts `python -m module args`, checks its KEY=value lines end in READY, yields the
    process and the settings; kills the process if the test did not stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(settings + 1)]
        assert lines[-1] == "READY", lines
        yield proc, dict(line.split("=", 1) for line in lines[:-1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
