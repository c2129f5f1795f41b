"""Throughput benchmark: each request shape against GET /api/health, closed loop, one run.

    python -m tooling.bench.throughput [--rows N] [--clients N] [--duration S]   (or: make bench)
        [--mix] [--writes PER_S] [--only SHAPE ...]

Starts its own stack in a temporary folder, seeds listings through SQL, then runs every shape
of `tooling.bench.shapes.SHAPES` with CLIENTS keep-alive clients for DURATION seconds each,
measuring the CPU of the generator, the API and PostgreSQL meanwhile, and the search cache's
hits and misses per shape (from each worker's counters in the admin system view). `--mix` adds
a shape of widely varied searches; `--writes N` commits N listing writes a second meanwhile.
Prints the table and writes results/bench/<UTC timestamp>.json, a chart of the run and the
history chart of all runs. Figures are reported, never asserted."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2

from tooling.bench import cpu
from tooling.bench.cache_stats import Counters, admin_token, hit_rate, worker_counters
from tooling.bench.charts import history_chart, run_chart
from tooling.bench.figures import compare, summarise, table
from tooling.bench.loadgen import closed_loop
from tooling.bench.shapes import (
    ALL_SHAPES,
    DETAIL,
    HEALTH,
    MIX,
    SHAPES,
    Inputs,
    deep_pages,
    generators,
)
from tooling.bench.stack import fresh_stack
from tooling.bench.writer import Writer
from tooling.seeding.listings import COMMON_WORD, RARE_WORD, seed

# gunicorn.conf.py's sizing when API_WORKERS and API_THREADS are not set.
DEFAULT_THREADS = 3


def default_workers() -> int:
    """One gunicorn worker per core and one more, as gunicorn.conf.py sizes them."""
    return (os.cpu_count() or 1) + 1


ROOT = Path(__file__).resolve().parents[2]
# Share of listings whose description carries RARE_WORD: "a few percent" of hits.
RARE_SHARE = 0.03


def active_ids(dsn: str, limit: int = 20_000) -> list[str]:
    """Ids of active listings to read one by one, drawn at random from the seeded rows."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id::text FROM listings WHERE status = 'active' ORDER BY random() LIMIT %s",
            (limit,),
        )
        ids = [row[0] for row in cur.fetchall()]
    conn.close()
    return ids


