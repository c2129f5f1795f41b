"""Listing writes at a steady rate while the shapes run, as purchases would make them.

Every committed write moves the listings' generation, so each one empties every worker's
search cache: this is what keeps the cache's figures honest. A write takes 0.001 of a unit off
a random active listing (what a purchase's reservation does to `available_quantity`), one
transaction each, through SQL: the write's own cost lands on PostgreSQL, not on the API
being measured.
"""

from __future__ import annotations

import random
import threading
import time
from types import TracebackType

import psycopg2

WRITE = """
UPDATE listings SET available_quantity = greatest(available_quantity - 0.001, 0)
WHERE id = %s
"""


class Writer:
    """A thread committing `per_second` listing writes until stopped (0: none)."""

    def __init__(self, dsn: str, listing_ids: list[str], per_second: float) -> None:
        self._dsn = dsn
        self._ids = listing_ids
        self._per_second = per_second
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-writer", daemon=True)
        self.writes = 0

    def __enter__(self) -> Writer:
        if self._per_second > 0:
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        rng = random.Random(11)
        interval = 1 / self._per_second
        conn = psycopg2.connect(self._dsn)
        try:
            next_at = time.monotonic()
            while not self._stop.is_set():
                with conn, conn.cursor() as cur:
                    cur.execute(WRITE, (rng.choice(self._ids),))
                self.writes += 1
                next_at += interval
                self._stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            conn.close()
