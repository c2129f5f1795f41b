"""Where the time goes, from the spans: the API's own work, the database and the gateways.

Per operation (the API's server spans, named by their route) for summary.html, and per test
for its journey in log.html, so a slow test or operation says why it is slow. The database's
time is its statements' spans; the gateways' is the API's client spans to Stripe and
Flutterwave; what remains of a request is the API's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tooling.report.html import table, text
from tooling.report.spans import Span, children_of, read_spans

GATEWAYS = ("stripe", "flutterwave")
SLOWEST = 25


@dataclass
class Split:
    """Milliseconds spent in each part (summed over calls)."""

    calls: int = 0
    api_ms: float = 0.0
    database_ms: float = 0.0
    gateways_ms: float = 0.0
    suite_ms: float = 0.0

    @property
    def own_ms(self) -> float:
        return max(0.0, self.api_ms - self.database_ms - self.gateways_ms)


def _is_statement(span: Span) -> bool:
    return span.service != "suite" and span.is_statement


def _is_gateway_call(span: Span) -> bool:
    return (
        span.service != "suite"
        and span.kind == "client"
        and span.attributes.get("peer.service") in GATEWAYS
    )


def _add_parts(split: Split, spans: Sequence[Span]) -> None:
    split.database_ms += sum(s.ms for s in spans if _is_statement(s))
    split.gateways_ms += sum(s.ms for s in spans if _is_gateway_call(s))


def _served(spans: Sequence[Span]) -> list[Span]:
    return [s for s in spans if s.kind == "server" and s.service != "suite"]


def split_of_test(spans: Sequence[Span]) -> Split:
    """One test's time: the suite's, and the API's requests in it with their parts. A request
    served while another waited on a gateway (a webhook the sandbox sent before answering) is
    inside that one's gateway time, and not counted again."""
    split = Split()
    children = children_of(spans)
    inner = _inside(children, _served(spans), requests=True)
    nested = {s.span_id for s in inner if s.kind == "server"}
    served = [s for s in _served(spans) if s.span_id not in nested]
    split.calls = len(served)
    split.api_ms = sum(s.ms for s in served)
    _add_parts(split, _inside(children, served))
    split.suite_ms = sum(s.ms for s in spans if s.service == "suite" and not s.parent_id)
    return split


def _inside(
    children: dict[str, list[Span]], roots: Sequence[Span], requests: bool = False
) -> list[Span]:
    """The spans under `roots` (their descendants, by the trace's `children`); a request served
    meanwhile is another operation, left out with what it did unless `requests`."""
    found: list[Span] = []
    todo = [r.span_id for r in roots]
    while todo:
        for child in children.get(todo.pop(), []):
            if child.kind == "server" and not requests:
                continue
            found.append(child)
            todo.append(child.span_id)
    return found


def by_operation(spans: Sequence[Span]) -> dict[str, Split]:
    """Each API operation's calls and their time split, over every trace given."""
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    splits: dict[str, Split] = {}
    for trace in by_trace.values():
        children = children_of(trace)
        for server in _served(trace):
            split = splits.setdefault(server.name, Split())
            split.calls += 1
            split.api_ms += server.ms
            _add_parts(split, _inside(children, [server]))
    return splits


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def section(traces: Path) -> list[str]:
    """summary.html's "Where the time goes" table (nothing when the run was not traced)."""
    splits = by_operation(read_spans(traces))
    if not splits:
        return []
    ranked = sorted(splits.items(), key=lambda kv: kv[1].api_ms, reverse=True)[:SLOWEST]
    rows = (
        [
            text(op),
            text(s.calls),
            f"{s.api_ms / s.calls:.1f}",
            _share(s.own_ms, s.api_ms),
            _share(s.database_ms, s.api_ms),
            _share(s.gateways_ms, s.api_ms),
            f"{s.api_ms / 1000:.1f}",
        ]
        for op, s in ranked
    )
    headers = ["operation", "calls", "mean ms", "API's own", "database", "gateways", "total s"]
    return [
        "<h2>Where the time goes (from the traces)</h2>",
        "<p class='muted'>Each operation's server time split into the database's statements, "
        "the calls to Stripe and Flutterwave, and the API's own work; the operations that took "
        "the most time in all first. Every test's own split heads its journey in log.html.</p>",
        table(headers, rows),
    ]
