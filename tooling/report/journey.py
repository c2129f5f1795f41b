"""A test's journey from its trace: a sequence diagram (inline SVG) and the same rows as a table.

The Journey listener (keywords/listeners/Journey.py) hands over the spans of the test's trace
when the test ends, and logs what `render` returns into the test's body in log.html. Lanes are
the parties of a payment: the suite, the API, the database, Stripe, Flutterwave and mail. A
call is an arrow with its status and duration; a webhook comes back from its gateway; payment
and listing transitions and audit rows are notes on the lane that made them. SQL statements
are folded into their transaction's arrow (the table lists them). A failed test shows the
keyword that failed where it failed, and which step each lane did last before it.

Everything is drawn at the end of the test, as markup only: the log needs no script to show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from html import escape

from tooling.report.spans import Span, children_of
from tooling.report.time_split import split_of_test

LANES = ("suite", "api", "database", "stripe", "flutterwave", "mail")
# Longer journeys are cut in the picture (the table keeps every row).
MAX_ROWS = 160
_LANE_WIDTH = 92
_ROW = 17
_TOP = 30
_LABEL_X = _LANE_WIDTH * len(LANES) + 10
_WIDTH = _LABEL_X + 560
_STATEMENT_CHARS = 140
_LABEL_CHARS = 92


@dataclass(frozen=True)
class Step:
    """One row of the journey: an arrow between lanes, or a note on one lane."""

    at_ns: int
    source: str
    target: str
    label: str
    status: str = ""
    ms: float | None = None
    kind: str = "call"  # call | webhook | note | failure | detail
    error: bool = False
    last: bool = False

    @property
    def drawn(self) -> bool:
        return self.kind != "detail"


def _status(span: Span) -> str:
    code = span.attributes.get("http.response.status_code")
    return str(code) if code is not None else ""


def _failed(span: Span) -> bool:
    status = _status(span)
    return span.status_code == "error" or (status.isdigit() and int(status) >= 400)


def _lane_of(service: str) -> str:
    return "suite" if service == "suite" else "api"


def _path_of(span: Span) -> str:
    url = str(span.attributes.get("url.full", ""))
    path = url.split("://", 1)[-1].partition("/")[2]
    return "/" + path if path else ""


def _served(span: Span, children: dict[str, list[Span]]) -> Span | None:
    """The API's server span answering a client span of the suite, if the API recorded it."""
    return next((c for c in children.get(span.span_id, []) if c.kind == "server"), None)


def _client_step(span: Span, children: dict[str, list[Span]]) -> Step:
    peer = str(span.attributes.get("peer.service", ""))
    target = peer if peer in LANES else "api"
    if span.name == "smtp send":
        label = f"mail: {span.attributes.get('mail.subject', '')}"
    else:
        # The API names the operation by its route; a sandbox's answer is named by its path.
        server = _served(span, children) if target == "api" else None
        label = server.name if server is not None else f"{span.name} {_path_of(span)}".strip()
    return Step(
        span.start_ns,
        _lane_of(span.service),
        target,
        label,
        _status(span) or ("error" if span.status_code == "error" else ""),
        span.ms,
        error=_failed(span),
    )


def _server_step(span: Span, by_id: dict[str, Span]) -> Step | None:
    """A request the API served that nobody in the trace sent it directly: a webhook."""
    parent = by_id.get(span.parent_id)
    if parent is not None and parent.attributes.get("peer.service") == "api":
        return None  # drawn as the suite's call
    provider = str(span.attributes.get("webhook.provider", ""))
    if not provider and parent is not None:
        provider = str(parent.attributes.get("peer.service", ""))
    source = provider if provider in LANES else "suite"
    event = span.attributes.get("webhook.event")
    label = f"webhook {event}" if event else span.name
    return Step(
        span.start_ns, source, "api", label, _status(span), span.ms, "webhook", _failed(span)
    )


def _transaction_step(span: Span, children: dict[str, list[Span]]) -> list[Step]:
    statements = [c for c in children.get(span.span_id, []) if c.is_statement]
    verbs = " ".join(dict.fromkeys(s.name for s in statements)) or "no statement"
    head = Step(
        span.start_ns,
        "api",
        "database",
        f"transaction: {len(statements)} × {verbs}"[:_LABEL_CHARS],
        "rolled back" if span.status_code == "error" else "",
        span.ms,
        error=span.status_code == "error",
    )
    return [head] + [_statement_step(s) for s in statements]


def _statement_step(span: Span) -> Step:
    statement = " ".join(str(span.attributes.get("db.statement", span.name)).split())
    lane = _lane_of(span.service)
    return Step(
        span.start_ns, lane, "database", statement[:_STATEMENT_CHARS], "", span.ms, "detail"
    )


