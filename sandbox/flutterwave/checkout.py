"""Flutterwave's hosted checkout page as the stand-in models it: attempts, retries, expiry.

The docs (Flutterwave Standard, "What if the Payment Fails" and "Handling Payment Retries
and Timeout on Checkout") say a failed attempt keeps the page open for another try; the
page closes when `max_retry_attempt` attempts have failed or `session_duration` minutes
have passed, and the customer is then sent to `redirect_url` with a status of failed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sandbox.flutterwave.rules import Obj, number

OUTCOMES = ("successful", "failed", "cancelled")
APP_FEE_RATE = Decimal("0.014")
CENT = Decimal("0.01")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def with_query(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


@dataclass
class HostedCheckout:
    """One `POST /v3/payments` link and what the customer has done on it."""

    spec: Obj  # the checked request body (sandbox.flutterwave.rules.checked_payment)
    created_at: float
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    attempts: int = 0
    failed_attempts: int = 0
    closed_reason: str | None = None

    @property
    def tx_ref(self) -> str:
        return str(self.spec["tx_ref"])

    @property
    def expires_at(self) -> float | None:
        minutes = self.spec["session_minutes"]
        return None if minutes is None else self.created_at + 60 * minutes

    def attempts_left(self) -> int | None:
        limit = self.spec["max_attempts"]
        return None if limit is None else max(0, limit - self.attempts)

    def close_if_due(self, now: float) -> str | None:
        """Why the page no longer takes attempts ("expired", "retries_exhausted"), if so."""
        if self.closed_reason is None and self.expires_at is not None and now >= self.expires_at:
            self.closed_reason = "expired"
        return self.closed_reason

    def result(self, status: str, txn_id: int | None = None, *, stay: bool = False) -> Obj:
        """The answer to one visit: where the customer goes next, if anywhere."""
        query: dict[str, Any] = {"status": status, "tx_ref": self.tx_ref}
        if txn_id is not None and status == "successful":
            query["transaction_id"] = txn_id
        return {
            "status": status,
            "tx_ref": self.tx_ref,
            "transaction_id": txn_id,
            "redirect": None if stay else with_query(self.spec["redirect_url"], query),
            "open": self.closed_reason is None and status != "successful",
            "attempts_left": self.attempts_left(),
            "closed_reason": self.closed_reason,
        }


def new_transaction(txn_id: int, checkout: HostedCheckout, outcome: str, now: float) -> Obj:
    """A card transaction shaped like the verify endpoint's `data` (major-unit amounts)."""
    spec = checkout.spec
    amount: Decimal = spec["amount"]
    fee = (amount * APP_FEE_RATE).quantize(CENT, ROUND_HALF_UP)
    customer = spec["customer"]
    return {
        "id": txn_id,
        "tx_ref": spec["tx_ref"],
        "flw_ref": f"FLW-MOCK-{secrets.token_hex(16)}",
        "device_fingerprint": "N/A",
        "amount": number(amount),
        "currency": spec["currency"],
        "charged_amount": number(amount),
        "app_fee": number(fee),
        "merchant_fee": 0,
        "processor_response": "Approved. Successful" if outcome == "successful" else "Declined",
        "auth_model": "PIN",
        "ip": "127.0.0.1",
        "narration": "CARD Transaction ",
        "status": outcome,
        "payment_type": "card",
        "created_at": iso(now),
        "account_id": 17321,
        "amount_settled": number(amount - fee) if outcome == "successful" else 0,
        "amount_refunded": 0,
        "card": {
            "first_6digits": "553188",
            "last_4digits": "2950",
            "issuer": "MASTERCARD CREDIT",
            "country": "NG",
            "type": "MASTERCARD",
            "expiry": "09/32",
        },
        "meta": spec["meta"],
        "customer": {
            "id": 200_000 + txn_id % 100_000,
            "name": customer.get("name") or "Anonymous",
            "phone_number": customer.get("phonenumber"),
            "email": customer["email"],
            "created_at": iso(now),
        },
    }


def page(path: str, result: Obj) -> str:
    links = "".join(f'<li><a href="{path}?outcome={o}">{o}</a></li>' for o in OUTCOMES)
    notice = ""
    if result["status"] == "failed":
        left = result["attempts_left"]
        more = "" if left is None else f" ({left} attempt(s) left)"
        notice = f"<p>Payment failed. You can try again{escape(more)}.</p>"
    return f"<!doctype html><title>Sandbox checkout</title><h1>Pay?</h1>{notice}<ul>{links}</ul>"
