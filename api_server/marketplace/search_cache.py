"""The search cache: rendered pages of public searches, kept per process, exact.

A page is filed under the listings' generation (migration 0010) it was computed at, and
served only to a search that reads that same generation first. Why that is exact:

- The generation moves in the very transaction that writes `listings` (a deferred trigger,
  at COMMIT), so a snapshot that sees generation g sees exactly the listings of g. Equal
  generation, equal listings, equal page: a hit answers what running the search would.
- A page is stored under the generation read in the same statement (the same snapshot) as
  the page, never an older one: an entry is never older than its key. (Filing it under the
  generation read before the search would be safe too, only wasteful: a commit between the
  two makes the page fresher than its key, and a reader of the older key is one whose request
  began before that commit, for whom the newer page is still a correct answer.)
- Read-your-writes across workers, hosts and plain SQL: the generation is read from
  PostgreSQL on every search, so once a write has committed, every later search reads a newer
  generation than any page filed before it, and misses.

The cache holds one generation at a time. A newer one (or the same value with another token:
a restored or failed-over database counting again) empties it; a search that reads an older
one (it began before the newest commit this process saw) is answered from the database and
not stored. Bounded by entries and by bytes, least recently used first out; one lock, since
gunicorn's threads share it. `max_entries=0` turns it off.

Only what every caller sees alike is filed: a search has one view (the operation reads no
token, and it shows active listings only), so its pages are shared by all callers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, NamedTuple

from api_server.marketplace.views import weak_etag

# What an entry costs besides its body and tag: its key, the tuple and the dict slot.
ENTRY_OVERHEAD_BYTES = 512


class Generation(NamedTuple):
    """The listings' generation: a counter every listing write moves on, and its bump's token."""

    value: int
    token: int


@dataclass(frozen=True)
class SearchPage:
    """A search answer as sent: the JSON body and its weak ETag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, text: str) -> SearchPage:
        body = text.encode()
        return cls(body, weak_etag(body))

    @property
    def cost(self) -> int:
        """Bytes the page holds in the cache."""
        return len(self.body) + len(self.etag) + ENTRY_OVERHEAD_BYTES


class SearchCache:
    """Pages of one generation, bounded by entries and bytes (LRU), shared by threads."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._pages: OrderedDict[Hashable, SearchPage] = OrderedDict()
        self._bytes = 0
        self._counts = dict.fromkeys(("hits", "misses", "stores", "evictions", "older"), 0)

    @property
    def enabled(self) -> bool:
        """False when sized to nothing: searches then go straight to the database."""
        return self.max_entries > 0 and self.max_bytes > 0

    def get(self, generation: Generation, key: Hashable) -> SearchPage | None:
        """The page filed for `key` at `generation`, or None."""
        with self._lock:
            page = self._pages.get(key) if self._current(generation) else None
            if page is None:
                self._counts["misses"] += 1
                return None
            self._pages.move_to_end(key)
            self._counts["hits"] += 1
            return page

    def may_hit(self, key: Hashable) -> bool:
        """Whether a page is filed for `key` at all. If not, no generation can make the
        search a hit, so the caller skips reading the generation; that search is counted as a
        miss here, as `get` would have counted it."""
        with self._lock:
            if key in self._pages:
                return True
            self._counts["misses"] += 1
            return False

    def put(self, generation: Generation, key: Hashable, page: SearchPage) -> None:
        """Files `page`, which must show the listings exactly as of `generation`."""
        if page.cost > self.max_bytes or not self.enabled:
            return
        with self._lock:
            if not self._current(generation):
                return
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= old.cost
            self._pages[key] = page
            self._bytes += page.cost
            self._counts["stores"] += 1
            while len(self._pages) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._pages.popitem(last=False)
                self._bytes -= evicted.cost
                self._counts["evictions"] += 1

    def _current(self, generation: Generation) -> bool:
        """Whether `generation` is the one held, after moving on to it if it is newer.

        Caller holds the lock. Older generations are never held again: a reader of one began
        before a commit this process has already seen, and is served by the database.
        """
        held = self._generation
        if held == generation:
            return True
        if held is not None and generation.value < held.value:
            self._counts["older"] += 1
            return False
        self._generation = generation
        self._pages.clear()
        self._bytes = 0
        return True

    def stats(self) -> dict[str, Any]:
        """Sizes, bounds and counters since the process started (the admin system view)."""
        with self._lock:
            return {
                "entries": len(self._pages),
                "bytes": self._bytes,
                "max_entries": self.max_entries,
                "max_bytes": self.max_bytes,
                "generation": self._generation.value if self._generation else None,
                **self._counts,
            }
