"""Search benchmark: seeds 100,000 listings, times searches over real HTTP, shows the plans.

    python -m tooling.bench.listings [--listings N] [--requests N]   (or: make bench-listings)

It always starts its own stack (embedded PostgreSQL in a temporary folder, migrations,
gunicorn), so it never writes into a database someone else is using. Figures are printed,
never asserted: timings belong in a report, not in a test that fails on a slow machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import requests

from api_server.marketplace import search
from api_server.marketplace.schemas import COMMODITIES
from tooling.bench.stack import fresh_stack
from tooling.seeding.listings import COMMON_WORD, COUNTRIES, RARE_WORD, seed


def shapes(seller_ids: list[str]) -> dict[str, Iterator[dict[str, Any]]]:
    """Query shapes by name; each yields ever-changing values, so caches do not flatter."""
    commodities = itertools.cycle(COMMODITIES)
    countries = itertools.cycle(COUNTRIES)
    sellers = itertools.cycle(seller_ids)
    prices = itertools.cycle(range(100_000, 9_000_000, 700_000))
    pages = itertools.cycle(range(50, 400, 37))

    def each(make: Any) -> Iterator[dict[str, Any]]:
        while True:
            yield make()

    return {
        "newest, no filter": each(lambda: {}),
        "commodity": each(lambda: {"commodity": next(commodities)}),
        "commodity + country": each(
            lambda: {"commodity": next(commodities), "country": next(countries)}
        ),
        "currency + price range, price_asc": each(
            lambda: {
                "currency": "USD",
                "min_price": (p := next(prices)),
                "max_price": p + 200_000,
                "sort": "price_asc",
            }
        ),
        "country, price_desc": each(lambda: {"country": next(countries), "sort": "price_desc"}),
        f"q common word ({COMMON_WORD})": each(lambda: {"q": COMMON_WORD}),
        f"q rare word ({RARE_WORD})": each(lambda: {"q": RARE_WORD}),
        "q + commodity, price_asc": each(
            lambda: {"q": "export", "commodity": next(commodities), "sort": "price_asc"}
        ),
        "seller_id": each(lambda: {"seller_id": next(sellers)}),
        "all filters": each(
            lambda: {
                "q": "grade",
                "commodity": next(commodities),
                "country": next(countries),
                "currency": "USD",
                "min_price": 1000,
                "max_price": 5_000_000,
            }
        ),
        "per_page 100, price_asc": each(lambda: {"per_page": 100, "sort": "price_asc"}),
        "deep page (page 50-400 of 100)": each(lambda: {"page": next(pages), "per_page": 100}),
    }


def percentile(samples: list[float], pct: int) -> float:
    """The `pct`th percentile in milliseconds."""
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def time_requests(
    session: requests.Session, url: str, queries: Iterator[dict[str, Any]], count: int
) -> tuple[list[float], dict[str, Any]]:
    """Latencies in ms of `count` GETs of `url`, after a short warm-up; and the last body."""
    for _ in range(5):
        session.get(url, params=next(queries), timeout=30)
    samples = []
    body: dict[str, Any] = {}
    for _ in range(count):
        params = next(queries)
        started = time.perf_counter()
        response = session.get(url, params=params, timeout=30)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} {params} answered {response.status_code}")
        body = response.json()
    return samples, body


def explain(dsn: str, query: dict[str, Any]) -> tuple[list[str], float]:
    """EXPLAIN ANALYZE of the statement the service runs for `query`, and its ms."""
    # The benchmark's queries carry no cursor, so no signing key is needed.
    plan = search.plan(query, b"")
    lines = []
    executed = 0.0
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            for label, sql in (("search", plan.sql),):
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, plan.params)
                lines.append(f"  -- {label}")
                for (line,) in cur.fetchall():
                    lines.append("  " + line)
                    if line.startswith("Execution Time:"):
                        executed += float(line.split()[2])
    finally:
        conn.close()
    return lines, executed


def measure(dsn: str, api_url: str, count: int) -> tuple[list[dict[str, Any]], list[Any]]:
    """Times every shape over HTTP and explains it; the health check gives the HTTP floor."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT id::text FROM users WHERE role = 'seller' LIMIT 20")
        seller_ids = [row[0] for row in cur.fetchall()]
    results = []
    plans = []
    with requests.Session() as session:
        floor, _ = time_requests(session, f"{api_url}/api/health", itertools.repeat({}), count)
        results.append(summary("HTTP floor: GET /api/health", floor, None, None))
        for name, queries in shapes(seller_ids).items():
            samples, body = time_requests(session, f"{api_url}/api/marketplace", queries, count)
            lines, db_ms = explain(dsn, next(queries))
            results.append(summary(name, samples, body["total"], db_ms))
            plans.append((name, lines))
    return results, plans


def summary(
    name: str, samples: list[float], total: int | None, db_ms: float | None
) -> dict[str, Any]:
    """One row of the report."""
    return {
        "shape": name,
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
        "db_ms": db_ms,
        "last_total": total,
    }


def main(argv: list[str] | None = None) -> int:
    """Seeds, measures and prints; returns 0."""
    parser = argparse.ArgumentParser(prog="python -m tooling.bench.listings")
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed searches per shape")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with fresh_stack("bench-listings-", workers=2) as stack:
        dsn, api_url = stack.settings["DATABASE_URL"], stack.settings["API_URL"]
        seed_started = time.monotonic()
        seed(dsn, args.listings)
        print(f"seeded {args.listings} listings in {time.monotonic() - seed_started:.1f} s")
        results, plans = measure(dsn, api_url, args.requests)
    print(f"\n{args.requests} sequential HTTP requests per shape, {args.listings} listings.")
    print("db ms: EXPLAIN ANALYZE execution time of the count and page statements, once.\n")
    print(f"{'shape':<38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'db ms':>7} {'total':>7}")
    for row in results:
        db_ms = "" if row["db_ms"] is None else f"{row['db_ms']:.2f}"
        total = "" if row["last_total"] is None else row["last_total"]
        print(
            f"{row['shape']:<38} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} "
            f"{row['max_ms']:>8.2f} {db_ms:>7} {total:>7}"
        )
    print("\nQuery plans (EXPLAIN ANALYZE of the statements the service runs):")
    for name, lines in plans:
        print(f"\n{name}")
        print("\n".join(lines))
    print(f"\nbenchmark took {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"listings": args.listings, "shapes": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
