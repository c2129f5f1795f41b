"""Helpers for the Stripe sandbox tests: keys, raw form calls, event lookups."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import requests
import stripe

from sandbox.harness.standalone import WebhookReceiver
from sandbox.stripe import StripeSandbox

SECRET_KEY = "sk_test_sandbox_0123456789abcdef"


WEBHOOK_SECRET = "whsec_sandbox_test"


TIMEOUT = 5


def verify(headers: dict[str, str], body: bytes) -> int:
    """What a real receiver does: 200 only for a payload Stripe's verifier accepts."""
    try:
        stripe.Webhook.construct_event(body, headers.get("stripe-signature"), WEBHOOK_SECRET)
    except (stripe.SignatureVerificationError, ValueError):
        return 400
    return 200


def control(sandbox: StripeSandbox, method: str, path: str, **body: Any) -> Any:
    resp = requests.request(
        method, f"{sandbox.url}/_sandbox/{path}", json=body or None, timeout=TIMEOUT
    )
    assert resp.status_code < 300, resp.text
    return resp.json()


def listing_id() -> str:
    return f"listing-{uuid.uuid4().hex[:10]}"


def new_intent(client: stripe.StripeClient, listing: str, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "usd",
            "metadata": {"listing_id": listing},
            "description": "Ore lot",
            **params,
        }
    )


def events_for(sandbox: StripeSandbox, match: str) -> list[dict[str, Any]]:
    return control(sandbox, "GET", f"events?match={match}")


def settled_events(sandbox: StripeSandbox, match: str) -> list[dict[str, Any]]:
    """Events for match once each is delivered or given up (attempts are recorded after
    the receiver has answered, so a webhook can be seen before its attempt is)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        events = events_for(sandbox, match)
        if all(e["delivered"] or e["gave_up"] for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.02)


def wait_types(receiver: WebhookReceiver, match: str, count: int) -> list[str]:
    bodies = receiver.wait_for(lambda bs: len([b for b in bs if match in json.dumps(b)]) >= count)
    return [b["type"] for b in bodies if match in json.dumps(b)]


def paid_intent(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> tuple[str, stripe.PaymentIntent]:
    """A new listing's intent paid with a good card, once its two events have arrived."""
    listing = listing_id()
    pi = new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    wait_types(receiver, listing, 2)
    return listing, pi


def raw(
    sandbox: StripeSandbox, method: str, path: str, key: str = SECRET_KEY, **form: Any
) -> requests.Response:
    """A form-encoded call the way any HTTP client (not the SDK) would make it."""
    return requests.request(
        method,
        f"{sandbox.url}{path}",
        headers={"Authorization": f"Bearer {key}"},
        data=form if method == "POST" else None,
        params=form if method != "POST" else None,
        timeout=TIMEOUT,
    )


def error_of(resp: requests.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return resp.json()["error"]


def sdk_fields(cls: type) -> set[str]:
    """The attributes the official SDK declares for an object (generated from Stripe's spec)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= {n for n in getattr(klass, "__annotations__", {}) if n[:1].islower()}
    return names


CREATE = {"amount": "2500", "currency": "usd", "metadata[listing_id]": "L-1"}


def intent_in(client: stripe.StripeClient, sandbox: StripeSandbox, status: str) -> str:
    if status == "requires_confirmation":
        return new_intent(client, listing_id(), payment_method="pm_card_visa").id
    pi = new_intent(client, listing_id())
    if status == "requires_action":
        client.v1.payment_intents.confirm(
            pi.id, params={"payment_method": "pm_card_threeDSecure2Required"}
        )
    elif status == "succeeded":
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    elif status == "canceled":
        client.v1.payment_intents.cancel(pi.id)
    elif status in ("processing", "requires_capture"):
        kind = "processing" if status == "processing" else "amount_capturable_updated"
        path = f"payment_intents/{pi.id}/events"
        control(sandbox, "POST", path, type=f"payment_intent.{kind}", apply=True, deliver=False)
    return pi.id
