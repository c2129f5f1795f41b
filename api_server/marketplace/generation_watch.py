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
log = logging.getLogger(__name__)


def parse_payload(payload: str) -> Generation | None:
    """The generation a notification carries ("<value> <token>"), None if it is not one."""
    value, _, token = payload.partition(" ")
    try:
        return Generation(int(value), int(token))
    except ValueError:
        return None


class GenerationWatch:
    """One thread and one connection per process, started by the first `current()`."""

    def __init__(
        self,
        dsn: str,
        poll_seconds: float,
        commits: CommitClock,
        *,
        connect: Callable[..., Any] = psycopg2.connect,
    ) -> None:
        self.poll_seconds = poll_seconds
        self._poll_ns = int(poll_seconds * 1e9)
        self._dsn = dsn
        self._commits = commits
        self._connect = connect
        self._lock = threading.Lock()
        self._heard: Generation | None = None
        # When the last read of the generation started (monotonic ns, as the commit clock).
        self._read_at = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = -1, -1
        self._counts = dict.fromkeys(("notified", "reads", "reconnects", "untrusted"), 0)

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
            fresh = time.monotonic_ns() - read_at < 2 * self._poll_ns
            if heard is not None and fresh and read_at > self._commits.last():
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
        thread.join(timeout=5)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._wake_r, self._wake_w = -1, -1
        self._heard = None

    def stats(self) -> dict[str, Any]:
        """What the admin system view shows: the value held, its age and the counters."""
        with self._lock:
            age = (time.monotonic_ns() - self._read_at) / 1e9 if self._heard is not None else None
            return {
                "enabled": self.enabled,
                "poll_seconds": self.poll_seconds,
                "generation": self._heard.value if self._heard else None,
                "read_age_seconds": round(age, 3) if age is not None else None,
                **self._counts,
            }

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
            self._thread = threading.Thread(target=self._run, name="generation-watch", daemon=True)
            self._thread.start()

    def _wake(self) -> None:
        # A full pipe already holds a wake; a stopped watch has nothing to wake.
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b".")

    def _run(self) -> None:
        backoff = self.poll_seconds
        while not self._stop.is_set():
            try:
                self._watch()
                backoff = self.poll_seconds
            except psycopg2.Error as exc:
                log.warning("generation watch lost its connection: %s", type(exc).__name__)
            with self._lock:
                self._heard = None
                self._counts["reconnects"] += 1
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)

    def _watch(self) -> None:
        """Listens until stopped; raises psycopg2.Error when the connection fails."""
        conn = self._connect(self._dsn, application_name=APPLICATION_NAME)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"LISTEN {CHANNEL}")
                self._read(cur)
                while not self._stop.is_set():
                    wait = (self._read_at + self._poll_ns - time.monotonic_ns()) / 1e9
                    ready, _, _ = select.select([conn, self._wake_r], [], [], max(0.0, wait))
                    if conn in ready:
                        self._take_notifications(conn)
                    woken = self._wake_r in ready and self._drain_wake()
                    if woken or time.monotonic_ns() - self._read_at >= self._poll_ns:
                        self._read(cur)
        finally:
            conn.close()

    def _read(self, cur: psycopg2.extensions.cursor) -> None:
        started = time.monotonic_ns()
        cur.execute(queries.SEARCH_GENERATION)
        value, token = cur.fetchone()
        with self._lock:
            self._heard = Generation(value, token)
            self._read_at = started
            self._counts["reads"] += 1

    def _take_notifications(self, conn: psycopg2.extensions.connection) -> None:
        conn.poll()
        newest = None
        while conn.notifies:
            found = parse_payload(conn.notifies.pop(0).payload)
            if found is not None and (newest is None or found.value > newest.value):
                newest = found
        if newest is None:
            return
        with self._lock:
            held = self._heard
            if held is None or newest.value > held.value:
                self._heard = newest
            self._counts["notified"] += 1

    def _drain_wake(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 512):
                pass
        return True
