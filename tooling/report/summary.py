"""results/summary.html: the page a tester opens first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tooling.report import instruments, time_split
from tooling.report.charts import bars
from tooling.report.html import figure, page, percent, table, text
from tooling.report.timings import budget_of, over_budget

SLOWEST = 15


def _log_link(test: dict[str, Any]) -> str:
    return f"<a href='log.html#{text(test['id'])}'>{text(test['name'])}</a>"


def _tests_section(title: str, tests: list[dict[str, Any]], css: str) -> list[str]:
    if not tests:
        return []
    rows = ([_log_link(t), text(t["message"])] for t in tests)
    return [
        f"<h2 class='{css}'>{text(title)} ({len(tests)})</h2>",
        table(["test", "message"], rows),
    ]


def _charts(
    folder: Path, run: dict[str, Any], coverage: dict[str, Any], budgets: dict[str, Any]
) -> list[str]:
    figs = coverage["figures"]
    names = ["operations", "error_statuses", "statuses", "transitions"]
    images = [
        bars(
            folder / "summary-coverage.png",
            names,
            [figs[n]["percent"] for n in names],
            "% covered",
            90,
        )
    ]
    timings = sorted(coverage["timings"].items(), key=lambda kv: kv[1]["p95"], reverse=True)[
        :SLOWEST
    ]
    if timings:
        images.append(
            bars(
                folder / "summary-operations.png",
                [op for op, _ in timings],
                [row["p95"] for _, row in timings],
                "p95 ms",
                budgets.get("default_p95_ms"),
            )
        )
    tests = sorted(run["tests"], key=lambda t: t["seconds"], reverse=True)[:SLOWEST]
    if tests:
        labels = [t["name"].rsplit(".", 1)[-1][:60] for t in tests]
        images.append(
            bars(folder / "summary-tests.png", labels, [t["seconds"] for t in tests], "seconds")
        )
    return [f"<img src='{name}' alt='{name}'>" for name in images]


def render(
    folder: Path,
    run: dict[str, Any],
    coverage: dict[str, Any],
    budgets: dict[str, Any],
    trend_images: list[str],
) -> str:
    """Writes the charts into `folder` and returns the page."""
    counts = run["counts"]
    figs = coverage["figures"]
    gate_failures = coverage["gate"]["failures"]
    body = [
        "<p><a href='log.html'>log.html</a> · <a href='report.html'>report.html</a> · "
        "<a href='coverage.html'>coverage.html</a> · <a href='coverage.json'>coverage.json</a></p>",
        figure("tests", str(counts["total"])),
        figure("passed", str(counts["passed"]), True),
        figure("failed", str(counts["failed"]), counts["failed"] == 0),
        figure("flaky (passed on re-run)", str(counts["flaky"]), counts["flaky"] == 0),
        figure("skipped", str(counts["skipped"])),
        figure("duration", f"{run['seconds']:.0f} s"),
        "<br>",
        figure("operations", percent(figs["operations"])),
        figure("error statuses", percent(figs["error_statuses"])),
        figure("transitions", percent(figs["transitions"])),
        "<br>",
        *(figure(name, str(count)) for name, count in run.get("instruments", {}).items()),
        # What the pytest instruments did (tooling/report/instruments.py), when they ran beside it.
        *(figure(name, f"{count:,}") for name, count in instruments.totals(folder).items()),
        "<p class='fail'>Coverage gate fails: " + text("; ".join(gate_failures)) + "</p>"
        if gate_failures
        else "<p class='pass'>Coverage gate passes.</p>",
    ]
    flaky = [t for t in run["tests"] if t["name"] in set(run["flaky"])]
    body += _tests_section("Flaky: failed, then passed on the re-run", flaky, "warn")
    body += _tests_section("Failed", [t for t in run["tests"] if t["status"] == "FAIL"], "fail")
    warnings = over_budget(coverage["timings"], budgets)
    if warnings:
        body.append("<h2 class='warn'>Over budget (p95, resources/budgets.yaml)</h2>")
        body.append("<ul>" + "".join(f"<li>{text(w)}</li>" for w in warnings) + "</ul>")
    body.append("<h2>Charts</h2>")
    body += _charts(folder, run, coverage, budgets)
    ops = sorted(coverage["timings"].items(), key=lambda kv: kv[1]["p95"], reverse=True)
    body.append("<h2>Operations by p95 (ms)</h2>")
    body.append(
        table(
            ["operation", "calls", "p50", "p95", "p99", "max", "p95 budget"],
            (
                [
                    text(op),
                    text(int(r["count"])),
                    f"{r['p50']:.1f}",
                    f"{r['p95']:.1f}",
                    f"{r['p99']:.1f}",
                    f"{r['max']:.1f}",
                    text(budget_of(op, budgets)),
                ]
                for op, r in ops
            ),
        )
    )
    body += time_split.section(folder / "traces")
    slow = sorted(run["tests"], key=lambda t: t["seconds"], reverse=True)[:SLOWEST]
    body.append("<h2>Slowest tests</h2>")
    body.append(
        table(
            ["test", "seconds", "status"],
            ([_log_link(t), f"{t['seconds']:.1f}", text(t["status"])] for t in slow),
        )
    )
    if trend_images:
        body.append("<h2>Trends across runs (results/history/)</h2>")
        body += [f"<img src='history/{name}' alt='{name}'>" for name in trend_images]
    return page("Suite summary", body)
