"""Loopback Flutterwave v3 stand-in: hosted payments, verify, refunds, transfer rates.

JSON in and out inside Flutterwave's ``{"status", "message", "data"}`` envelope, with
amounts in major units. Request rules live in sandbox/flutterwave/rules.py and the hosted
page in sandbox/flutterwave/checkout.py. Run standalone with ``python -m sandbox.flutterwave``.
"""

from __future__ import annotations

import copy
import hmac
import math
import secrets
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import falcon

from sandbox.flutterwave.checkout import (
    CENT,
    OUTCOMES,
    HostedCheckout,
    iso,
    new_transaction,
)
from sandbox.flutterwave.refunds import (
    REFUND_PAGE_SIZE,
    RefundFilter,
    listed_refund,
    public_refund,
)
from sandbox.flutterwave.rules import (
    AMOUNT_DECIMALS,
    AUTH_REQUIRED,
    DEFAULT_AMOUNT_DECIMALS,
    NOT_FOUND,
    Obj,
    checked_payment,
    fault_message,
    fw_error,
    number,
    ok,
    parse_amount,
)
from sandbox.harness.base import SandboxBase
from sandbox.harness.common import GatewayError
from sandbox.harness.webhooks import EventRecord

__all__ = [
    "AMOUNT_DECIMALS",
    "DEFAULT_AMOUNT_DECIMALS",
    "OUTCOMES",
    "fw_error",
]

OVERRIDABLE = ("amount", "currency", "status")

# "1 A = r B" for each (A, B); other pairs are derived by inverting or crossing via USD.
DEFAULT_RATES: dict[tuple[str, str], Decimal] = {
    ("USD", "NGN"): Decimal("1550"),
    ("USD", "GHS"): Decimal("15.5"),
    ("USD", "KES"): Decimal("129"),
    ("USD", "ZAR"): Decimal("18.2"),
    ("USD", "UGX"): Decimal("3700"),
    ("USD", "TZS"): Decimal("2600"),
    ("USD", "RWF"): Decimal("1400"),
    ("USD", "XAF"): Decimal("605"),
    ("USD", "XOF"): Decimal("605"),
    ("EUR", "USD"): Decimal("1.08"),
    ("GBP", "USD"): Decimal("1.27"),
}


