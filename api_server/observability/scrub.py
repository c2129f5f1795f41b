"""What never leaves the process in a span: the same secrets the Robot log masks.

Spans carry URLs (`url.full`, `url.query` without its `?`, `http.target`, ...) and, through
our own events, a few domain values. A query parameter named like a secret (a verification
or reset token, a password, a signature) and the token of a hosted checkout or mobile money
page in a path are replaced before any exporter sees the span. Headers are never recorded
(the instrumentations capture none unless told to), and SQL is recorded with its
placeholders, not its values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

REDACTED = "REDACTED"
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&])(?:token|access_token|refresh_token|password|secret|code|signature|key|"
    r"api_key|client_secret)=)[^&#\s]*"
)
# The hosted pages' links are bearer secrets: whoever holds one pays or declines.
_SECRET_PATH = re.compile(r"(/(?:checkout|momo|pay|verify|reset-password)/)[^/?#\s]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(Bearer\s+)[A-Za-z0-9._~+/=-]+")


def scrub_text(value: str) -> str:
    """`value` with every secret this module knows replaced."""
    value = _SECRET_PARAM.sub(rf"\1{REDACTED}", value)
    value = _SECRET_PATH.sub(rf"\1{REDACTED}", value)
    value = _JWT.sub(REDACTED, value)
    return _BEARER.sub(rf"\1{REDACTED}", value)


def scrub_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if key.startswith(("http.request.header.", "http.response.header.")):
            continue  # headers are never exported, whoever switched their capture on
        if isinstance(value, str):
            value = scrub_text(value)
        elif isinstance(value, tuple | list):
            value = tuple(scrub_text(v) if isinstance(v, str) else v for v in value)
        cleaned[key] = value
    return cleaned


def scrub_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of `span` with its name, attributes and events scrubbed."""
    events = tuple(Event(e.name, scrub_attributes(e.attributes), e.timestamp) for e in span.events)
    return ReadableSpan(
        name=scrub_text(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=scrub_attributes(span.attributes),
        events=events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingExporter(SpanExporter):
    """Scrubs every span, then hands it to the exporter that writes or sends it."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([scrub_span(s) for s in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)
