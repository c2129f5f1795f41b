"""Helpers for the Flutterwave sandbox tests: calls, checkout steps, a clock."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.harness.standalone import WebhookReceiver

SECRET_KEY = "FLWSECK_TEST-0123456789abcdef-X"


SECRET_HASH = "sandbox-verif-hash"


TIMEOUT = 5


NOT_FOUND = {"status": "error", "message": "No transaction was found for this id", "data": None}


def verify(headers: dict[str, str], body: bytes) -> int:
    """What a real receiver does: 401 unless verif-hash equals the configured secret hash."""
    return 200 if headers.get("verif-hash") == SECRET_HASH else 401


class Clock:
    """A clock the test moves by hand (session expiry is measured against it)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def api(
    sandbox: FlutterwaveSandbox, method: str, path: str, *, key: str = SECRET_KEY, **kwargs: Any
) -> requests.Response:
    return requests.request(
        method,
        f"{sandbox.url}{path}",
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {key}"},
        **kwargs,
    )


def control(sandbox: FlutterwaveSandbox, method: str, path: str, **body: Any) -> Any:
    resp = requests.request(
        method, f"{sandbox.url}/_sandbox/{path}", json=body or None, timeout=TIMEOUT
    )
    assert resp.status_code < 300, resp.text
    return resp.json()


def payment_body(**overrides: Any) -> dict[str, Any]:
    return {
        "tx_ref": f"tx-{uuid.uuid4().hex[:12]}",
        "amount": 1550,
        "currency": "NGN",
        "redirect_url": "http://app.test/payments/return?order=7",
        "customer": {"email": "buyer@example.com", "name": "Ada Buyer"},
        "meta": {"listing_id": "listing-42"},
        "customizations": {"title": "Ore"},
        **overrides,
    }


def create_payment(sandbox: FlutterwaveSandbox, **overrides: Any) -> tuple[str, str]:
    body = payment_body(**overrides)
    resp = api(sandbox, "POST", "/v3/payments", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "success" and resp.json()["message"] == "Hosted Link"
    return body["tx_ref"], resp.json()["data"]["link"]


def refused(sandbox: FlutterwaveSandbox, **overrides: Any) -> str:
    """POST /v3/payments must answer 400 in Flutterwave's envelope; returns the message."""
    resp = api(sandbox, "POST", "/v3/payments", json=payment_body(**overrides))
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["status"] == "error" and body["data"] is None
    return str(body["message"])


def pay(link: str, outcome: str) -> dict[str, Any]:
    resp = requests.get(
        link, params={"outcome": outcome}, timeout=TIMEOUT, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def hooks_for(receiver: WebhookReceiver, tx_ref: str, count: int = 1) -> list[dict[str, Any]]:
    bodies = receiver.wait_for(
        lambda bs: len([b for b in bs if b["data"]["tx_ref"] == tx_ref]) >= count
    )
    return [b for b in bodies if b["data"]["tx_ref"] == tx_ref]


def settled_events(sandbox: FlutterwaveSandbox, match: str) -> list[dict[str, Any]]:
    """Events for match once each is delivered or given up (attempts are recorded after
    the receiver has answered, so a webhook can be seen before its attempt is)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        events = control(sandbox, "GET", f"events?match={match}")
        if all(e["delivered"] or e["gave_up"] for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.02)


def verified(sandbox: FlutterwaveSandbox, txn_id: int) -> dict[str, Any]:
    resp = api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify")
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]
