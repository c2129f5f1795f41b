"""Response-time figures per operation, and the budgets in resources/budgets.yaml."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

QUANTILES = (50, 95, 99)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q`th percentile of `values` (not empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def percentiles_by_operation(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{operation: {count, p50, p95, p99, max}} in milliseconds, for records with an operation."""
    times: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record.get("operation"):
            times[record["operation"]].append(float(record["ms"]))
    figures: dict[str, dict[str, float]] = {}
    for operation, values in sorted(times.items()):
        row: dict[str, float] = {"count": len(values), "max": max(values)}
        row.update({f"p{q}": percentile(values, q) for q in QUANTILES})
        figures[operation] = row
    return figures


def read_budgets(path: Path) -> dict[str, Any]:
    """The budgets file: `default_p95_ms` and `p95_ms` per operation ("GET /api/...")."""
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def budget_of(operation: str, budgets: dict[str, Any]) -> float | None:
    """The p95 budget in milliseconds of `operation`, or the default one."""
    per_operation = budgets.get("p95_ms") or {}
    value = per_operation.get(operation, budgets.get("default_p95_ms"))
    return None if value is None else float(value)


def over_budget(figures: dict[str, dict[str, float]], budgets: dict[str, Any]) -> list[str]:
    """One line per operation whose p95 exceeds its budget, with its figures."""
    lines = []
    for operation, row in figures.items():
        budget = budget_of(operation, budgets)
        if budget is not None and row["p95"] > budget:
            lines.append(
                f"{operation} p95 {row['p95']:.0f} ms > budget {budget:.0f} ms "
                f"(p50 {row['p50']:.0f}, p99 {row['p99']:.0f}, max {row['max']:.0f} ms, "
                f"{int(row['count'])} calls)"
            )
    return lines
