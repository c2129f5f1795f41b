"""results/mutation/index.html: the report.json figures for people."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from tooling.report.html import figure, page, table, text


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value}%"


def _module_rows(report: dict[str, Any]) -> list[list[str]]:
    return [
        [
            text(m),
            text(f["killed"]),
            text(f["timeout"]),
            text(f["killed_by_pytest"]),
            text(f["survived"]),
            text(f["equivalent"]),
            text(f["error"]),
            text(f["not_run"]),
            text(_pct(f["score"])),
            text(_pct(f["score_without_equivalents"])),
        ]
        for m, f in report["modules"].items()
    ]


def _survivor(s: dict[str, Any]) -> str:
    verdict = (
        f"<span class='muted'>equivalent: {text(s['equivalent'])}</span>"
        if s["equivalent"]
        else "<span class='fail'>not listed as equivalent: a gap in the tests</span>"
    )
    return (
        f"<details><summary><code>{text(s['key'])}</code> line {text(s['line_number'])}: {verdict}"
        f"</summary><pre>{escape(s['diff'] or '')}</pre></details>"
    )


def render(report: dict[str, Any]) -> str:
    """The whole page."""
    o, run = report["overall"], report["run"]
    met = report["target"]["met"]
    body = [
        f"<p>Sample {text(run.get('sample'))} of {text(run.get('population'))} mutants "
        f"(seed {text(run.get('seed'))}, {text(len(report['modules']))} modules), "
        f"per-mutant timeout {text(run.get('timeout'))} s; run time {text(run.get('seconds'))} s "
        f"over {text(len(run.get('history', [])))} invocations "
        f"({text(', '.join(h['mode'] for h in run.get('history', [])))}), "
        f"{text(run.get('trial_seconds'))} s of trials, "
        f"mean trial {text(report.get('mean_trial_seconds'))} s.</p>",
        figure(
            "score without equivalents (the target's figure, >= 90%)",
            _pct(o["score_without_equivalents"]),
            met,
        ),
        figure("raw score", _pct(o["score"])),
        figure("killed", str(o["killed"])),
        figure("timed out (counted as killed)", str(o["timeout"])),
        figure("survived", str(o["survived"]), o["survived"] == o["equivalent"]),
        figure("equivalent survivors", str(o["equivalent"])),
        figure("not run (time bound)", str(o["not_run"]), o["not_run"] == 0),
        "<h2>Per module</h2>",
        table(
            [
                "module",
                "killed",
                "timeout",
                "of which pytest",
                "survived",
                "equivalent",
                "error",
                "not run",
                "score",
                "without equivalents",
            ],
            _module_rows(report),
        ),
        "<h2>Survivors</h2>",
        "".join(_survivor(s) for s in report["survivors"]) or "<p>None.</p>",
        "<h2>Left out before sampling</h2>",
        table(["reason", "mutants"], [[text(k), text(v)] for k, v in report["skipped"].items()]),
    ]
    if report["errors"]:
        body += ["<h2>Errors</h2>"] + [
            f"<details><summary>{text(e['key'])}</summary><pre>{text(e['output'])}</pre></details>"
            for e in report["errors"]
        ]
    return page("Mutation score", body)


def write(report: dict[str, Any], path: Path) -> None:
    """Writes index.html."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report))
