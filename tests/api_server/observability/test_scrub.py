"""What never leaves the process in a span (api_server/observability/scrub.py)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api_server.observability.scrub import REDACTED, ScrubbingExporter, scrub_text
from api_server.observability.tracing import from_env

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("/api/users/verify?token=abc123&x=1", f"/api/users/verify?token={REDACTED}&x=1"),
        ("http://h/x?a=1&password=hunter2", f"http://h/x?a=1&password={REDACTED}"),
        # url.query is the query without its "?": the first parameter starts the text.
        ("token=abc123&x=1", f"token={REDACTED}&x=1"),
        ("x=1&next_token=abc", "x=1&next_token=abc"),
        (
            "http://h/checkout/tok_9f8e7d?outcome=successful",
            f"http://h/checkout/{REDACTED}?outcome=successful",
        ),
        ("http://h/momo/abc", f"http://h/momo/{REDACTED}"),
        (f"refresh {JWT} now", f"refresh {REDACTED} now"),
        ("Authorization: Bearer sk_test_123", f"Authorization: Bearer {REDACTED}"),
        ("/api/payments/42/confirm", "/api/payments/42/confirm"),
    ],
)
def test_secrets_in_text(text: str, scrubbed: str) -> None:
    assert scrub_text(text) == scrubbed


def test_the_exporter_sees_only_scrubbed_spans() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(memory)))
    with provider.get_tracer("t").start_as_current_span(
        "GET /checkout/tok_1",
        attributes={
            "url.full": "http://h/api/users/reset?token=s3cret",
            "http.request.header.authorization": ("Bearer x",),
            "http.response.status_code": 200,
        },
    ) as span:
        span.add_event("audit", {"note": f"token {JWT}"})
    (exported,) = memory.get_finished_spans()
    assert exported.name == f"GET /checkout/{REDACTED}"
    assert dict(exported.attributes or {}) == {
        "url.full": f"http://h/api/users/reset?token={REDACTED}",
        "http.response.status_code": 200,
    }
    assert exported.events[0].attributes == {"note": f"token {REDACTED}"}


def test_tracing_is_off_unless_asked_for(tmp_path) -> None:
    assert not from_env({}, "api").enabled
    assert not from_env(
        {"OTEL_TRACES_DIR": str(tmp_path), "OTEL_SDK_DISABLED": "true"}, "api"
    ).enabled
    tracing = from_env({"OTEL_TRACES_DIR": str(tmp_path)}, "api")
    assert tracing.enabled
    with tracing.tracer().start_as_current_span("work"):
        pass
    tracing.shutdown()
    (written,) = tmp_path.glob("api-*.jsonl")
    assert '"name":"work"' in written.read_text()
    assert '"stringValue":"api"' in written.read_text()  # service.name


def test_ids_do_not_repeat_when_the_random_module_is_seeded(tmp_path) -> None:
    import random

    tracing = from_env({"OTEL_TRACES_DIR": str(tmp_path)}, "t")
    ids = set()
    for _ in range(3):
        random.seed(0)  # as Hypothesis does before each example
        with tracing.tracer().start_as_current_span("x") as span:
            ids.add(span.get_span_context().trace_id)
    tracing.shutdown()
    assert len(ids) == 3


def test_with_an_endpoint_the_spans_go_to_a_collector_over_otlp_http(monkeypatch) -> None:
    """What a collector, Jaeger or Tempo receives: OTLP/HTTP protobuf on /v1/traces, scrubbed."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    # The exporter reads the standard variables itself, as in any OpenTelemetry service.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    tracing = from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, "api")
    with tracing.tracer().start_as_current_span(
        "GET /api/users/verify", attributes={"url.query": "token=abc123"}
    ):
        pass
    tracing.shutdown()
    server.shutdown()
    ((path, content_type, body),) = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    (span,) = request.resource_spans[0].scope_spans[0].spans
    assert span.name == "GET /api/users/verify"
    assert {a.key: a.value.string_value for a in span.attributes} == {
        "url.query": f"token={REDACTED}"
    }
