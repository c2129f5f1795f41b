"""One process's tracing: the provider, where its spans go, and what it instruments.

Built once at a process's root (the gunicorn worker's `wsgi.py`, a CLI) from the standard
OpenTelemetry variables and passed to what it instruments; the rest of the code only asks the
OpenTelemetry API for the current span. With `OTEL_EXPORTER_OTLP_ENDPOINT` (or its traces
variant) set, spans go to that collector over OTLP/HTTP in batches, as any OpenTelemetry
service's do. With `OTEL_TRACES_DIR` set (`make run` and `make test` set it to the run's
results), each process also writes OTLP JSON lines to `<dir>/<service>-<pid>.jsonl`, span by span,
so a test's journey can be read the moment it ends; with no endpoint, nothing leaves the
machine. With neither,
or `OTEL_SDK_DISABLED=true`, nothing is traced and nothing is paid for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from api_server.observability.scrub import ScrubbingExporter

_PROPAGATOR = TraceContextTextMapPropagator()


class UrandomIdGenerator(IdGenerator):
    """Trace and span ids from the OS's randomness. The SDK's default draws from the `random`
    module, which any code may seed: Hypothesis does for every example it runs, and a suite
    driving the API from a state machine gave two tests the same trace id, span for span."""

    def generate_span_id(self) -> int:
        return _nonzero(8)

    def generate_trace_id(self) -> int:
        return _nonzero(16)


def _nonzero(size: int) -> int:
    while True:  # zero is the invalid id (W3C Trace Context)
        value = int.from_bytes(os.urandom(size), "big")
        if value:
            return value


@dataclass(frozen=True)
class Tracing:
    """The provider (None: tracing off) and which base URLs are which gateway."""

    provider: TracerProvider | None = None
    peers: tuple[tuple[str, str], ...] = ()

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def tracer(self, name: str = "api_server") -> trace.Tracer:
        if self.provider is None:
            return trace.NoOpTracer()
        return self.provider.get_tracer(name)

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        """The WSGI app with a server span around each request, continuing its traceparent."""
        if self.provider is None:
            return app
        from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

        return OpenTelemetryMiddleware(app, tracer_provider=self.provider)

    def instrument_connection(self, connection: Any) -> None:
        """Spans for each statement run on `connection` (its SQL, never its values)."""
        if self.provider is None:
            return
        from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor

        Psycopg2Instrumentor().instrument_connection(connection, tracer_provider=self.provider)

    def instrument_psycopg2(self) -> None:
        """Spans for every psycopg2 connection this process opens from now on (the suite's
        database checks); patches `psycopg2.connect`: call it only at a process's root."""
        if self.provider is None:
            return
        from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor

        Psycopg2Instrumentor().instrument(tracer_provider=self.provider, skip_dep_check=True)

    def instrument_requests(
        self, peers: Callable[[], tuple[tuple[str, str], ...]] | None = None, exclude: str = ""
    ) -> None:
        """Client spans for every `requests` call of this process (Stripe's SDK, Flutterwave),
        each carrying the traceparent; `peer.service` says which gateway was called.
        Patches `requests` for the whole process: call it only at a process's root. `peers`
        names the bases at each call, for a process that learns them later (the suite's).
        `exclude` (comma-separated URL patterns) leaves alone calls that carry a traceparent
        of their own: a sandbox's webhooks, when the sandbox shares the process (tests)."""
        if self.provider is None:
            return
        from opentelemetry.instrumentation.requests import RequestsInstrumentor

        fixed = self.peers

        def name_peer(span: trace.Span, request: Any) -> None:
            url = str(getattr(request, "url", "") or "")
            for base, peer in peers() if peers is not None else fixed:
                if base and url.startswith(base):
                    span.set_attribute("peer.service", peer)
                    return

        RequestsInstrumentor().instrument(
            tracer_provider=self.provider, request_hook=name_peer, excluded_urls=exclude or None
        )

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def from_env(
    env: Mapping[str, str], service: str, peers: tuple[tuple[str, str], ...] = ()
) -> Tracing:
    """Tracing as the standard variables (and `OTEL_TRACES_DIR`) ask for it."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return Tracing(None, peers)
    processors = _processors(env, service)
    if not processors:
        return Tracing(None, peers)
    name = env.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(
        resource=Resource.create({"service.name": name}), id_generator=UrandomIdGenerator()
    )
    for processor in processors:
        provider.add_span_processor(processor)
    return Tracing(provider, peers)


def _processors(env: Mapping[str, str], service: str) -> list[SpanProcessor]:
    """A collector's batches, the run's files, or both (the files feed log.html's journeys)."""
    processors: list[SpanProcessor] = []
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The exporter reads the endpoint, headers and timeout from the same variables.
        processors.append(BatchSpanProcessor(ScrubbingExporter(OTLPSpanExporter())))
    folder = env.get("OTEL_TRACES_DIR")
    if folder:
        from opentelemetry.exporter.otlp.json.file import FileSpanExporter

        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        exporter = FileSpanExporter(path / f"{service}-{os.getpid()}.jsonl")
        # Span by span: the test that caused a span reads it as soon as it ends.
        processors.append(SimpleSpanProcessor(ScrubbingExporter(exporter)))
    return processors


def traceparent() -> str | None:
    """The W3C traceparent of the current span, to store with work done later for it."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent_value: str | None) -> Context | None:
    """The context a stored traceparent names, or None."""
    if not traceparent_value:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent_value})


def event(name: str, **attributes: str | int | None) -> None:
    """A state change on the current span (a transition, an audit row), if one is recording."""
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(name, {k: v for k, v in attributes.items() if v is not None})


def annotate(**attributes: str | int) -> None:
    """Attributes of the current span (a webhook's provider and event type, say)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(attributes)
