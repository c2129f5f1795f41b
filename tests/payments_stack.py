"""A real API over HTTP with the gateway sandboxes and the mail sink, for payment tests."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import make_server

import requests

from api_server.app import MarketplaceApp
from api_server.config import Config
from api_server.observability.tracing import Tracing
from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.harness.server import QuietHandler, ThreadingWSGIServer
from sandbox.mail import MailSink
from sandbox.stripe import StripeSandbox
from tests.factories import make_app, make_listing, make_user, sql


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """Waits for `check` (a webhook or the outbox works after the answer); fails at `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@dataclass
class PaymentsStack:
    """Everything a payment test touches, with helpers to buy and to look at the result."""

    app: MarketplaceApp
    url: str
    dsn: str
    stripe: StripeSandbox
    flutterwave: FlutterwaveSandbox
    mail: MailSink

    def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        return sql(self.app, query, *params)

    def cast(self, **listing: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
        """A new seller and buyer, and the id of an active listing of the seller's."""
        seller, buyer = make_user(self.app, "seller"), make_user(self.app, "buyer")
        return seller, buyer, make_listing(self.app, seller, status="active", **listing)["id"]

    def post(self, user: dict[str, Any], path: str, **body: Any) -> requests.Response:
        return requests.post(f"{self.url}{path}", headers=user["headers"], json=body, timeout=30)

    def buy(
        self,
        buyer: dict[str, Any],
        listing_id: str,
        quantity: Any = 1,
        key: str | None = None,
        **extra: Any,
    ) -> requests.Response:
        headers = {**buyer["headers"], "Idempotency-Key": key or uuid.uuid4().hex}
        return requests.post(
            f"{self.url}/api/payments",
            headers=headers,
            timeout=30,
            json={"listing_id": listing_id, "quantity": quantity, **extra},
        )

    def payment(self, payment_id: str) -> dict[str, Any]:
        return self.sql("SELECT * FROM payments WHERE id = %s", payment_id)[0]

    def available(self, listing_id: str) -> str:
        return str(
            self.sql("SELECT available_quantity FROM listings WHERE id = %s", listing_id)[0][
                "available_quantity"
            ]
        )

    # Stripe as its dashboard sees it (the secret key, no API of ours in between).

    def stripe_get(self, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.stripe.secret_key}"}
        response = requests.get(f"{self.stripe.url}{path}", headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()

    def intent_of(self, payment_id: str) -> dict[str, Any]:
        return self.stripe_get(f"/v1/payment_intents/{self.payment(payment_id)['provider_ref']}")

    def charge_of(self, payment_id: str) -> str:
        return str(self.intent_of(payment_id)["latest_charge"])

    def dashboard_refund(self, charge: str, amount: int | None = None) -> requests.Response:
        """A refund made in Stripe's dashboard: all that is left without `amount`."""
        body: dict[str, Any] = {"charge": charge, **({"amount": amount} if amount else {})}
        return requests.post(
            f"{self.stripe.url}/v1/refunds",
            data=body,
            headers={"Authorization": f"Bearer {self.stripe.secret_key}"},
            timeout=30,
        )

    def control_get(self, sandbox: Any, path: str) -> Any:
        response = requests.get(f"{sandbox.url}/_sandbox/{path}", timeout=30)
        response.raise_for_status()
        return response.json()

    def control(self, sandbox: Any, path: str, **body: Any) -> Any:
        response = requests.post(f"{sandbox.url}/_sandbox/{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None


@contextmanager
def payments_stack(dsn: str, tracing: Tracing | None = None) -> Iterator[PaymentsStack]:
    """Starts sandboxes, mail sink and the app over HTTP; stops all of it afterwards."""
    mail = MailSink()
    stripe_box = StripeSandbox(
        secret_key=f"sk_test_{secrets.token_hex(8)}", webhook_secret=f"whsec_{secrets.token_hex(8)}"
    )
    flw = FlutterwaveSandbox(
        secret_key=f"FLWSECK_TEST-{secrets.token_hex(8)}-X", webhook_secret=secrets.token_hex(8)
    )
    for service in (mail, stripe_box, flw):
        service.start()
    server = make_server(
        "127.0.0.1",
        0,
        lambda e, s: served(e, s),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    url = f"http://127.0.0.1:{server.server_port}"
    env = {
        "DATABASE_URL": dsn,
        "JWT_SECRET": "p" * 40,
        "PUBLIC_URL": url,
        "STRIPE_TIMEOUT": "1",
        "FLUTTERWAVE_TIMEOUT": "1",
        **mail.env(),
        **stripe_box.env(),
        **flw.env(),
    }
    app = make_app(Config.from_env(env), tracing=tracing)
    served = (tracing or Tracing()).wrap(app)
    app.start_background()
    thread = server.serve_in_thread()
    stripe_box.set_webhook_url(f"{url}/api/payments/webhooks/stripe")
    flw.set_webhook_url(f"{url}/api/payments/webhooks/flutterwave")
    try:
        yield PaymentsStack(app, url, dsn, stripe_box, flw, mail)
    finally:
        for service in (stripe_box, flw):
            service.stop()
        server.shutdown()
        thread.join(5)
        app.services.outbox.stop()
        mail.stop()
        app.services.close()