def _event_steps(span: Span) -> list[Step]:
    steps = []
    for event in span.events:
        a = event.attributes
        if event.name in ("payment.transition", "listing.transition"):
            thing = event.name.split(".")[0]
            cause = f" ({a['cause']})" if a.get("cause") else ""
            label = f"{thing} {a.get('from') or 'new'} → {a.get('to')}{cause}"
        elif event.name == "audit":
            label = f"audit {a.get('action')} {a.get('target_type', '')}"
        elif event.name == "robot.keyword.failed":
            label = f"FAILED {a.get('keyword', '')}: {a.get('message', '')}"
            steps.append(Step(event.time_ns, "suite", "suite", label, kind="failure", error=True))
            continue
        else:
            continue
        lane = _lane_of(span.service)
        steps.append(Step(event.time_ns, lane, lane, label, kind="note"))
    return steps


def steps_of(spans: Sequence[Span]) -> list[Step]:
    """The journey's rows in time order."""
    by_id = {s.span_id: s for s in spans}
    children = children_of(spans)
    steps: list[Step] = []
    for span in spans:
        if span.name == "db.transaction":
            steps += _transaction_step(span, children)
        elif span.is_statement:
            if by_id.get(span.parent_id, span).name != "db.transaction":
                steps.append(replace(_statement_step(span), kind="call"))
        elif span.kind == "client":
            steps.append(_client_step(span, children))
        elif span.kind == "server":
            step = _server_step(span, by_id)
            if step is not None:
                steps.append(step)
        elif span.name == "reconcile.payment":
            label = f"reconcile payment {span.attributes.get('payment.id', '')}"
            steps.append(Step(span.start_ns, "api", "api", label, "", span.ms, "note"))
        steps += _event_steps(span)
    return sorted(steps, key=lambda s: s.at_ns)


def _root(spans: Sequence[Span]) -> Span | None:
    return next((s for s in spans if s.service == "suite" and not s.parent_id), None)


def with_failure(steps: list[Step], root: Span | None, failure: str | None) -> list[Step]:
    """The failed step marked where it happened, and each lane's last step before it."""
    failures = [s for s in steps if s.kind == "failure"]
    if not failures:
        at = root.end_ns if root is not None else (steps[-1].at_ns if steps else 0)
        label = f"FAILED: {failure or 'the test failed'}"
        failures = [Step(at, "suite", "suite", label, kind="failure", error=True)]
        steps = [*steps, failures[0]]
    at = failures[0].at_ns
    last: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step.drawn and step.kind != "failure" and step.at_ns <= at:
            last[step.source] = i
            last[step.target] = i
    marked = set(last.values())
    return [replace(s, last=True) if i in marked else s for i, s in enumerate(steps)]


def _x(lane: str) -> int:
    return LANES.index(lane) * _LANE_WIDTH + _LANE_WIDTH // 2


def _color(step: Step) -> str:
    if step.error:
        return "#c62828"
    return {"webhook": "#6a1b9a", "note": "#2e7d32"}.get(step.kind, "#1f4e79")


def _row_svg(y: int, step: Step) -> str:
    color = _color(step)
    parts = []
    if step.last:
        parts.append(
            f"<rect x='0' y='{y - _ROW + 4}' width='{_WIDTH}' height='{_ROW}' fill='#fff3cd'/>"
        )
    if step.source == step.target:
        x = _x(step.source)
        shape = "▲" if step.kind == "failure" else "●"
        parts.append(f"<text x='{x}' y='{y}' text-anchor='middle' fill='{color}'>{shape}</text>")
    else:
        x1, x2 = _x(step.source), _x(step.target)
        dash = " stroke-dasharray='4 2'" if step.kind == "webhook" else ""
        # The head is drawn, not a marker: a marker is looked up by id across the whole log,
        # and one defined in a collapsed keyword's SVG does not render.
        tip = x2 - 6 if x2 > x1 else x2 + 6
        parts.append(
            f"<line x1='{x1}' y1='{y - 4}' x2='{x2}' y2='{y - 4}' stroke='{color}'"
            f" stroke-width='1.4'{dash}/><polygon points='{x2},{y - 4} {tip},{y - 7}"
            f" {tip},{y - 1}' fill='{color}'/>"
        )
        if step.status:
            mid = (x1 + x2) // 2
            parts.append(
                f"<text x='{mid}' y='{y - 7}' text-anchor='middle' font-size='9'"
                f" fill='{color}'>{escape(step.status)}</text>"
            )
    timing = f"{step.ms:.0f} ms · " if step.ms is not None else ""
    label = escape((timing + step.label)[:_LABEL_CHARS])
    weight = " font-weight='bold'" if step.error or step.last else ""
    parts.append(f"<text x='{_LABEL_X}' y='{y}' fill='{color}'{weight}>{label}</text>")
    title = escape(f"{step.source} → {step.target}: {step.label} {step.status}".strip())
    return f"<g><title>{title}</title>{''.join(parts)}</g>"


