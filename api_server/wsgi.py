"""gunicorn entry point: `gunicorn api_server.wsgi:app`.

Imported in each worker (no preload), so the delivery thread, the pool and the trace file
belong to that worker. With tracing on (api_server/observability/tracing.py), `app` is the
Falcon app inside OpenTelemetry's WSGI middleware, which continues each request's
traceparent; the app itself is `marketplace`.
"""

import os

# Stable HTTP attribute names (http.request.method, url.path, http.response.status_code):
# read once, by the instrumentations, when they first run.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

from api_server.app import create_app
from api_server.config import Config
from api_server.observability.tracing import from_env
from api_server.services import build_services

config = Config.from_env()
tracing = from_env(
    os.environ,
    "api",
    peers=((config.stripe_api_base, "stripe"), (config.flutterwave_api_base, "flutterwave")),
)
tracing.instrument_requests()
marketplace = create_app(build_services(config, tracing=tracing))
marketplace.start_background()
app = tracing.wrap(marketplace)
