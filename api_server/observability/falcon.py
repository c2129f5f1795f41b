"""Names each request's server span after the route Falcon matched (`POST /api/payments`)."""

from __future__ import annotations

from typing import Any

import falcon
from opentelemetry import trace


class SpanRoute:
    """Falcon middleware: the route template, not the path, names the span, so every
    payment's confirm is one operation in the time split, and no id is in the name."""

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        span = trace.get_current_span()
        if not span.is_recording():
            return
        route = req.uri_template or req.path
        span.set_attribute("http.route", route)
        span.update_name(f"{req.method} {route}")
        request_id = req.context.get("request_id")
        if request_id:
            span.set_attribute("marketplace.request_id", str(request_id))
