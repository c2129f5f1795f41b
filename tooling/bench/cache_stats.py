"""The search cache's hit rate over a shape, read from the API's own counters.

Each gunicorn worker has its own cache, and `GET /api/admin/system` reports the cache of the
worker that answered (its pid, hits, misses, ...). Asking on a fresh connection each time
reaches the workers in turn; the counters of every worker seen before and after a shape give
the shape's hits and misses. A worker not seen both times is left out (and counted in
`workers_seen`), so the rate is never made up.
"""

from __future__ import annotations

import json
from typing import Any

from tooling.bench.loadgen import fetch
from tooling.seeding.accounts import create_accounts, log_in

Counters = dict[int, dict[str, Any]]


def admin_token(api_url: str, dsn: str) -> str:
    """A token of a fresh admin account (one login, through the API)."""
    (admin,) = create_accounts(dsn, "admin", 1, "cache-stats")
    return log_in(api_url, admin)


def worker_counters(api_url: str, token: str, workers: int, tries: int = 200) -> Counters:
    """The search-cache counters of each worker, by pid, asking until `workers` answered."""
    seen: Counters = {}
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    for _ in range(tries):
        answer = fetch(api_url, "/api/admin/system", headers)
        if answer.status != 200:
            return {}
        cache = json.loads(answer.body).get("search_cache")
        if cache is None:  # an API without the cache
            return {}
        seen[cache["worker"]] = cache
        if len(seen) >= workers:
            break
    return seen


def hit_rate(before: Counters, after: Counters) -> dict[str, Any]:
    """Hits and misses between two readings, over the workers present in both."""
    common = set(before) & set(after)
    hits = sum(after[w]["hits"] - before[w]["hits"] for w in common)
    misses = sum(after[w]["misses"] - before[w]["misses"] for w in common)
    return {
        "hits": hits,
        "misses": misses,
        "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
        "workers_seen": len(common),
        "entries": sum(after[w]["entries"] for w in common),
    }
