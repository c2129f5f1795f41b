"""Loopback Flutterwave v3 stand-in: hosted payments, direct charges, verify, refunds,
transfer rates.

JSON in and out inside Flutterwave's ``{"status", "message", "data"}`` envelope, with
amounts in major units. Request rules live in sandbox/flutterwave/rules.py (direct charges:
charge_rules.py), the hosted page in checkout.py, direct charges' shapes in charges.py. Run
standalone with ``python -m sandbox.flutterwave``.
"""

from __future__ import annotations

import copy
import hmac
import secrets
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import falcon

from sandbox.flutterwave.charge_rules import EVENT_TYPES, charge_type, checked_charge
from sandbox.flutterwave.charges import (
    APPROVED,
    DECLINED,
    PAGE_OUTCOMES,
    REDIRECTED,
    TIMED_OUT,
    TRANSFER_RECEIVED,
    DirectCharge,
    charge_status,
    charge_transaction,
    initiation_answer,
    page_result,
    settle,
    summary,
)
from sandbox.flutterwave.checkout import (
    CENT,
    OUTCOMES,
    HostedCheckout,
    iso,
    new_transaction,
)
from sandbox.flutterwave.query import page_of
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
from sandbox.flutterwave.transactions import TRANSACTION_PAGE_SIZE, TransactionFilter
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
DUPLICATE_TX_REF = "Duplicate transaction reference. Please use a unique tx_ref"
# The customer's answers to a prompt (control route -> transaction status, response).
PROMPT_ANSWERS = {
    "approve": ("successful", APPROVED),
    "decline": ("failed", DECLINED),
    "timeout": ("failed", TIMED_OUT),
}

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
    """Flutterwave v3: hosted checkout, direct charges, verify, refunds, transfer rates,
    verif-hash webhooks.

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
        self._charges: dict[str, DirectCharge] = {}  # by tx_ref
        self._momo_tokens: dict[str, str] = {}  # mobile money page token -> tx_ref
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
            if self._tx_ref_used(checkout.tx_ref):
                raise fw_error(400, DUPLICATE_TX_REF)
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

    def _tx_ref_used(self, tx_ref: str) -> bool:
        # One tx_ref names one payment, whether a hosted checkout or a direct charge.
        return tx_ref in self._checkouts or tx_ref in self._charges

    def _take_id(self) -> int:
        txn_id, self._next_id = self._next_id, self._next_id + 1
        return txn_id

    def _settled(self, tx_ref: str) -> Obj | None:
        txn = self._latest(tx_ref)
        return txn if txn is not None and txn["status"] == "successful" else None

    def _new_transaction(self, checkout: HostedCheckout, outcome: str) -> Obj:
        txn_id = self._take_id()
        txn = new_transaction(txn_id, checkout, outcome, self.now())
        self._transactions[txn_id] = txn
        self._emit(txn, deliver=True)
        return txn

    def _latest(self, tx_ref: str) -> Obj | None:
        matches = [t for t in self._transactions.values() if t["tx_ref"] == tx_ref]
        return matches[-1] if matches else None

    def _emit(self, txn: Obj, deliver: bool, extra: Obj | None = None) -> EventRecord:
        data = {**copy.deepcopy(txn), **copy.deepcopy(extra or {})}
        event_type = EVENT_TYPES.get(txn["payment_type"], "CARD_TRANSACTION")
        body = {"event": "charge.completed", "data": data, "event.type": event_type}
        record = EventRecord(
            f"fwevt_{secrets.token_hex(8)}",
            "charge.completed",
            str(txn["id"]),
            int(self.now()),
            body,
        )
        return self.webhooks.publish(record, deliver=deliver)

    # direct charges ---------------------------------------------------------

    def create_charge(self, type_name: str | None, body: Obj) -> Obj:
        """POST /v3/charges?type=...: checks the body, opens the charge, answers its shape."""
        kind = charge_type(type_name)
        spec = checked_charge(kind, body)
        with self._lock:
            if self._tx_ref_used(spec["tx_ref"]):
                raise fw_error(400, DUPLICATE_TX_REF)
            charge = DirectCharge(kind, spec, self.now())
            pending = None
            if kind.name == "bank_transfer":
                charge.open_account()  # each transfer into it is its own transaction
            else:
                # One prompt, one transaction: pending (and verifiable) until answered.
                pending = self._charge_transaction(charge, spec["amount"])
            self._charges[charge.tx_ref] = charge
            if kind.name in REDIRECTED:
                self._momo_tokens[charge.token] = charge.tx_ref
            return initiation_answer(charge, pending, self.url)

    def momo(self, token: str, outcome: str | None) -> Obj:
        """The customer on the mobile money page: a visit, or entering the OTP and
        approving or declining on the phone."""
        with self._lock:
            charge = self._charges.get(self._momo_tokens.get(token, ""))
            if charge is None:
                raise falcon.HTTPNotFound(description="unknown mobile money link")
            txns = self._charge_transactions(charge)
            paid = [t for t in txns if t["status"] == "successful"]
            if paid:
                # An approved prompt stays approved: revisiting it must not charge twice.
                return page_result(charge, "successful", paid[0]["id"])
            if outcome is None:
                return page_result(charge, charge_status(txns), None, stay=True)
            txn = self._answer(charge, *PAGE_OUTCOMES[outcome])
            self._emit(txn, deliver=True)
            return page_result(charge, txn["status"], txn["id"])

    def answer_prompt(self, tx_ref: str, answer: str, body: Obj) -> Obj:
        """Control: the customer approves, declines or lets the prompt time out."""
        deliver = _deliver(body)
        status, response = PROMPT_ANSWERS[answer]
        with self._lock:
            charge = self._control_charge(tx_ref)
            if charge.kind.name == "bank_transfer":
                raise falcon.HTTPBadRequest(
                    description=f"{tx_ref} is a bank_transfer charge: it has no prompt to "
                    "answer; send money with /transfer"
                )
            if charge_status(self._charge_transactions(charge)) == "successful":
                raise falcon.HTTPConflict(
                    description=f"{tx_ref} was already approved: a prompt is answered once"
                )
            txn = self._answer(charge, status, response)
            record = self._emit(txn, deliver)
            return {**self._reported(txn), "event_id": record.id}

    def transfer_in(self, tx_ref: str, body: Obj) -> Obj:
        """Control: money of exactly `amount` arrives in the charge's one-time account."""
        deliver = _deliver(body)
        with self._lock:
            charge = self._control_charge(tx_ref)
            if charge.kind.name != "bank_transfer":
                raise falcon.HTTPBadRequest(
                    description=f"{tx_ref} is a {charge.kind.name} charge: only bank_transfer "
                    "charges take transfers"
                )
            try:
                amount = parse_amount(body.get("amount"), "amount", charge.spec["currency"])
            except GatewayError as exc:
                raise falcon.HTTPBadRequest(description=exc.body["message"]) from exc
            txn = self._charge_transaction(charge, amount)
            settle(txn, "successful", TRANSFER_RECEIVED)
            record = self._emit(txn, deliver)
            # Not published what Flutterwave does with money arriving after the account's
            # expiry; the sandbox takes it and says so here only, never on the wire.
            expires_at = charge.expires_at
            late = expires_at is not None and self.now() >= expires_at
            return {**self._reported(txn), "event_id": record.id, "late": late}

    def charge_summary(self, tx_ref: str) -> Obj:
        with self._lock:
            charge = self._control_charge(tx_ref)
            txns = [self._reported(t) for t in self._charge_transactions(charge)]
            return summary(charge, txns, self.url, self.now())

    def _control_charge(self, tx_ref: str) -> DirectCharge:
        charge = self._charges.get(tx_ref)
        if charge is None:
            raise falcon.HTTPNotFound(description=f"no charge with tx_ref {tx_ref}")
        return charge

    def _charge_transactions(self, charge: DirectCharge) -> list[Obj]:
        return [self._transactions[i] for i in charge.transactions]

    def _charge_transaction(self, charge: DirectCharge, amount: Decimal) -> Obj:
        txn = charge_transaction(self._take_id(), charge, amount, self.now())
        self._transactions[txn["id"]] = txn
        charge.transactions.append(txn["id"])
        return txn

    def _answer(self, charge: DirectCharge, status: str, response: str) -> Obj:
        """Settles the pending transaction; a prompt answered again after a failure (the
        customer retrying) is a new transaction, as on the hosted page."""
        txns = self._charge_transactions(charge)
        txn = txns[-1] if txns and txns[-1]["status"] == "pending" else None
        if txn is None:
            txn = self._charge_transaction(charge, charge.spec["amount"])
        settle(txn, status, response)
        return txn

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
        txn = self._transactions.get(int(ref)) if _transaction_id(ref) else None
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
        shown, page_info = page_of(matches, wanted.page, REFUND_PAGE_SIZE)
        data = [public_refund(r) for r in shown]
        return {**ok("Refunds fetched", data), "meta": {"page_info": page_info}}

    def list_transactions(self, params: dict[str, str]) -> Obj:
        """GET /v3/transactions: every transaction the filters match, newest first, paged."""
        wanted = TransactionFilter.parse(params)
        with self._lock:
            reported = [self._reported(t) for t in reversed(self._transactions.values())]
        matches = [t for t in reported if wanted.matches(t)]
        shown, page_info = page_of(matches, wanted.page, TRANSACTION_PAGE_SIZE)
        return {**ok("Transactions fetched", shown), "meta": {"page_info": page_info}}

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
        txn = self._transactions.get(int(ref)) if _transaction_id(ref) else None
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


def _deliver(body: Obj) -> bool:
    deliver = body.get("deliver", True)
    if not isinstance(deliver, bool):
        raise falcon.HTTPBadRequest(description="deliver must be true or false")
    return deliver


def _transaction_id(ref: str) -> bool:
    """Whether `ref` can be a transaction id: ASCII digits, no longer than an id we issue
    (Python refuses int() of a string past 4,300 digits, which answered 500)."""
    return ref.isascii() and ref.isdigit() and len(ref) <= 19
