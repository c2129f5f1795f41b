"""The listings' generation as PostgreSQL last told this process: pushed, so a cached search
need not ask for it.

Without the watch every search reads the generation first (one round trip), and that round
trip was most of a cached search's cost. The watch keeps the generation in the process
instead, on one connection of its own:

- PostgreSQL pushes every bump (`NOTIFY listings_generation`, migration 0013, sent at the
  bumping transaction's COMMIT); the watch thread takes it in as it arrives.
- The thread also reads the generation itself every `poll_seconds`, and at once when a
  reader finds that a transaction committed through this server since the last read (the
  server's commit clock, db/commit_clock.py, shared by its workers). A value is trusted only
  while that read started less than `2 x poll_seconds` ago and after the last such commit.

What a reader gets from `current()`:
- Writes committed through any worker of this server: always reflected. Until a read that
  started after the commit has answered, `current()` is None and the caller reads the
  generation from PostgreSQL, as without the watch: read-your-writes stays exact.
- Writes committed elsewhere (another server on the same database, plain SQL): reflected once
  their NOTIFY has arrived, normally within a millisecond, and at the latest by the next read,
  `poll_seconds` after the commit. A public search may lag such a commit by at most that (the
  same pages go out with `Cache-Control: public, max-age=5`, which lets any shared cache keep
  them for five seconds).
- No connection, or a read that failed: None, so every search reads the generation itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2
import psycopg2.extensions

from api_server.db.commit_clock import CommitClock
from api_server.marketplace import queries
from api_server.marketplace.search_cache import Generation

CHANNEL = "listings_generation"
# How the watch's connection shows in pg_stat_activity.
APPLICATION_NAME = "generation-watch"
MAX_RETRY_SECONDS = 5.0
STOP_SECONDS = 5.0
NS = 1_000_000_000
log = logging.getLogger(__name__)


def parse_payload(payload: str) -> Generation | None:
    """The generation a notification carries ("<value> <token>"), None if it is not one."""
    value, _, token = payload.partition(" ")
    try:
        return Generation(int(value), int(token))
    except ValueError:
        return None


def newest(payloads: list[str], held: Generation | None) -> Generation | None:
    """The generation to hold after these notifications: the highest they carry, if it is
    past `held`; None when they bring nothing newer."""
    found = [g for g in map(parse_payload, payloads) if g is not None]
    best = max(found, key=lambda g: g.value, default=None)
    if best is None or (held is not None and best.value <= held.value):
        return None
    return best


def retry_delay(failures: int, poll_seconds: float) -> float:
    """Seconds to wait before connecting again after `failures` failures in a row: one poll,
    doubling, at most MAX_RETRY_SECONDS, so a database that is down is not hammered."""
    return float(min(poll_seconds * 2 ** (failures - 1), MAX_RETRY_SECONDS))


class GenerationWatch:
    """One thread and one connection per process, started by the first `current()`."""

    def __init__(
        self,
        dsn: str,
        poll_seconds: float,
        commits: CommitClock,
        *,
        connect: Callable[..., Any] = psycopg2.connect,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.poll_seconds = poll_seconds
        self._poll_ns = round(poll_seconds * NS)
        self._dsn = dsn
        self._commits = commits
        self._connect = connect
        self._clock = clock
        self._lock = threading.Lock()
        self._heard: Generation | None = None
        # When the last read of the generation started, on the commit clock's time line.
        self._read_at: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pipe: tuple[int, int] | None = None  # (read end, write end): wakes the thread
        self._counts = {"notified": 0, "reads": 0, "reconnects": 0, "untrusted": 0}

    @property
    def enabled(self) -> bool:
        """False when POLL is 0: every search then reads the generation from PostgreSQL."""
        return self.poll_seconds > 0

    def current(self) -> Generation | None:
        """The generation to serve cached pages at, or None: read it from PostgreSQL."""
        if not self.enabled:
            return None
        if self._thread is None:
            self._start()
        with self._lock:
            heard, read_at = self._heard, self._read_at
            if (
                heard is not None
                and read_at is not None
                and self._clock() - read_at < 2 * self._poll_ns
                and read_at > self._commits.last()
            ):
                return heard
            self._counts["untrusted"] += 1
        self._wake()
        return None

    def stop(self) -> None:
        """Stops the thread and closes its connection; a later `current()` starts it again."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake()
        thread.join(STOP_SECONDS)
        if thread.is_alive():
            # Stuck in a read of a database that does not answer: it ends with the process.
            log.warning("generation watch did not stop within %s s", STOP_SECONDS)
            return
        with self._lock:
            pipe, self._pipe = self._pipe, None
            self._heard = self._read_at = None
        for fd in pipe or ():
            os.close(fd)

    def stats(self) -> dict[str, Any]:
        """What the admin system view shows: the value held, its age and the counters."""
        with self._lock:
            held, read_at = self._heard, self._read_at
            age = None if read_at is None else round((self._clock() - read_at) / NS, 3)
            return {
                "enabled": self.enabled,
                "poll_seconds": self.poll_seconds,
                "generation": held.value if held else None,
                "read_age_seconds": age,
                **self._counts,
            }

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._pipe = os.pipe()
            for fd in self._pipe:
                os.set_blocking(fd, False)
            # A daemon: a worker that exits without stop() is not kept alive by its watch.
            self._thread = threading.Thread(target=self._run, name="generation-watch", daemon=True)
            self._thread.start()

    def _wake(self) -> None:
        pipe = self._pipe
        if pipe is None:
            return
        # A full pipe already holds a wake; a pipe closed meanwhile has nothing to wake.
        with contextlib.suppress(OSError):
            os.write(pipe[1], b".")

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            reads = self._counts["reads"]
            try:
                self._watch()
            except psycopg2.Error as exc:
                log.warning("generation watch lost its connection: %s", type(exc).__name__)
            if self._stop.is_set():
                return
            # A connection that answered a read was up: the back-off starts again.
            failures = 1 if self._counts["reads"] > reads else failures + 1
            with self._lock:
                self._heard = None
                self._counts["reconnects"] += 1
            self._stop.wait(retry_delay(failures, self.poll_seconds))

    def _watch(self) -> None:
        """Listens until stopped; raises psycopg2.Error when the connection fails."""
        assert self._pipe is not None
        wake = self._pipe[0]
        conn = self._connect(self._dsn, application_name=APPLICATION_NAME)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"LISTEN {CHANNEL}")
                self._read(cur)
                while not self._stop.is_set():
                    due_in = self._due_in()
                    ready, _, _ = select.select([conn, wake], [], [], max(0, due_in) / NS)
                    if wake in ready:
                        _drain(wake)
                    if wake in ready or self._due_in() <= 0:
                        self._read(cur)
                    # After the read: a notification that arrived during it was taken off the
                    # socket by psycopg2 and waits in conn.notifies, and select will not show it.
                    self._take_notifications(conn)
        finally:
            conn.close()

    def _due_in(self) -> int:
        """Nanoseconds until the next read is due (one poll after the last started)."""
        with self._lock:
            read_at = self._read_at
        return 0 if read_at is None else read_at + self._poll_ns - self._clock()

    def _read(self, cur: psycopg2.extensions.cursor) -> None:
        started = self._clock()
        cur.execute(queries.SEARCH_GENERATION)
        row = cur.fetchone()
        with self._lock:
            # No counter row: nothing can be vouched for (searches then cache nothing).
            self._heard = None if row is None else Generation(*row)
            self._read_at = started
            self._counts["reads"] += 1

    def _take_notifications(self, conn: psycopg2.extensions.connection) -> None:
        conn.poll()
        payloads = [note.payload for note in conn.notifies]
        conn.notifies.clear()
        with self._lock:
            found = newest(payloads, self._heard)
            if found is not None:
                self._heard = found
            self._counts["notified"] += len(payloads)


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 512):
            pass
