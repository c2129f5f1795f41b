"""A listener (API v3) that gives every test one trace and draws its journey in log.html.

Each test is the root span of its own trace (W3C Trace Context). Every `requests` call of
the Robot process while the test runs (RequestsLibrary, the Python keyword libraries) is a
client span of it and sends its `traceparent`, so the API's spans, the gateways' webhooks
(the sandboxes send back the traceparent of the call that caused them) and the outbox's mail
join the same trace. When the test ends, the spans every process of the run wrote to
`OTEL_TRACES_DIR` are read and drawn into the test's body in log.html: a sequence diagram
(SVG, no script) and the same rows as a table (tooling/report/journey.py).

Off unless `OTEL_TRACES_DIR` is set (make run and make test set it to results/traces); with
`OTEL_EXPORTER_OTLP_ENDPOINT` set too the spans also go to that collector.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn

from api_server.observability.tracing import Tracing, from_env
from robot import result, running
from tooling.report import journey
from tooling.report.spans import Span, TraceIndex, texts_of

# How long the end of a test waits for the API's last spans: a server span is written just
# after its response is sent, so the test can end a moment before the file has it.
SETTLE_SECONDS = 1.0
_POLL = 0.02
# The stack's own secrets: a test whose spans hold one of them fails (the patterns of
# tooling/report/trace_check/ find the rest of them, such as tokens, over the whole run).
SECRET_SETTINGS = (
    "JWT_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "FLUTTERWAVE_SECRET_KEY",
    "FLUTTERWAVE_SECRET_HASH",
)
# Which service the suite called, by the base URL the stack's settings give.
_PEERS = (
    ("API_URL", "api"),
    ("STRIPE_API_BASE", "stripe"),
    ("FLUTTERWAVE_API_BASE", "flutterwave"),
    ("MAIL_API_URL", "mail"),
)


class Journey:
    """One trace per test, and its picture at the end of the test."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self) -> None:
        self._folder = os.environ.get("OTEL_TRACES_DIR", "")
        # Stable HTTP attribute names, as the API's (read once, when requests is instrumented).
        os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
        self._tracing: Tracing = from_env(os.environ, "suite") if self._folder else Tracing(None)
        # The stack may start inside this process (a suite's setup): its URLs, Robot variables
        # by then, are read again as each test starts.
        self._bases: tuple[tuple[str, str], ...] = ()
        self._secrets: dict[str, str] = {}
        self._tracing.instrument_requests(lambda: self._bases)
        # The suite's database checks are steps of the journey too.
        self._tracing.instrument_psycopg2()
        self._tracer = self._tracing.tracer("robot")
        self._span: trace.Span | None = None
        self._token: Any = None
        self._failed_keyword = False
        self._index: TraceIndex | None = None

    def start_test(self, data: running.TestCase, result: result.TestCase) -> None:
        if not self._tracing.enabled:
            return
        self._bases = _peers()
        self._secrets = {name: _setting(name) for name in SECRET_SETTINGS}
        self._span = self._tracer.start_span(
            data.name,
            kind=SpanKind.INTERNAL,
            attributes={"robot.test": data.longname, "robot.tags": list(data.tags)},
        )
        self._token = context.attach(trace.set_span_in_context(self._span))
        self._failed_keyword = False

    def end_keyword(self, data: running.Keyword, result: result.Keyword) -> None:
        if self._span is None or self._failed_keyword or not result.failed:
            return
        # The innermost keyword that failed first ends first: it is where the journey broke.
        self._failed_keyword = True
        self._span.add_event(
            "robot.keyword.failed",
            {"keyword": result.full_name, "message": result.message[:500]},
        )

    def end_test(self, data: running.TestCase, result: result.TestCase) -> None:
        span, self._span = self._span, None
        if span is None:
            return
        if result.failed:
            span.set_status(Status(StatusCode.ERROR, result.message[:500]))
        span.end()
        context.detach(self._token)
        trace_id = format(span.get_span_context().trace_id, "032x")
        spans = self._spans_of(trace_id)
        leaked = _leaked(spans, self._secrets)
        if leaked:
            result.status = "FAIL"
            result.message = f"The test's spans hold {', '.join(leaked)}. {result.message}".strip()
        logger.info(
            journey.render(spans, failed=result.failed, failure=result.message or None),
            html=True,
        )

    def close(self) -> None:
        self._tracing.shutdown()

    def _spans_of(self, trace_id: str) -> list[Span]:
        """The trace's spans from every process's file, once the API has written its own."""
        if self._index is None:
            self._index = TraceIndex()
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            for path in sorted(Path(self._folder).glob("*.jsonl")):
                self._index.feed_file(path)
            spans = self._index.trace(trace_id) + self._index.linked_to(trace_id)
            if _answered(spans) or time.monotonic() >= deadline:
                return spans
            time.sleep(_POLL)


def _setting(name: str) -> str:
    """A setting of the stack, as the suite's variables (or the environment) give it."""
    return str(BuiltIn().get_variable_value(f"${{{name}}}") or os.environ.get(name) or "")


def _peers() -> tuple[tuple[str, str], ...]:
    """Each service's base URL."""
    bases = ((_setting(name).rstrip("/"), peer) for name, peer in _PEERS)
    return tuple((base, peer) for base, peer in bases if base)


def _leaked(spans: list[Span], secrets: dict[str, str]) -> list[str]:
    """The names of the settings whose exact value a span carries (never the value)."""
    values = {name: value for name, value in secrets.items() if len(value) >= 8}
    found = {
        name
        for span in spans
        for text in texts_of(span)
        for name, value in values.items()
        if value in text
    }
    return sorted(found)


def _answered(spans: list[Span]) -> bool:
    """Every call the suite made to the API has the API's server span in the files."""
    served = {s.parent_id for s in spans if s.kind == "server" and s.service == "api"}
    calls = [
        s
        for s in spans
        if s.service == "suite" and s.kind == "client" and s.attributes.get("peer.service") == "api"
    ]
    return all(c.span_id in served for c in calls)