def folded(steps: Sequence[Step]) -> list[Step]:
    """Repeats in a row drawn once ("16 × SELECT ..."): a poll reads as one step."""
    rows: list[tuple[Step, int]] = []
    for step in steps:
        if rows and _same(rows[-1][0], step):
            first, count = rows[-1]
            total = (first.ms or 0) + (step.ms or 0) if first.ms is not None else None
            rows[-1] = (replace(first, ms=total, last=first.last or step.last), count + 1)
        else:
            rows.append((step, 1))
    return [s if n == 1 else replace(s, label=f"{n} × {s.label}") for s, n in rows]


def _same(a: Step, b: Step) -> bool:
    keys = ("source", "target", "label", "status", "kind", "error")
    return a.kind != "failure" and all(getattr(a, k) == getattr(b, k) for k in keys)


def svg(steps: Sequence[Step]) -> str:
    """The sequence diagram of the drawn steps (the first MAX_ROWS)."""
    drawn = folded([s for s in steps if s.drawn])
    shown = drawn[:MAX_ROWS]
    height = _TOP + _ROW * (len(shown) + (2 if len(drawn) > len(shown) else 1))
    head = "".join(
        f"<text x='{_x(lane)}' y='14' text-anchor='middle' font-weight='bold'>{lane}</text>"
        f"<line x1='{_x(lane)}' y1='20' x2='{_x(lane)}' y2='{height}' stroke='#bbb'"
        " stroke-dasharray='2 3'/>"
        for lane in LANES
    )
    rows = "".join(_row_svg(_TOP + _ROW * (i + 1), s) for i, s in enumerate(shown))
    if len(drawn) > len(shown):
        rows += (
            f"<text x='{_LABEL_X}' y='{height - 4}' fill='#777'>… "
            f"{len(drawn) - len(shown)} more steps in the table</text>"
        )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_WIDTH}' height='{height}'"
        f" font-family='monospace' font-size='11' role='img' aria-label='journey'>"
        f"{head}{rows}</svg>"
    )


def table(steps: Sequence[Step], start_ns: int) -> str:
    """The same rows as text, SQL statements included."""
    rows = "".join(
        "<tr"
        + (" style='color:#c62828'" if s.error else "")
        + (" style='background:#fff3cd'" if s.last and not s.error else "")
        + f"><td>+{(s.at_ns - start_ns) / 1e6:.1f}</td><td>{escape(s.source)}</td>"
        f"<td>{escape(s.target)}</td><td>{escape(s.kind)}</td><td>{escape(s.label)}</td>"
        f"<td>{escape(s.status)}</td><td>{'' if s.ms is None else f'{s.ms:.1f}'}</td></tr>"
        for s in steps
    )
    head = "".join(f"<th>{h}</th>" for h in ("ms", "from", "to", "kind", "what", "status", "took"))
    return f"<table border='1' style='border-collapse:collapse;font-size:11px'>{head}{rows}</table>"


def _lasts(steps: Sequence[Step]) -> str:
    lasts = {}
    for step in steps:
        if step.last:
            for lane in {step.source, step.target}:
                lasts[lane] = f"{step.label} {step.status}".strip()
    items = "".join(
        f"<li><b>{lane}</b>: {escape(lasts[lane])}</li>" for lane in LANES if lane in lasts
    )
    return f"<p>Last step of each lane before the failure:</p><ul>{items}</ul>" if items else ""


def render(spans: Sequence[Span], failed: bool = False, failure: str | None = None) -> str:
    """The journey of one test as HTML for log.html: the picture, then the table."""
    if not spans:
        return "<p>Journey: no spans were recorded for this test.</p>"
    steps = steps_of(spans)
    root = _root(spans)
    if failed:
        steps = with_failure(steps, root, failure)
    start = min(s.start_ns for s in spans)
    split = split_of_test(spans)
    summary = (
        f"Journey: {len(spans)} spans, trace {escape(spans[0].trace_id)} · "
        f"API {split.api_ms:.0f} ms (database {split.database_ms:.0f} ms, gateways "
        f"{split.gateways_ms:.0f} ms) of the suite's {split.suite_ms:.0f} ms"
    )
    return (
        f"<div class='journey'><p><b>{summary}</b></p>{svg(steps)}"
        f"{_lasts(steps) if failed else ''}"
        f"<details><summary>The journey as a table ({len(steps)} rows)</summary>"
        f"{table(steps, start)}</details></div>"
    )
