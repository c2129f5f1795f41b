"""CPU time of the generator, the API (gunicorn) and PostgreSQL while a shape runs.

The stack's gunicorn and postgres run as children of the benchmark process, so each group is
found among our own descendants: a process whose command line names gunicorn is the API, one
named postgres is the database; "other" is whatever else the machine ran meanwhile. Figures
are percent of one core (200% = two cores busy).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

GROUPS = ("generator", "api", "database")


def _group(proc: psutil.Process) -> str | None:
    try:
        name = proc.name()
        cmdline = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if "gunicorn" in cmdline:
        return "api"
    if name.startswith("postgres") or "postgres" in cmdline.split(" ", 1)[0]:
        return "database"
    return None


def _cpu_seconds(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return 0.0
    return times.user + times.system


@dataclass
class Snapshot:
    """CPU seconds used so far by each process of each group, at one instant."""

    at: float
    seconds: dict[int, tuple[str, float]]
    machine_busy: float


def snapshot(root_pid: int | None = None) -> Snapshot:
    """CPU seconds of this process (the generator) and of the API and database processes."""
    root = psutil.Process(root_pid or os.getpid())
    seconds = {root.pid: ("generator", _cpu_seconds(root))}
    for child in root.children(recursive=True):
        group = _group(child)
        if group is not None:
            seconds[child.pid] = (group, _cpu_seconds(child))
    return Snapshot(time.monotonic(), seconds, _machine_busy())


def _machine_busy() -> float:
    """CPU seconds every core of the machine spent on anything but idling, since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def usage(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """Percent of one core each group used between two snapshots.

    A process that started in between counts from zero; one that ended is lost (short-lived
    processes are rare here: the API keeps its workers and its pooled database connections).
    """
    wall = max(after.at - before.at, 1e-9)
    used = dict.fromkeys(GROUPS, 0.0)
    for pid, (group, seconds) in after.seconds.items():
        start = before.seconds.get(pid, (group, 0.0))[1]
        used[group] += max(seconds - start, 0.0)
    shares = {group: round(100 * used[group] / wall, 1) for group in GROUPS}
    # Everything else the machine ran meanwhile (another test suite, the sandboxes' threads
    # are inside the generator): a high figure means the run competed for the CPU.
    busy = 100 * (after.machine_busy - before.machine_busy) / wall
    shares["other"] = round(max(busy - sum(shares.values()), 0.0), 1)
    return shares


def thread_count(pid: int | None = None) -> int:
    """Threads of the generator process (the sandboxes run as threads in it too)."""
    return psutil.Process(pid or os.getpid()).num_threads()
