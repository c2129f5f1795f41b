"""results/coverage.html: operations with their statuses and tests, transitions seen or not."""

from __future__ import annotations

from typing import Any

from tooling.report.html import figure, mark, page, percent, table, text


def _status_cell(status: str, tests: list[str] | None, documented: bool) -> str:
    label = text(status) if documented else f"{text(status)} <span class='warn'>undocumented</span>"
    if not tests:
        return f"<span class='fail'>{label}</span>"
    items = "".join(f"<li>{text(t)}</li>" for t in tests)
    summary = f"<summary class='pass'>{label} ({len(tests)} tests)</summary>"
    return f"<details>{summary}<ul>{items}</ul></details>"


def _operation_row(row: dict[str, Any]) -> list[str]:
    cells = [_status_cell(s, row["seen"].get(s), True) for s in row["documented"]]
    cells += [_status_cell(s, row["seen"][s], False) for s in row["undocumented"]]
    return [
        f"{mark(bool(row['seen']), 'reached', 'NOT REACHED')} {text(row['operation'])}"
        f"<br><span class='muted'>{text(row['summary'])}</span>",
        str(row["calls"]),
        "".join(cells),
        text(", ".join(row["missing"])) or "<span class='pass'>none</span>",
        text(", ".join(row["errors_seen"])),
    ]


def render(report: dict[str, Any]) -> str:
    """The coverage page of `report` (tooling.report.coverage.build)."""
    figs = report["figures"]
    floors = report["gate"]["floors"]
    body = [
        figure(
            "operations",
            percent(figs["operations"]),
            figs["operations"]["percent"] >= floors["operations"],
        ),
        figure(
            "documented error statuses",
            percent(figs["error_statuses"]),
            figs["error_statuses"]["percent"] >= floors["error_statuses"],
        ),
        figure("all documented statuses", percent(figs["statuses"])),
        figure(
            "operations with an error answer seen", percent(figs["operations_with_an_error_seen"])
        ),
        figure(
            "transitions",
            percent(figs["transitions"]),
            figs["transitions"]["percent"] >= floors["transitions"],
        ),
    ]
    failures = report["gate"]["failures"]
    body.append(
        "<p class='fail'>Gate fails: " + text("; ".join(failures)) + "</p>"
        if failures
        else "<p class='pass'>Gate passes.</p>"
    )
    if not report["state_recorded"]:
        body.append("<p class='warn'>No state transitions were recorded (no database read).</p>")
    body.append("<h2>Operations</h2>")
    body.append(
        table(
            [
                "operation",
                "calls",
                "statuses (seen green, never seen red)",
                "missing",
                "errors seen",
            ],
            (_operation_row(r) for r in report["operations"]),
        )
    )
    moves = report["transitions"]
    body.append(f"<h2>Payment transitions {percent(figs['payment_transitions'])}</h2>")
    body.append(
        table(
            ["from", "to", ""],
            (
                [text(m["from"] or "(created)"), text(m["to"]), mark(m["seen"])]
                for m in moves["payments"]
            ),
        )
    )
    body.append(f"<h2>Listing transitions {percent(figs['listing_transitions'])}</h2>")
    body.append(
        table(
            ["action", "from", "to", ""],
            (
                [text(m["action"]), text(m["from"] or "(new)"), text(m["to"]), mark(m["seen"])]
                for m in moves["listings"]
            ),
        )
    )
    if moves["unexpected"]:
        body.append("<h2 class='fail'>Moves the state machines do not allow</h2>")
        body.append(table(["move"], ([text(m)] for m in moves["unexpected"])))
    body.append("<h2>Requests no operation documents</h2>")
    body.append(
        table(
            ["method", "path", "status", "count"],
            (
                [text(u["method"]), text(u["path"]), text(u["status"]), text(u["count"])]
                for u in report["unmatched"]
            ),
        )
    )
    return page("API coverage", body)
