"""Figures of one shape's run: throughput, latency percentiles, errors, share of the reference."""

from __future__ import annotations

from typing import Any

from tooling.bench.loadgen import Run

# The goals: share of /api/health throughput, and p99 at most twice health's.
SEARCH_SHARE_GOAL = 0.50
DETAIL_SHARE_GOAL = 0.70
P99_FACTOR_GOAL = 2.0


def percentile(sorted_ms: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted samples; 0 when there are none."""
    if not sorted_ms:
        return 0.0
    rank = max(1, round(pct / 100 * len(sorted_ms)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


def summarise(name: str, run: Run, cpu: dict[str, float], path_example: str) -> dict[str, Any]:
    """One row: req/s counts every answer (errors too, reported beside it)."""
    ordered = sorted(run.latencies_ms)
    headers = run.sample_headers
    return {
        "shape": name,
        "example": path_example,
        "requests": len(ordered),
        "errors": dict(run.errors),
        "error_count": sum(run.errors.values()),
        "wall_s": round(run.wall_s, 2),
        "req_per_s": round(len(ordered) / run.wall_s, 1) if run.wall_s else 0.0,
        "p50_ms": round(percentile(ordered, 50), 2),
        "p95_ms": round(percentile(ordered, 95), 2),
        "p99_ms": round(percentile(ordered, 99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else 0.0,
        "cpu_percent": cpu,
        "etag": "etag" in headers,
        "cache_control": headers.get("cache-control"),
    }


def compare(rows: list[dict[str, Any]], reference: str, detail: str) -> None:
    """Adds each row's share of the reference's req/s, its p99 ratio, and the goal verdicts."""
    ref = next(r for r in rows if r["shape"] == reference)
    for row in rows:
        row["share"] = round(row["req_per_s"] / ref["req_per_s"], 3) if ref["req_per_s"] else 0.0
        row["p99_ratio"] = round(row["p99_ms"] / ref["p99_ms"], 2) if ref["p99_ms"] else 0.0
        if row is ref:
            row["meets_goal"] = None
            continue
        goal = DETAIL_SHARE_GOAL if row["shape"] == detail else SEARCH_SHARE_GOAL
        row["share_goal"] = goal
        row["meets_goal"] = (
            row["share"] >= goal and row["p99_ratio"] <= P99_FACTOR_GOAL and not row["error_count"]
        )


def table(rows: list[dict[str, Any]]) -> str:
    """The printed table, one line per shape."""
    head = (
        f"{'shape':<28} {'req/s':>8} {'share':>6} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'p99/h':>6} {'err':>5} {'gen%':>5} {'api%':>5} {'db%':>5} {'oth%':>5} {'goal':>5}"
        f" {'hit%':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cpu = r["cpu_percent"]
        verdict = {None: "ref", True: "ok", False: "MISS"}[r["meets_goal"]]
        lines.append(
            f"{r['shape'][:28]:<28} {r['req_per_s']:>8.1f} {r['share']:>6.2f} "
            f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['p99_ratio']:>6.2f} "
            f"{r['error_count']:>5} {cpu['generator']:>5.0f} {cpu['api']:>5.0f} "
            f"{cpu['database']:>5.0f} {cpu.get('other', 0):>5.0f} {verdict:>5} {_hits(r):>5}"
        )
    return "\n".join(lines)


def _hits(row: dict[str, Any]) -> str:
    """The search cache's hit rate over the shape, in percent; "-" when none was measured."""
    rate = (row.get("search_cache") or {}).get("hit_rate")
    return "-" if rate is None else f"{100 * rate:.0f}"
