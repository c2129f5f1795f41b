"""Builds results/coverage.json, coverage.html, summary.html and a history entry after a run.

python -m tooling.report.report [results] [--no-history]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tooling.report import coverage, coverage_html, history, outcomes, summary
from tooling.report.timings import over_budget, read_budgets

ROOT = Path(__file__).resolve().parents[2]
BUDGETS = ROOT / "resources" / "budgets.yaml"


def flaky_of(results: Path) -> list[str]:
    """The flaky tests the run wrapper found (results/flaky.json), or none."""
    path = results / "flaky.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def build(results: Path, keep_history: bool = True) -> dict[str, Any]:
    """Writes every report of the run in `results`; returns the coverage report."""
    report = coverage.build(results / "coverage")
    (results / "coverage.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (results / "coverage.html").write_text(coverage_html.render(report), encoding="utf-8")
    budgets = read_budgets(BUDGETS)
    run = outcomes.run_of(results / "output.xml", flaky_of(results))
    trend_images: list[str] = []
    if keep_history:
        history.append(results / "history", history.entry(run, report))
        trend_images = history.charts(results / "history")
    page = summary.render(results, run, report, budgets, trend_images)
    (results / "summary.html").write_text(page, encoding="utf-8")
    _print(run, report, budgets, results)
    return report


def _print(
    run: dict[str, Any], report: dict[str, Any], budgets: dict[str, Any], results: Path
) -> None:
    figs = report["figures"]
    counts = run["counts"]
    print(
        f"Tests: {counts['passed']} passed, {counts['failed']} failed, {counts['flaky']} flaky, "
        f"{counts['skipped']} skipped in {run['seconds']:.0f} s"
    )
    print(
        "Coverage: "
        + ", ".join(
            f"{k.replace('_', ' ')} {v['percent']}% ({v['seen']}/{v['total']})"
            for k, v in figs.items()
        )
    )
    for line in over_budget(report["timings"], budgets):
        print(f"WARN over budget: {line}")
    print(f"Summary: {results.resolve() / 'summary.html'}")


def main() -> None:
    """Command line: the results folder, and whether to add to the history."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", nargs="?", default="results", type=Path)
    parser.add_argument("--no-history", action="store_true")
    args = parser.parse_args()
    build(args.results, keep_history=not args.no_history)


if __name__ == "__main__":
    main()
