"""Charts of the throughput benchmark (matplotlib, Agg): one run, and the history of runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def run_chart(report: dict[str, Any], path: Path) -> None:
    """Share of /api/health throughput per shape (bars, goal lines) and p99 (right panel)."""
    rows = report["shapes"]
    names = [r["shape"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    colors = [
        "#999999" if r["meets_goal"] is None else "#2a7" if r["meets_goal"] else "#c33"
        for r in rows
    ]
    left.barh(names, [r["share"] for r in rows], color=colors)
    left.axvline(0.5, color="k", ls="--", lw=0.8, label="search goal 0.5")
    left.axvline(0.7, color="k", ls=":", lw=0.8, label="detail goal 0.7")
    left.set_xlabel("share of /api/health req/s")
    left.legend(loc="lower right", fontsize=8)
    left.invert_yaxis()
    right.barh(names, [r["p99_ms"] for r in rows], color=colors)
    health_p99 = rows[0]["p99_ms"]
    right.axvline(2 * health_p99, color="k", ls="--", lw=0.8, label="2 x health p99")
    right.set_xlabel("p99 latency (ms)")
    right.legend(loc="lower right", fontsize=8)
    fig.suptitle(
        f"{report['rows']:,} listings, {report['clients']} clients, "
        f"{report['duration_s']} s/shape, "
        f"{report['started']} ({report['git_commit'][:8]})",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def history_chart(folder: Path, path: Path) -> int:
    """Share per shape across every report in `folder`, oldest first; returns the run count."""
    reports = []
    for file in sorted(folder.glob("*.json")):
        try:
            reports.append(json.loads(file.read_text()))
        except (OSError, ValueError):
            continue
    if not reports:
        return 0
    fig, ax = plt.subplots(figsize=(12, 5.5))
    labels = [f"{r['started'][5:16]}\n{r['rows'] // 1000}k {r['git_commit'][:7]}" for r in reports]
    shapes = [s["shape"] for s in reports[-1]["shapes"]][1:]
    for shape in shapes:
        values = [
            next((s["share"] for s in r["shapes"] if s["shape"] == shape), None) for r in reports
        ]
        gaps = [float("nan") if v is None else v for v in values]
        ax.plot(labels, gaps, marker="o", label=shape)
    ax.axhline(0.5, color="k", ls="--", lw=0.8)
    ax.set_ylabel("share of /api/health req/s")
    ax.set_title("Throughput share per shape across runs")
    ax.legend(fontsize=7, ncol=2)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return len(reports)
