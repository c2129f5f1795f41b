"""The growth check: each shape's share at 1,000,000 listings against its share at 100,000.

    python -m tooling.bench.growth [SMALL.json LARGE.json]   (or: make bench-growth)

Without arguments it compares the newest report of each size in results/bench/. The goal:
every shape keeps at least 80% of the share of /api/health throughput it has at 100,000.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parents[2] / "results" / "bench"
KEEP_GOAL = 0.80


def newest(rows: int, folder: Path = FOLDER) -> Path | None:
    """The newest report measured at `rows` listings."""
    found = [p for p in sorted(folder.glob("*.json")) if json.loads(p.read_text())["rows"] == rows]
    return found[-1] if found else None


def compare(small: dict[str, Any], large: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(shape, share small, share large, kept) for each shape in both reports."""
    small_shares, large_shares = _shares(small), _shares(large)
    out = []
    for shape, before in small_shares.items():
        if shape in large_shares and before:
            out.append((shape, before, large_shares[shape], large_shares[shape] / before))
    return out


def _shares(report: dict[str, Any]) -> dict[str, float]:
    """Unrounded shares of the reference (the first row) by shape, the reference left out."""
    reference, *rows = report["shapes"]
    return {r["shape"]: r["req_per_s"] / reference["req_per_s"] for r in rows}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] if len(args) == 2 else [newest(100_000), newest(1_000_000)]
    if None in paths:
        print("need a 100,000 and a 1,000,000 report: make bench; ROWS=1000000 make bench")
        return 1
    first, second = (p for p in paths if p is not None)
    small, large = json.loads(first.read_text()), json.loads(second.read_text())
    print(f"{first.name} ({small['rows']:,}) -> {second.name} ({large['rows']:,})")
    print(f"{'shape':<28} {'share':>7} {'share':>7} {'kept':>6}  goal >= {KEEP_GOAL:.0%}")
    for shape, before, after, kept in compare(small, large):
        verdict = "ok" if kept >= KEEP_GOAL else "MISS"
        print(f"{shape[:28]:<28} {before:>7.4f} {after:>7.4f} {kept:>6.0%}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
