"""API coverage: the OpenAPI operations and statuses a run reached, its state moves, the gate."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from tooling.report.timings import percentiles_by_operation
from tooling.report.transitions import compare

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# The gate of issue 12: every operation, 90% of documented error statuses, every transition.
GATE = {"operations": 100.0, "error_statuses": 90.0, "transitions": 100.0}


def _load_all(folder: Path, pattern: str) -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob(pattern))]


def load(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The OpenAPI document, every request record and every transitions file in `folder`."""
    document_file = folder / "openapi.json"
    document = (
        json.loads(document_file.read_text(encoding="utf-8")) if document_file.exists() else {}
    )
    records = [r for batch in _load_all(folder, "requests-*.json") for r in batch]
    return document, records, _load_all(folder, "transitions-*.json")


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def _figure(part: int, whole: int) -> dict[str, Any]:
    return {"seen": part, "total": whole, "percent": _percent(part, whole)}


def operations(document: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each documented operation: its statuses (no `default`), which were seen, by which tests."""
    by_status: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        if record.get("operation"):
            by_status[record["operation"]][str(record["status"])].add(record["test"])
    rows = []
    for template, item in sorted(document.get("paths", {}).items()):
        for method in METHODS:
            if method not in item:
                continue
            name = f"{method.upper()} {template}"
            documented = sorted(s for s in item[method].get("responses", {}) if s != "default")
            seen = by_status.get(name, {})
            rows.append(
                {
                    "operation": name,
                    "summary": item[method].get("summary", ""),
                    "documented": documented,
                    "seen": {s: sorted(seen[s]) for s in sorted(seen)},
                    "missing": [s for s in documented if s not in seen],
                    "undocumented": sorted(s for s in seen if s not in documented),
                    "calls": sum(len(t) for t in seen.values()),
                    # Errors answered through `default` (problem+json), documented or not.
                    "errors_seen": sorted(s for s in seen if s[0] in "45"),
                }
            )
    return rows


def unmatched(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Requests to /api/ that no operation documents (wrong methods, unknown routes)."""
    counts = Counter(
        (r["method"], r["path"], r["status"]) for r in records if not r.get("operation")
    )
    return [
        {"method": m, "path": p, "status": s, "count": n} for (m, p, s), n in sorted(counts.items())
    ]


def figures(rows: list[dict[str, Any]], moves: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The headline percentages: operations, documented statuses, error statuses, transitions."""
    statuses = [(r, s) for r in rows for s in r["documented"]]
    errors = [(r, s) for r, s in statuses if s[0] in "45"]
    all_moves = moves["payments"] + moves["listings"]
    return {
        "operations": _figure(sum(1 for r in rows if r["seen"]), len(rows)),
        "statuses": _figure(sum(1 for r, s in statuses if s in r["seen"]), len(statuses)),
        "error_statuses": _figure(sum(1 for r, s in errors if s in r["seen"]), len(errors)),
        "transitions": _figure(sum(1 for m in all_moves if m["seen"]), len(all_moves)),
        "operations_with_an_error_seen": _figure(
            sum(1 for r in rows if r["errors_seen"]), len(rows)
        ),
        "payment_transitions": _figure(
            sum(m["seen"] for m in moves["payments"]), len(moves["payments"])
        ),
        "listing_transitions": _figure(
            sum(m["seen"] for m in moves["listings"]), len(moves["listings"])
        ),
    }


def gate(figs: dict[str, Any]) -> list[str]:
    """What falls short of the gate, one line each; empty when the gate passes."""
    return [
        f"{name.replace('_', ' ')}: {figs[name]['percent']}% < {floor:g}% "
        f"({figs[name]['seen']} of {figs[name]['total']})"
        for name, floor in GATE.items()
        if figs[name]["percent"] < floor
    ]


def build(folder: Path) -> dict[str, Any]:
    """The whole coverage report of the records in `folder` (results/coverage)."""
    document, records, transition_files = load(folder)
    rows = operations(document, records)
    moves = compare(transition_files)
    figs = figures(rows, moves)
    return {
        "figures": figs,
        "gate": {"floors": GATE, "failures": gate(figs)},
        "operations": rows,
        "transitions": moves,
        "unmatched": unmatched(records),
        "timings": percentiles_by_operation(records),
        "requests": len(records),
        "state_recorded": bool(transition_files),
    }
