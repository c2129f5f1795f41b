"""Child processes that die with the launcher, even if it is killed outright."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import IO, Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    """A preexec hook asking Linux to signal the child when the launcher dies."""
    if not sys.platform.startswith("linux"):
        return None

    def hook() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return hook


def spawn(
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    death_signal: int = signal.SIGTERM,
    user: str | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
) -> subprocess.Popen:
    """Starts a child tied to this process's life."""
    return subprocess.Popen(
        args,
        env=env,
        user=user,
        stdout=stdout,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent(death_signal),
        start_new_session=False,
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Signals the child, waits, and kills it if it does not go."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def parent_alive(original_ppid: int) -> bool:
    """False once the process that started us is gone (we were re-parented)."""
    return os.getppid() == original_ppid
