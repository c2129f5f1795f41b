"""Runs the Locust profile headless against a throwaway stack, bounded in users and time.

    python -m tooling.bench.load            (make load: USERS=50 SPAWN_RATE=10 TIME=60s ROWS=100000)
    WORKERS=2 python -m tooling.bench.load  (make load-distributed: one master, two local workers)

Seeds the listings, makes buyer and seller accounts, writes the fixture the locustfile reads,
runs locust (everything on loopback), writes results/load/<stamp>_*.csv and <stamp>.html,
and prints the average response time against the seed plan's target (< 200 ms). Every locust
process is a child that dies with this one, and is stopped before the stack is.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg2

from sandbox.stack.launcher import free_port
from sandbox.stack.processes import spawn, stop
from tooling.bench.shapes import deep_pages
from tooling.bench.stack import fresh_stack
from tooling.seeding.accounts import create_accounts
from tooling.seeding.listings import seed

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
TARGET_AVERAGE_MS = 200.0


def fixture(dsn: str, api_url: str, path: Path) -> None:
    """Accounts and listing ids for the locustfile, written to `path`."""
    accounts = {
        "buyer": create_accounts(dsn, "buyer", 40, "load"),
        "seller": create_accounts(dsn, "seller", 10, "load"),
    }
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id::text FROM listings WHERE status = 'active' ORDER BY random() LIMIT 5000"
        )
        active = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT id::text FROM listings WHERE status = 'active' AND currency = 'USD' "
            "AND available_quantity >= 100 ORDER BY random() LIMIT 2000"
        )
        purchasable = [r[0] for r in cur.fetchall()]
    conn.close()
    deep, _ = deep_pages(api_url)
    data = {
        "accounts": {
            role: [{"email": a.email, "password": a.password} for a in items]
            for role, items in accounts.items()
        },
        "active_ids": active,
        "purchasable": purchasable,
        "deep": deep,
    }
    path.write_text(json.dumps(data))


def locust_args(api_url: str, prefix: Path, users: int, rate: str, run_time: str) -> list[str]:
    return [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--users", str(users), "--spawn-rate", rate, "--run-time", run_time,
        "--host", api_url, "--csv", str(prefix), "--html", f"{prefix}.html",
        "--only-summary", "--stop-timeout", "10",
    ]  # fmt: skip


def run_locust(args: list[str], env: dict[str, str], workers: int) -> int:
    """Runs locust alone, or as a master with `workers` local workers; returns its exit code."""
    with ExitStack() as stack:
        if workers:
            port = free_port()
            args = [
                *args, "--master", "--expect-workers", str(workers),
                "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
            ]  # fmt: skip
            worker_args = [
                sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
                "--master-host", "127.0.0.1", "--master-port", str(port),
            ]  # fmt: skip
        master = spawn(args, env=env)
        stack.callback(stop, master)
        for _ in range(workers):
            worker = spawn(worker_args, env=env, stdout=subprocess.DEVNULL)
            stack.callback(stop, worker)
        return master.wait()


def aggregated(prefix: Path) -> list[dict[str, Any]]:
    """The rows of locust's <prefix>_stats.csv."""
    with open(f"{prefix}_stats.csv", newline="") as file:
        return list(csv.DictReader(file))


def gateway_effects(dsn: str) -> dict[str, Any]:
    """What the payments left in the database: statuses and stored webhook outcomes."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM payments GROUP BY 1 ORDER BY 1")
        payments = dict(cur.fetchall())
        cur.execute("SELECT outcome, count(*) FROM payment_events GROUP BY 1 ORDER BY 2 DESC")
        events = dict(cur.fetchall())
    conn.close()
    return {"payments": payments, "webhook_events": events}


def report(rows: list[dict[str, Any]], effects: dict[str, Any]) -> float:
    """Prints the per-request table and the verdict; returns the average response time."""
    head = f"{'request':<52} {'count':>6} {'fail':>5} {'avg ms':>8} {'p95':>6} {'p99':>6}"
    print(f"\n{head} {'req/s':>6}")
    for r in rows:
        print(
            f"{(r['Type'] + ' ' + r['Name'])[:52]:<52} {r['Request Count']:>6} "
            f"{r['Failure Count']:>5} {float(r['Average Response Time']):>8.1f} "
            f"{r['95%']:>6} {r['99%']:>6} {float(r['Requests/s']):>6.1f}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    average = float(total["Average Response Time"])
    print(f"\nafter the run: {effects}")
    verdict = "met" if average < TARGET_AVERAGE_MS else "MISSED"
    print(
        f"average response time under the load profile: {average:.1f} ms "
        f"(seed plan target < {TARGET_AVERAGE_MS:.0f} ms: {verdict})"
    )
    return average


def main() -> int:
    env = os.environ
    users, rate = int(env.get("USERS") or 50), env.get("SPAWN_RATE") or "10"
    run_time, workers = env.get("TIME") or "60s", int(env.get("WORKERS") or 0)
    rows = int(env.get("ROWS") or 100_000)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "results" / "load"
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / (stamp + (f"_distributed{workers}" if workers else ""))
    with fresh_stack("bench-load-") as stack, tempfile.TemporaryDirectory() as tmp:
        dsn, api_url = stack.settings["DATABASE_URL"], stack.settings["API_URL"]
        started = time.monotonic()
        seed(dsn, rows)
        fixture(dsn, api_url, Path(tmp) / "fixture.json")
        print(f"seeded {rows:,} listings and the accounts in {time.monotonic() - started:.1f} s")
        mode = f"one master, {workers} workers" if workers else "one process"
        print(f"locust: {users} users, spawn rate {rate}/s, {run_time}, {mode}", flush=True)
        locust_env = {
            **env,
            "LOAD_FIXTURE": str(Path(tmp) / "fixture.json"),
            "PYTHONPATH": str(ROOT),
        }
        code = run_locust(locust_args(api_url, prefix, users, rate, run_time), locust_env, workers)
        time.sleep(2)  # the last webhooks land
        effects = gateway_effects(dsn)
    report(aggregated(prefix), effects)
    print(f"wrote {prefix}_stats.csv, _stats_history.csv, _failures.csv and {prefix.name}.html")
    # Locust exits 1 when any request failed: those are in the report, not a broken run.
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    sys.exit(main())
