"""The PNG charts of the summary and of the history (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def bars(
    path: Path, labels: list[str], values: list[float], xlabel: str, limit: float | None = None
) -> str:
    """A horizontal bar chart, first label on top; a dashed line at `limit`."""
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(labels) + 1.2))
    ax.barh(labels[::-1], values[::-1], color="#4a78b5")
    if limit is not None:
        ax.axvline(limit, color="#c62828", linestyle="--")
    ax.set_xlabel(xlabel)
    ax.tick_params(axis="y", labelsize=8)
    return _save(fig, path)


def trends(
    path: Path, runs: list[dict[str, Any]], series: dict[str, list[float | None]], ylabel: str
) -> str:
    """One line per series across `runs` (oldest first), x labelled by run start."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    xs = list(range(len(runs)))
    for name, values in series.items():
        # A run without the figure is a gap in the line (NaN), not a zero.
        ax.plot(xs, [float("nan") if v is None else v for v in values], marker="o", label=name)
    ax.set_xticks(xs, [str(r.get("started") or "")[5:16] for r in runs], rotation=45, fontsize=7)
    ax.set_ylabel(ylabel)
    if series:
        ax.legend(fontsize=7, loc="best")
    return _save(fig, path)
