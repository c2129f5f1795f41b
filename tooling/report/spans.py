"""The spans a run's processes wrote as OTLP JSON lines, read back as plain records.

Every process of a traced run (the suite, each gunicorn worker) appends one
ExportTraceServiceRequest per line to `results/traces/<service>-<pid>.jsonl`
(api_server/observability/tracing.py). The journey of a test (journey.py) and the time split
of the summary (time_split.py) read them here; `TraceIndex` reads each file incrementally,
because the listener asks again at the end of every test while the files keep growing.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# OTLP's SpanKind numbers (opentelemetry-proto trace.proto), by the names used here.
KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
STATUSES = {0: "unset", 1: "ok", 2: "error"}
_TRACE_ID = re.compile(r'"traceId":\s*"([0-9a-f]{32})"')


@dataclass(frozen=True)
class Event:
    """Something that happened inside a span: a state change, an audit row, a failed keyword."""

    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Span:
    """One span, with the service (process) that recorded it."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: str
    start_ns: int
    end_ns: int
    service: str
    attributes: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    status_code: str = "unset"
    status_message: str = ""
    links: tuple[tuple[str, str], ...] = ()

    @property
    def ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6

    @property
    def is_statement(self) -> bool:
        """A SQL statement (the psycopg2 instrumentation's client span)."""
        return self.kind == "client" and "db.system" in self.attributes


def children_of(spans: Iterable[Span]) -> dict[str, list[Span]]:
    """Each span id's children, in the order given."""
    children: dict[str, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent_id, []).append(span)
    return children


def texts_of(span: Span) -> Iterator[str]:
    """Every text a span carries: its name, attribute values, events and status message."""
    yield span.name
    yield span.status_message
    for attributes in (span.attributes, *(e.attributes for e in span.events)):
        for value in attributes.values():
            yield from (str(v) for v in (value if isinstance(value, list) else [value]))


def value_of(value: dict[str, Any]) -> Any:
    """An OTLP AnyValue as Python (intValue comes as a string in OTLP JSON)."""
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [value_of(v) for v in value["arrayValue"].get("values", [])]
    return None


def attributes_of(pairs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {pair["key"]: value_of(pair.get("value", {})) for pair in pairs}


def _span(raw: dict[str, Any], service: str) -> Span:
    status = raw.get("status") or {}
    code = status.get("code", 0)
    return Span(
        trace_id=raw["traceId"],
        span_id=raw["spanId"],
        parent_id=raw.get("parentSpanId", ""),
        name=raw.get("name", ""),
        kind=KINDS.get(int(raw.get("kind", 0)), "unspecified"),
        start_ns=int(raw["startTimeUnixNano"]),
        end_ns=int(raw["endTimeUnixNano"]),
        service=service,
        attributes=attributes_of(raw.get("attributes", [])),
        events=tuple(
            Event(e.get("name", ""), int(e["timeUnixNano"]), attributes_of(e.get("attributes", [])))
            for e in raw.get("events", [])
        ),
        status_code=STATUSES.get(code, str(code)) if isinstance(code, int) else str(code).lower(),
        status_message=status.get("message", ""),
        links=tuple((link["traceId"], link["spanId"]) for link in raw.get("links", [])),
    )


def spans_of_line(line: str) -> Iterator[Span]:
    """The spans of one ExportTraceServiceRequest line."""
    request = json.loads(line)
    for resource_spans in request.get("resourceSpans", []):
        resource = attributes_of(resource_spans.get("resource", {}).get("attributes", []))
        service = str(resource.get("service.name", "unknown"))
        for scope_spans in resource_spans.get("scopeSpans", []):
            for raw in scope_spans.get("spans", []):
                yield _span(raw, service)


def read_spans(folder: Path) -> list[Span]:
    """Every span of every file in `folder` (none when the run was not traced)."""
    index = TraceIndex()
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        index.feed_file(path)
    return index.all()


class TraceIndex:
    """Spans by trace, fed from growing files: each call reads only what was appended since.

    Every process of a parallel run asks for its own tests' traces, and the files hold every
    process's: a line is only filed under its trace id (and the traces it links to) when read,
    and parsed the first time its trace is asked for.
    """

    def __init__(self) -> None:
        self._offsets: dict[Path, int] = {}
        self._lines: dict[str, list[str]] = defaultdict(list)
        self._parsed: dict[str, list[Span]] = {}
        self._linked: dict[str, set[str]] = defaultdict(set)

    def feed_file(self, path: Path) -> None:
        with path.open("rb") as stream:
            stream.seek(self._offsets.get(path, 0))
            data = stream.read()
        # A line still being written has no newline yet: it is read next time, whole.
        complete = data[: data.rfind(b"\n") + 1]
        self._offsets[path] = self._offsets.get(path, 0) + len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            if line.strip():
                self._file(line)

    def _file(self, line: str) -> None:
        # The exporter writes one span a line, its own traceId first and its links' after.
        ids = _TRACE_ID.findall(line)
        if not ids:
            return
        own = ids[0]
        self._lines[own].append(line)
        if '"links"' in line:
            for linked in set(ids[1:]) - {own}:
                self._linked[linked].add(own)

    def trace(self, trace_id: str) -> list[Span]:
        spans = self._parsed.setdefault(trace_id, [])
        spans += [s for line in self._lines.pop(trace_id, []) for s in spans_of_line(line)]
        return sorted(spans, key=lambda s: s.start_ns)

    def linked_to(self, trace_id: str) -> list[Span]:
        """The whole traces of background work linked to `trace_id` (a reconciliation's look)."""
        return [s for other in sorted(self._linked.get(trace_id, ())) for s in self.trace(other)]

    def all(self) -> list[Span]:
        return [s for trace_id in list({*self._lines, *self._parsed}) for s in self.trace(trace_id)]
