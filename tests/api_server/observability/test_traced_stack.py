"""A payment's whole journey is one trace, written as OTLP JSON that a consumer can load.

The real app over HTTP with the Stripe sandbox and the mail sink (tests/payments_stack.py),
traced as the gunicorn worker is (api_server/wsgi.py): the server span of each request named
by its route, the transactions and statements, the call to Stripe, the webhook Stripe sends
back with the traceparent of the call that caused it, and the receipt the outbox mails later,
all in the trace the client started. The files pass the run's own check (no secret, valid
OTLP): what `make test` runs on the suite's traces.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests
from opentelemetry.instrumentation.requests import RequestsInstrumentor

from api_server.observability.tracing import from_env
from tests.conftest import migrated_database
from tests.payments_stack import eventually, payments_stack
from tooling.report import trace_check
from tooling.report.spans import Span, read_spans


def _trace(folder: Path, trace_id: str) -> list[Span]:
    return [s for s in read_spans(folder) if s.trace_id == trace_id]


def test_a_card_payment_is_one_trace_from_the_client_to_the_receipt(postgres, tmp_path) -> None:
    tracing = from_env({"OTEL_TRACES_DIR": str(tmp_path)}, "api")
    with payments_stack(migrated_database(postgres), tracing) as stack:
        bases = ((stack.url, "api"), (stack.stripe.url, "stripe"))
        # The sandbox shares this process: its webhooks carry the traceparent it was given.
        tracing.instrument_requests(lambda: bases, exclude="/api/payments/webhooks/")
        try:
            with tracing.tracer("test").start_as_current_span("Buyer Pays By Card") as root:
                _, buyer, listing = stack.cast(price_per_unit=10_000)
                payment_id = stack.buy(buyer, listing, 1).json()["id"]
                confirm = f"/api/payments/{payment_id}/confirm"
                stack.post(buyer, confirm, payment_method="pm_card_visa")
                eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
            trace_id = format(root.get_span_context().trace_id, "032x")
            eventually(
                lambda: any(s.name == "smtp send" for s in _trace(tmp_path, trace_id)), timeout=20
            )
        finally:
            RequestsInstrumentor().uninstrument()
        secrets = [stack.stripe.secret_key, stack.stripe.webhook_secret, buyer["password"]]
        token = buyer["headers"]["Authorization"].split()[-1]
    tracing.shutdown()
    spans = _trace(tmp_path, trace_id)
    names = {s.name for s in spans}
    assert {"POST /api/payments", "POST /api/payments/{payment_id:uuid}/confirm"} <= names
    assert "POST /api/payments/webhooks/stripe" in names
    stripe_calls = [s for s in spans if s.attributes.get("peer.service") == "stripe"]
    assert any(s.service == "api" and s.kind == "client" for s in stripe_calls)
    webhooks = {s.attributes["webhook.event"] for s in spans if "webhook.event" in s.attributes}
    assert "payment_intent.succeeded" in webhooks
    assert any(s.name == "db.transaction" for s in spans)
    assert any(s.kind == "client" and "db.statement" in s.attributes for s in spans)
    assert {"outbox.send", "smtp send"} <= names
    moves = [
        (e.attributes.get("from"), e.attributes["to"])
        for s in sorted(spans, key=lambda s: s.start_ns)
        for e in s.events
        if e.name == "payment.transition" and e.attributes.get("payment.id") == payment_id
    ]
    assert moves[0] == (None, "pending") and moves[-1][1] == "succeeded"
    report = trace_check.check(tmp_path, [*secrets, token])
    assert report.problems == [] and report.spans >= len(spans)


HOSTILE_CONTEXT = {
    "garbage": (b"traceparent", b"not-a-traceparent"),
    "long": (b"traceparent", b"00-" + b"a" * 10_000),
    "zero-ids": (b"traceparent", b"00-" + b"0" * 32 + b"-" + b"0" * 16 + b"-01"),
    "version-ff": (b"traceparent", b"ff-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01"),
    "invalid-utf8": (b"traceparent", b"00-\xff\xfe-01"),
    "tracestate-long": (b"tracestate", b"k=" + b"v" * 10_000),
}
_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")


@pytest.mark.parametrize("name", list(HOSTILE_CONTEXT))
def test_a_hostile_trace_context_is_ignored_and_never_stored(postgres, tmp_path, name) -> None:
    """The caller's traceparent is continued only when valid; what a payment keeps is its own."""
    header, value = HOSTILE_CONTEXT[name]
    tracing = from_env({"OTEL_TRACES_DIR": str(tmp_path)}, "api")
    with payments_stack(migrated_database(postgres), tracing) as stack:
        _, buyer, listing = stack.cast(price_per_unit=10_000)
        headers = {**buyer["headers"], "Idempotency-Key": uuid.uuid4().hex, header: value}
        created = requests.post(
            f"{stack.url}/api/payments",
            json={"listing_id": listing, "quantity": 1},
            headers=headers,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        stored = stack.payment(created.json()["id"])["traceparent"]
        health = requests.get(f"{stack.url}/api/health", headers={header: value}, timeout=30)
        assert health.status_code == 200
    tracing.shutdown()
    assert _TRACEPARENT.fullmatch(stored), stored
    assert value.decode("utf-8", "replace") not in stored
    assert trace_check.check(tmp_path, []).problems == []
