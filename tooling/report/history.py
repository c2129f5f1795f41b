"""results/history/: one small JSON per run, and trend charts across the runs kept there."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from tooling.report.charts import trends

TRENDED_OPERATIONS = 8


def entry(run: dict[str, Any], coverage: dict[str, Any]) -> dict[str, Any]:
    """The history record of one run: duration, counts, flaky, coverage, p95 per operation."""
    return {
        "started": run["started"],
        "seconds": run["seconds"],
        "counts": run["counts"],
        "flaky": run["flaky"],
        "coverage": {k: v["percent"] for k, v in coverage["figures"].items()},
        "p95_ms": {op: row["p95"] for op, row in coverage["timings"].items()},
    }


def append(folder: Path, record: dict[str, Any]) -> Path:
    """Writes `record` as a new file of `folder`, named by the run's start."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (record.get("started") or datetime.now().isoformat())[:19].replace(":", "")
    path = folder / f"run-{stamp}.json"
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


def runs(folder: Path) -> list[dict[str, Any]]:
    """Every run recorded in `folder`, oldest first."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("run-*.json"))]


def charts(folder: Path) -> list[str]:
    """Trend charts of duration, counts, coverage and the slowest operations' p95."""
    history = runs(folder)
    if not history:
        return []
    counts = {k: [r["counts"].get(k) for r in history] for k in ("passed", "failed", "flaky")}
    coverage = {
        k: [r["coverage"].get(k) for r in history]
        for k in ("operations", "error_statuses", "transitions")
    }
    latest = history[-1]["p95_ms"]
    slowest = sorted(latest, key=latest.get, reverse=True)[:TRENDED_OPERATIONS]
    p95 = {op: [r["p95_ms"].get(op) for r in history] for op in slowest}
    return [
        trends(
            folder / "trend-duration.png",
            history,
            {"seconds": [r["seconds"] for r in history]},
            "seconds",
        ),
        trends(folder / "trend-counts.png", history, counts, "tests"),
        trends(folder / "trend-coverage.png", history, coverage, "%"),
        trends(folder / "trend-p95.png", history, p95, "p95 ms"),
    ]