class FlutterwaveState(SandboxBase):
    """Flutterwave v3: hosted checkout, verify, refunds, transfer rates, verif-hash webhooks.

    ``clock`` (default ``time.time``) is what session expiry is measured against; tests pass
    their own, or move it on with ``POST /_sandbox/clock``.
    """

    api_prefix = "/v3/"
    name = "flutterwave"

    def __init__(self, *, clock: Callable[[], float] | None = None, **kwargs: Any) -> None:
        self._clock = clock or time.time
        self._clock_offset = 0.0
        super().__init__(**kwargs)

    def init_state(self) -> None:
        self._checkouts: dict[str, HostedCheckout] = {}  # by tx_ref
        self._tokens: dict[str, str] = {}  # link token -> tx_ref
        self._transactions: dict[int, Obj] = {}
        self._overrides: dict[int, Obj] = {}
        self._rates = dict(DEFAULT_RATES)
        # Real transaction ids are unique for ever; a sandbox restarted against the same
        # database must not hand out ids it gave before, so each instance starts elsewhere.
        self._next_id = 4_100_001 + secrets.randbelow(10**9) * 1000
        self._next_refund = 75_001
        self._refunds: list[Obj] = []  # as GET /v3/refunds lists them, oldest first

    def now(self) -> float:
        return self._clock() + self._clock_offset

    def env(self) -> dict[str, str]:
        return {
            "FLUTTERWAVE_API_BASE": self.url,
            "FLUTTERWAVE_SECRET_KEY": self.secret_key,
            "FLUTTERWAVE_SECRET_HASH": self.webhook_secret,
        }

    # provider hooks ---------------------------------------------------------

    def sign(self, payload: bytes, mode: str) -> dict[str, str]:
        # verif-hash is a shared secret, not a signature: there is no timestamp to age.
        if mode == "stale":
            raise falcon.HTTPBadRequest(description="Flutterwave webhooks carry no timestamp")
        if mode == "missing":
            return {}
        return {"verif-hash": self.webhook_secret + ("-wrong" if mode == "bad" else "")}

    def authenticate(self, req: falcon.Request) -> None:
        token = self.bearer_token(req) or ""
        if not hmac.compare_digest(token.encode(), self.secret_key.encode()):
            raise fw_error(401, AUTH_REQUIRED)

    def error(self, status: int, message: str) -> GatewayError:
        return fw_error(status, message)

    def fault_error(self, status: int = 500) -> GatewayError:
        message = fault_message(status)
        return super().fault_error(status) if message is None else fw_error(status, message)

    # hosted payments --------------------------------------------------------

    def create_payment(self, body: Obj) -> Obj:
        checkout = HostedCheckout(checked_payment(body), self.now())
        with self._lock:
            if checkout.tx_ref in self._checkouts:
                raise fw_error(400, "Duplicate transaction reference. Please use a unique tx_ref")
            self._checkouts[checkout.tx_ref] = checkout
            self._tokens[checkout.token] = checkout.tx_ref
        return ok("Hosted Link", {"link": f"{self.url}/checkout/{checkout.token}"})

    def checkout_link(self, tx_ref: str) -> Obj:
        """The hosted link made for `tx_ref`, also when the answer that carried it was lost."""
        with self._lock:
            checkout = self._checkouts.get(tx_ref)
            if checkout is None:
                raise falcon.HTTPNotFound(description=f"no checkout with tx_ref {tx_ref}")
            return {"tx_ref": tx_ref, "link": f"{self.url}/checkout/{checkout.token}"}

    def checkout(self, token: str, outcome: str | None) -> Obj:
        """The customer on the hosted page: a visit (no outcome) or one action on it."""
        with self._lock:
            checkout = self._checkouts.get(self._tokens.get(token, ""))
            if checkout is None:
                raise falcon.HTTPNotFound(description="unknown checkout link")
            paid = self._settled(checkout.tx_ref)
            if paid is not None:
                # A paid checkout stays paid: revisiting it must not charge twice.
                return checkout.result("successful", paid["id"])
            if checkout.close_if_due(self.now()):
                return checkout.result("failed")
            if outcome is None:
                return checkout.result("open", stay=True)
            if outcome == "cancelled":
                # "... until the payment succeeds or they choose to cancel, after which we'll
                # redirect ... with the query parameters tx_ref and a status of failed."
                return checkout.result("failed" if checkout.failed_attempts else "cancelled")
            txn = self._new_transaction(checkout, outcome)
            checkout.attempts += 1
            if outcome == "successful":
                return checkout.result("successful", txn["id"])
            checkout.failed_attempts += 1
            if checkout.attempts_left() == 0:
                checkout.closed_reason = "retries_exhausted"
            return checkout.result("failed", txn["id"], stay=checkout.closed_reason is None)

    def _settled(self, tx_ref: str) -> Obj | None:
        txn = self._latest(tx_ref)
        return txn if txn is not None and txn["status"] == "successful" else None

    def _new_transaction(self, checkout: HostedCheckout, outcome: str) -> Obj:
        txn_id, self._next_id = self._next_id, self._next_id + 1
        txn = new_transaction(txn_id, checkout, outcome, self.now())
        self._transactions[txn_id] = txn
        self._emit(txn, deliver=True)
        return txn

    def _latest(self, tx_ref: str) -> Obj | None:
        matches = [t for t in self._transactions.values() if t["tx_ref"] == tx_ref]
        return matches[-1] if matches else None

    def _emit(self, txn: Obj, deliver: bool, extra: Obj | None = None) -> EventRecord:
        data = {**copy.deepcopy(txn), **copy.deepcopy(extra or {})}
        body = {"event": "charge.completed", "data": data, "event.type": "CARD_TRANSACTION"}
        record = EventRecord(
            f"fwevt_{secrets.token_hex(8)}",
            "charge.completed",
            str(txn["id"]),
            int(self.now()),
            body,
        )
        return self.webhooks.publish(record, deliver=deliver)

    # verify and refunds -----------------------------------------------------

    def verify(self, ref: str) -> Obj:
        with self._lock:
            return ok("Transaction fetched successfully", self._reported(self._by_id(ref)))

    def verify_by_reference(self, tx_ref: str | None) -> Obj:
        with self._lock:
            txn = self._latest(tx_ref or "")
            if txn is None:
                raise fw_error(400, NOT_FOUND)
            return ok("Transaction fetched successfully", self._reported(txn))

    def _by_id(self, ref: str) -> Obj:
        txn = self._transactions.get(int(ref)) if ref.isdigit() else None
        if txn is None:
            raise fw_error(400, NOT_FOUND)
        return txn

    def _reported(self, txn: Obj) -> Obj:
        data = copy.deepcopy(txn)
        override = self._overrides.get(txn["id"], {})
        data.update(override)
        if "amount" in override:
            data["charged_amount"] = override["amount"]
        return data

    def refund(self, ref: str, body: Obj) -> Obj:
        with self._lock:
            txn = self._by_id(ref)
            if txn["status"] != "successful":
                raise fw_error(400, "Only successful transactions can be refunded")
            paid = Decimal(str(txn["amount"]))
            left = paid - Decimal(str(txn["amount_refunded"]))
            if left <= 0:
                raise fw_error(400, "Transaction has been fully refunded")
            wanted = body.get("amount")
            amount = left if wanted is None else parse_amount(wanted, "amount", txn["currency"])
            if amount > left:
                raise fw_error(400, f"Refund amount cannot exceed {number(left)} {txn['currency']}")
            txn["amount_refunded"] = number(paid - left + amount)
            data = self._refund_data(txn, amount, body)
            self._refunds.append(listed_refund(data, txn["currency"]))
            return ok("Transaction refund initiated", data)

    def list_refunds(self, params: dict[str, str]) -> Obj:
        """GET /v3/refunds: newest first, in pages of 20, with the documented filters."""
        wanted = RefundFilter.parse(params)
        with self._lock:
            matches = [r for r in reversed(self._refunds) if wanted.matches(r)]
        start = (wanted.page - 1) * REFUND_PAGE_SIZE
        page_info = {
            "total": len(matches),
            "current_page": wanted.page,
            "total_pages": max(1, math.ceil(len(matches) / REFUND_PAGE_SIZE)),
            "page_size": REFUND_PAGE_SIZE,
        }
        data = [public_refund(r) for r in matches[start : start + REFUND_PAGE_SIZE]]
        return {**ok("Refunds fetched", data), "meta": {"page_info": page_info}}

    def _refund_data(self, txn: Obj, amount: Decimal, body: Obj) -> Obj:
        refund_id, self._next_refund = self._next_refund, self._next_refund + 1
        return {
            "id": refund_id,
            "account_id": txn["account_id"],
            "tx_id": txn["id"],
            "flw_ref": f"URF_{int(self.now() * 1000)}_{refund_id}",
            "wallet_id": 74639,
            "amount_refunded": number(amount),
            "status": "completed",
            "destination": "payment_source",
            "comments": body.get("comments"),
            "meta": {"source": "availablebalance"},
            "created_at": iso(self.now()),
        }

    # transfer rates ---------------------------------------------------------

    def transfer_rate(self, amount: str | None, source: str | None, dest: str | None) -> Obj:
        if not (amount and source and dest):
            raise fw_error(400, "amount, source_currency and destination_currency are required")
        wanted = parse_amount(amount)
        with self._lock:
            rate = self._price(dest.upper(), source.upper())
        if rate is None:
            raise fw_error(400, "Unable to fetch rates at the moment")
        # Eight significant digits keep tiny cross rates (EUR per NGN) meaningful.
        rate = Decimal(format(rate, ".8g"))
        data = {
            "rate": number(rate),
            "source": {
                "currency": source.upper(),
                "amount": number((wanted * rate).quantize(CENT, ROUND_HALF_UP)),
            },
            "destination": {"currency": dest.upper(), "amount": number(wanted)},
        }
        return ok("Transfer amount fetched", data)

    def _price(self, unit: str, priced: str) -> Decimal | None:
        """How many ``priced`` one ``unit`` costs, directly, inverted, or crossed via USD."""
        if unit == priced:
            return Decimal(1)
        direct = self._direct(unit, priced)
        if direct is not None:
            return direct
        to_usd, from_usd = self._direct(unit, "USD"), self._direct("USD", priced)
        return to_usd * from_usd if to_usd is not None and from_usd is not None else None

    def _direct(self, unit: str, priced: str) -> Decimal | None:
        if unit == priced:
            return Decimal(1)
        if (unit, priced) in self._rates:
            return self._rates[unit, priced]
        inverse = self._rates.get((priced, unit))
        return 1 / inverse if inverse else None

    # control ----------------------------------------------------------------

    def set_rate(self, body: Obj) -> Obj:
        source = str(body.get("source_currency") or "").upper()
        dest = str(body.get("destination_currency") or "").upper()
        if not source or not dest:
            raise falcon.HTTPBadRequest(description="source_currency and destination_currency")
        try:
            rate = parse_amount(body.get("rate"), "rate")
        except GatewayError as exc:
            raise falcon.HTTPBadRequest(description=exc.body["message"]) from exc
        with self._lock:
            # The endpoint reports source units per destination unit: 1 dest = rate source.
            self._rates[dest, source] = rate
            self._rates.pop((source, dest), None)
        return {"source_currency": source, "destination_currency": dest, "rate": number(rate)}

    def advance_clock(self, body: Obj) -> Obj:
        seconds = body.get("seconds", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise falcon.HTTPBadRequest(description="seconds must be a non-negative number")
        with self._lock:
            self._clock_offset += float(seconds)
            return {"now": iso(self.now()), "offset_seconds": self._clock_offset}

    def override(self, ref: str, body: Obj) -> Obj:
        unknown = set(body) - set(OVERRIDABLE)
        if unknown:
            raise falcon.HTTPBadRequest(description=f"cannot override {sorted(unknown)}")
        with self._lock:
            txn = self._control_txn(ref)
            self._overrides.setdefault(txn["id"], {}).update(body)
            return self._reported(txn)

    def clear_override(self, ref: str) -> Obj:
        with self._lock:
            txn = self._control_txn(ref)
            self._overrides.pop(txn["id"], None)
            return self._reported(txn)

    def _control_txn(self, ref: str) -> Obj:
        txn = self._transactions.get(int(ref)) if ref.isdigit() else None
        if txn is None:
            raise falcon.HTTPNotFound(description=f"no transaction {ref}")
        return txn

    def craft_event(self, tx_ref: str, body: Obj) -> Obj:
        """Another charge.completed for the latest transaction of `tx_ref`; `data` fields
        (amount, currency, status, ...) replace the transaction's in this payload only."""
        extra = body.get("data") or {}
        if not isinstance(extra, dict):
            raise falcon.HTTPBadRequest(description="data must be an object")
        with self._lock:
            txn = self._latest(tx_ref)
            if txn is None:
                raise falcon.HTTPNotFound(description=f"no transaction with tx_ref {tx_ref}")
            record = self._emit(txn, bool(body.get("deliver", True)), extra)
        return record.summary()
