"""The figures: killed / survived / timed out per module, the score raw and without the
equivalent survivors (the target's figure), and every survivor with its diff."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tooling.mutation.settings import Equivalent

TARGET = 90.0
JUDGED = ("killed", "timeout", "survived")


def score(detected: int, judged: int) -> float | None:
    """Percentage of judged mutants that a test detected, one decimal; None when none."""
    return round(100.0 * detected / judged, 1) if judged else None


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(r["status"] for r in rows)
    detected = counts["killed"] + counts["timeout"]
    equivalent = sum(1 for r in rows if r["status"] == "survived" and r.get("equivalent"))
    judged = detected + counts["survived"]
    return {
        "mutants": judged,
        "killed": counts["killed"],
        "timeout": counts["timeout"],
        "survived": counts["survived"],
        "equivalent": equivalent,
        "error": counts["error"],
        "not_run": counts["not-run"],
        "killed_by_pytest": sum(1 for r in rows if r.get("killed_by") == "pytest"),
        "score": score(detected, judged),
        "score_without_equivalents": score(detected, judged - equivalent),
    }


def mark_equivalents(rows: Iterable[dict[str, Any]], equivalents: list[Equivalent]) -> None:
    """Sets `equivalent` (the reason, or None) on every survivor."""
    for row in rows:
        if row["status"] == "survived":
            match = next((e for e in equivalents if e.matches(row)), None)
            row["equivalent"] = match.reason if match else None


def build(
    rows: list[dict[str, Any]], equivalents: list[Equivalent], run: dict[str, Any]
) -> dict[str, Any]:
    """The report: run settings, overall and per-module figures, survivors, skipped counts."""
    mark_equivalents(rows, equivalents)
    tried = [r for r in rows if r["status"] not in ("skipped", "no-mutation")]
    modules = sorted({r["module"] for r in rows})
    per_module = {m: _figures([r for r in tried if r["module"] == m]) for m in modules}
    overall = _figures(tried)
    skipped = Counter(r["skip_reason"] for r in rows if r["status"] == "skipped")
    seconds = [r["seconds"] for r in tried if r.get("seconds") is not None]
    return {
        "run": run,
        "target": {
            "score_without_equivalents": TARGET,
            "met": (overall["score_without_equivalents"] or 0.0) >= TARGET,
        },
        "overall": overall,
        "modules": {
            m: f for m, f in per_module.items() if f["mutants"] or f["not_run"] or f["error"]
        },
        "skipped": dict(sorted(skipped.items())),
        "mean_trial_seconds": round(sum(seconds) / len(seconds), 1) if seconds else None,
        "survivors": [
            {
                k: r[k]
                for k in (
                    "key",
                    "module",
                    "line_number",
                    "line",
                    "operator",
                    "diff",
                    "equivalent",
                    "output",
                )
            }
            for r in tried
            if r["status"] == "survived"
        ],
        "errors": [
            {k: r[k] for k in ("key", "diff", "output")} for r in tried if r["status"] == "error"
        ],
    }


def write_json(report: dict[str, Any], path: Path) -> None:
    """report.json, indented for people and diffs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


def _or_dash(value: float | None) -> str:
    return "-" if value is None else f"{value}%"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The console summary: one line per module, then the overall figures."""
    lines = [f"{'module':40} killed timeout survived equiv  score"]
    for module, f in report["modules"].items():
        lines.append(
            f"{module:40} {f['killed']:6} {f['timeout']:7} {f['survived']:8} {f['equivalent']:5}"
            f"  {_or_dash(f['score_without_equivalents'])}"
        )
    o, run = report["overall"], report["run"]
    lines.append(
        f"mutants {o['mutants']} (sample {run.get('sample')}, seed {run.get('seed')}):"
        f" killed {o['killed']}, timeout {o['timeout']}, survived {o['survived']}"
        f" ({o['equivalent']} equivalent), errors {o['error']}, not run {o['not_run']}"
    )
    lines.append(
        f"score {o['score']}% raw, {o['score_without_equivalents']}% without equivalents"
        f" (target {TARGET}%: {'met' if report['target']['met'] else 'NOT met'})"
    )
    return lines
