"""When a transaction last committed through this server: one number its workers share.

gunicorn's master opens the file behind it before it forks the workers (gunicorn.conf.py),
and each worker maps it: a commit in any worker is seen by every other at the cost of reading
eight bytes of memory, where asking PostgreSQL costs a round trip. A process started without
one (tests, operator commands) gets a private clock of its own.

The time is CLOCK_MONOTONIC in nanoseconds, which every process of one machine shares. Writers
only move it forward, under a lock (a thread lock and a POSIX record lock for the other
processes), so two commits finishing together never leave the earlier time in place.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import tempfile
import threading
import time
from typing import IO

SLOT = struct.Struct("=q")


def shared_file() -> IO[bytes]:
    """A file for a clock that forked processes share: unlinked at once, so nothing is left
    behind however the server ends; the caller keeps it open and passes its descriptor on."""
    file = tempfile.TemporaryFile(prefix="commit-clock-")  # noqa: SIM115 (kept open: returned)
    file.truncate(SLOT.size)
    os.set_inheritable(file.fileno(), True)
    return file


class CommitClock:
    """The time of the last commit through any process holding the same descriptor."""

    def __init__(self, fd: int | None = None) -> None:
        # A private clock keeps its file open for as long as the clock lives.
        self._file = shared_file() if fd is None else None
        self._fd = self._file.fileno() if self._file is not None else int(fd or 0)
        self._map = mmap.mmap(self._fd, SLOT.size)
        self._lock = threading.Lock()

    def mark(self) -> None:
        """A transaction has committed: the clock moves to now, unless it is already later."""
        now = time.monotonic_ns()
        with self._lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                if SLOT.unpack_from(self._map)[0] < now:
                    SLOT.pack_into(self._map, 0, now)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def last(self) -> int:
        """When the last commit was marked (monotonic nanoseconds; 0 before any)."""
        return SLOT.unpack_from(self._map)[0]
