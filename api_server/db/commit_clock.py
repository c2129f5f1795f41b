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
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO

SLOT = struct.Struct("=q")


def shared_file() -> IO[bytes]:
    """A file for a clock that forked processes share: unlinked at once, so nothing is left
    behind however the server ends; the caller keeps it open and passes its descriptor on
    (a forked process has every descriptor of its parent)."""
    file = tempfile.TemporaryFile(prefix="commit-clock-")  # noqa: SIM115 (kept open: returned)
    file.truncate(SLOT.size)
    return file


class CommitClock:
    """The time of the last commit through any process holding the same descriptor."""

    def __init__(
        self, fd: int | None = None, *, clock: Callable[[], int] = time.monotonic_ns
    ) -> None:
        # A private clock keeps its own file open for as long as the clock lives.
        self._file: IO[bytes] | None = None
        if fd is None:
            self._file = shared_file()
            fd = self._file.fileno()
        self._fd = fd
        self._map = mmap.mmap(fd, SLOT.size)
        self._clock = clock
        self._lock = threading.Lock()

    def mark(self) -> None:
        """A transaction has committed: the clock moves to now, unless it is already later."""
        now = self._clock()
        with self._lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                SLOT.pack_into(self._map, 0, max(self.last(), now))
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def last(self) -> int:
        """When the last commit was marked (monotonic nanoseconds; 0 before any)."""
        (marked,) = SLOT.unpack_from(self._map)
        return int(marked)