def hits(dsn: str, word: str | None = None) -> int:
    """How many active listings match (the word), counted in the database: the API's own
    `total` stops at its cap."""
    query = "SELECT count(*) FROM listings WHERE status = 'active'"
    if word:
        query += " AND search @@ websearch_to_tsquery('english', %s)"
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query, (word,) if word else None)
        (count,) = cur.fetchone()
    conn.close()
    return int(count)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure(
    api_url: str, inputs: Inputs, args: argparse.Namespace, counters: Callable[[], Counters]
) -> list[dict[str, Any]]:
    """Runs each shape in turn (health first) and returns its row, with the search cache's
    hits and misses over the shape when the API reports them."""
    names = [HEALTH] + [n for n in SHAPES if n != HEALTH and (not args.only or n in args.only)]
    names += [MIX] if args.mix or MIX in (args.only or []) else []
    rows = []
    for name, next_path in generators(inputs, names).items():
        example = ALL_SHAPES[name](random.Random(0), inputs)
        cache_before = counters()
        before = cpu.snapshot()
        run = closed_loop(api_url, next_path, args.clients, args.duration, args.warmup)
        usage = cpu.usage(before, cpu.snapshot())
        rows.append(summarise(name, run, usage, example))
        rows[-1]["search_cache"] = hit_rate(cache_before, counters())
        print(
            f"  {name:<28} {rows[-1]['req_per_s']:>8.1f} req/s  p99 {rows[-1]['p99_ms']:.1f} ms"
            f"  errors {rows[-1]['error_count']}  cpu {usage}  cache {rows[-1]['search_cache']}",
            flush=True,
        )
    compare(rows, HEALTH, DETAIL)
    return rows


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m tooling.bench.throughput")
    parser.add_argument("--rows", type=int, default=int(env.get("ROWS") or 100_000))
    parser.add_argument("--clients", type=int, default=int(env.get("CLIENTS") or 32))
    parser.add_argument("--duration", type=float, default=float(env.get("DURATION") or 10))
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds not recorded")
    parser.add_argument("--only", nargs="*", help="shape names to run (health always runs)")
    parser.add_argument(
        "--mix", action="store_true", default=bool(env.get("MIX")), help=f"also run {MIX!r}"
    )
    parser.add_argument(
        "--writes",
        type=float,
        default=float(env.get("WRITES") or 0),
        help="listing writes per second committed meanwhile (each moves the generation)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    args = parser.parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    with fresh_stack("bench-throughput-") as stack:
        dsn, api_url = stack.settings["DATABASE_URL"], stack.settings["API_URL"]
        t0 = time.monotonic()
        seed(dsn, args.rows, rare_share=RARE_SHARE)
        seeded_s = time.monotonic() - t0
        print(f"seeded {args.rows:,} listings in {seeded_s:.1f} s (VACUUM ANALYZE included)")
        deep, paging = deep_pages(api_url)
        inputs = Inputs(active_ids(dsn), deep)
        totals = {
            "all active": hits(dsn),
            f"q={COMMON_WORD}": hits(dsn, COMMON_WORD),
            f"q={RARE_WORD}": hits(dsn, RARE_WORD),
        }
        print(f"hits: {totals}; deep pages by {paging}")
        workers = env.get("API_WORKERS") or str(default_workers())
        token = admin_token(api_url, dsn)

        def counters() -> Counters:
            return worker_counters(api_url, token, int(workers))

        print(
            f"{args.clients} closed-loop clients, {args.duration:g} s per shape, "
            f"{args.writes:g} listing writes/s:",
            flush=True,
        )
        load_before = tuple(round(x, 2) for x in os.getloadavg())
        with Writer(dsn, inputs.active_ids, args.writes) as writer:
            rows = measure(api_url, inputs, args, counters)
        load_after = tuple(round(x, 2) for x in os.getloadavg())
    report = {
        "started": started.isoformat(timespec="seconds"),
        "rows": args.rows,
        "seed_seconds": round(seeded_s, 1),
        "clients": args.clients,
        "duration_s": args.duration,
        "deep_paging": paging,
        "hits": totals,
        "api_workers": int(workers),
        "api_threads": int(env.get("API_THREADS") or DEFAULT_THREADS),
        "search_cache_entries": env.get("SEARCH_CACHE_ENTRIES") or "default",
        "writes_per_s": args.writes,
        "writes": writer.writes,
        "machine_cores": os.cpu_count(),
        # Another run on the same machine (a test suite, a build) skews every figure.
        "load_average_before": load_before,
        "load_average_after": load_after,
        "git_commit": git_commit(),
        "shapes": rows,
    }
    print()
    print(table(rows))
    print(
        "\nshare = req/s / health req/s; p99/h = p99 / health p99; CPU in % of one core, "
        "oth = other processes on the machine "
        f"({os.cpu_count()} cores = {100 * (os.cpu_count() or 1)}%)."
    )
    print("goal: search share >= 0.50, detail >= 0.70, p99 <= 2 x health, no errors.")
    print(
        "hit% = search cache hits / searches during the shape, over every worker's counters; "
        f"{writer.writes} listing writes committed meanwhile ({args.writes:g}/s)."
    )
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / f"{stamp}.json"
    json_path.write_text(json.dumps(report, indent=2))
    run_chart(report, args.out / f"{stamp}.png")
    runs = history_chart(args.out, args.out / "history.png")
    print(f"wrote {json_path}, {stamp}.png and history.png ({runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
