"""Loopback Flutterwave v3 stand-in: hosted payments, verify, refunds, transfer rates.

JSON in and out inside Flutterwave's ``{"status", "message", "data"}`` envelope, with
amounts in major units. Run standalone with ``python -m sandbox.flutterwave``.
"""

from __future__ import annotations

import copy
import hmac
import secrets
import sys
import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import falcon

from sandbox.common import EventRecord, GatewayError, SandboxBase, read_json, run_standalone

Obj = dict[str, Any]
APP_FEE_RATE = Decimal("0.014")
CENT = Decimal("0.01")
OUTCOMES = ("successful", "failed", "cancelled")
OVERRIDABLE = ("amount", "currency", "status")
NOT_FOUND = "No transaction was found for this id"

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


def fw_error(status: int, message: str) -> GatewayError:
    return GatewayError(status, {"status": "error", "message": message, "data": None})


def ok(message: str, data: Any) -> Obj:
    return {"status": "success", "message": message, "data": data}


def number(value: Decimal) -> int | float:
    """JSON number for a major-unit amount: 1500 stays an int, 1500.5 a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _amount(value: Any, name: str = "amount") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fw_error(400, f"{name} is required and must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise fw_error(400, f"{name} must be a number") from exc
    if not amount.is_finite() or amount <= 0:
        raise fw_error(400, f"{name} must be greater than 0")
    return amount


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def _with_query(url: str, params: Obj) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


class FlutterwaveSandbox(SandboxBase):
    """Flutterwave v3: hosted checkout, verify, refunds, transfer rates, verif-hash webhooks."""

    api_prefix = "/v3/"
    name = "flutterwave"

    def init_state(self) -> None:
        self._payments: dict[str, Obj] = {}
        self._tokens: dict[str, str] = {}
        self._transactions: dict[int, Obj] = {}
        self._overrides: dict[int, Obj] = {}
        self._rates = dict(DEFAULT_RATES)
        # Real transaction ids are unique for ever; a sandbox restarted against the same
        # database must not hand out ids it gave before, so each instance starts elsewhere.
        self._next_id = 4_100_001 + secrets.randbelow(10**9) * 1000
        self._next_refund = 75_001

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
            raise fw_error(401, "Invalid authorization key")

    def error(self, status: int, message: str) -> GatewayError:
        return fw_error(status, message)

    def add_routes(self, app: falcon.App) -> None:
        api = _Api(self)
        app.add_route("/v3/payments", api, suffix="payments")
        app.add_route("/v3/transactions/{ref}/verify", api, suffix="verify")
        app.add_route("/v3/transactions/verify_by_reference", api, suffix="verify_by_ref")
        app.add_route("/v3/transactions/{ref}/refund", api, suffix="refund")
        app.add_route("/v3/transfers/rates", api, suffix="rates")
        app.add_route("/checkout/{token}", _Checkout(self))
        control = _FlutterwaveControl(self)
        app.add_route("/_sandbox/rates", control, suffix="rates")
        app.add_route("/_sandbox/transactions/{ref}/override", control, suffix="override")
        app.add_route("/_sandbox/transactions/{ref}/events", control, suffix="events")

    # hosted payments --------------------------------------------------------

    def create_payment(self, body: Obj) -> Obj:
        for name in ("tx_ref", "currency", "redirect_url"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise fw_error(400, f"{name} is required")
        customer = body.get("customer")
        if not isinstance(customer, dict) or not customer.get("email"):
            raise fw_error(400, "customer.email is required")
        payment = {
            "tx_ref": body["tx_ref"],
            "amount": _amount(body.get("amount")),
            "currency": body["currency"].upper(),
            "redirect_url": body["redirect_url"],
            "customer": dict(customer),
            "meta": body.get("meta"),
            "customizations": body.get("customizations"),
            "token": secrets.token_urlsafe(16),
        }
        with self._lock:
            if payment["tx_ref"] in self._payments:
                raise fw_error(400, "Duplicate transaction reference. Please use a unique tx_ref")
            self._payments[payment["tx_ref"]] = payment
            self._tokens[payment["token"]] = payment["tx_ref"]
        return ok("Hosted Link", {"link": f"{self.url}/checkout/{payment['token']}"})

    def checkout(self, token: str, outcome: str) -> Obj:
        """The customer's action on the hosted page; returns where they are sent next."""
        with self._lock:
            payment = self._payments.get(self._tokens.get(token, ""))
            if payment is None:
                raise falcon.HTTPNotFound(description="unknown or expired checkout link")
            result: Obj = {"status": outcome, "tx_ref": payment["tx_ref"], "transaction_id": None}
            if outcome != "cancelled":
                txn = self._settled(payment) or self._new_transaction(payment, outcome)
                result.update(status=txn["status"], transaction_id=txn["id"])
        query = {k: v for k, v in result.items() if v is not None}
        return {**result, "redirect": _with_query(payment["redirect_url"], query)}

    def _settled(self, payment: Obj) -> Obj | None:
        # A paid checkout stays paid: revisiting it must not charge the customer twice.
        txn = self._latest(payment["tx_ref"])
        return txn if txn is not None and txn["status"] == "successful" else None

    def _new_transaction(self, payment: Obj, outcome: str) -> Obj:
        txn_id, self._next_id = self._next_id, self._next_id + 1
        txn = _transaction(txn_id, payment, outcome)
        self._transactions[txn_id] = txn
        self._emit(txn, deliver=True)
        return txn

    def _latest(self, tx_ref: str) -> Obj | None:
        matches = [t for t in self._transactions.values() if t["tx_ref"] == tx_ref]
        return matches[-1] if matches else None

    def _emit(self, txn: Obj, deliver: bool, extra: Obj | None = None) -> EventRecord:
        data = {**copy.deepcopy(txn), **(extra or {})}
        body = {"event": "charge.completed", "data": data, "event.type": "CARD_TRANSACTION"}
        record = EventRecord(
            f"fwevt_{secrets.token_hex(8)}",
            "charge.completed",
            str(txn["id"]),
            int(time.time()),
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
            amount = left if body.get("amount") is None else _amount(body["amount"])
            if amount > left:
                raise fw_error(400, f"Refund amount cannot exceed {number(left)} {txn['currency']}")
            txn["amount_refunded"] = number(paid - left + amount)
            return ok("Transaction refund initiated", self._refund_data(txn, amount, body))

    def _refund_data(self, txn: Obj, amount: Decimal, body: Obj) -> Obj:
        refund_id, self._next_refund = self._next_refund, self._next_refund + 1
        return {
            "id": refund_id,
            "account_id": txn["account_id"],
            "tx_id": txn["id"],
            "flw_ref": f"URF_{int(time.time() * 1000)}_{refund_id}",
            "wallet_id": 74639,
            "amount_refunded": number(amount),
            "status": "completed",
            "destination": "payment_source",
            "comments": body.get("comments"),
            "meta": {"source": "availablebalance"},
            "created_at": _iso(time.time()),
        }

    # transfer rates ---------------------------------------------------------

    def transfer_rate(self, amount: str | None, source: str | None, dest: str | None) -> Obj:
        if not (amount and source and dest):
            raise fw_error(400, "amount, source_currency and destination_currency are required")
        wanted = _amount(amount)
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
        rate = _amount(body.get("rate"), "rate")
        with self._lock:
            # The endpoint reports source units per destination unit: 1 dest = rate source.
            self._rates[dest, source] = rate
            self._rates.pop((source, dest), None)
        return {"source_currency": source, "destination_currency": dest, "rate": number(rate)}

    def override(self, ref: str, body: Obj) -> Obj:
        unknown = set(body) - set(OVERRIDABLE)
        if unknown:
            raise falcon.HTTPBadRequest(description=f"cannot override {sorted(unknown)}")
        with self._lock:
            txn = self._by_id(ref)
            self._overrides.setdefault(txn["id"], {}).update(body)
            return self._reported(txn)

    def clear_override(self, ref: str) -> Obj:
        with self._lock:
            txn = self._by_id(ref)
            self._overrides.pop(txn["id"], None)
            return self._reported(txn)

    def craft_event(self, tx_ref: str, body: Obj) -> Obj:
        extra = body.get("data") or {}
        if not isinstance(extra, dict):
            raise falcon.HTTPBadRequest(description="data must be an object")
        with self._lock:
            txn = self._latest(tx_ref)
            if txn is None:
                raise falcon.HTTPNotFound(description=f"no transaction with tx_ref {tx_ref}")
            record = self._emit(txn, bool(body.get("deliver", True)), extra)
        return record.summary()


def _transaction(txn_id: int, payment: Obj, outcome: str) -> Obj:
    amount: Decimal = payment["amount"]
    fee = (amount * APP_FEE_RATE).quantize(CENT, ROUND_HALF_UP)
    customer = payment["customer"]
    now = time.time()
    return {
        "id": txn_id,
        "tx_ref": payment["tx_ref"],
        "flw_ref": f"FLW-MOCK-{secrets.token_hex(16)}",
        "device_fingerprint": "N/A",
        "amount": number(amount),
        "currency": payment["currency"],
        "charged_amount": number(amount),
        "app_fee": number(fee),
        "merchant_fee": 0,
        "processor_response": "Approved. Successful" if outcome == "successful" else "Declined",
        "auth_model": "PIN",
        "ip": "127.0.0.1",
        "narration": "CARD Transaction ",
        "status": outcome,
        "payment_type": "card",
        "created_at": _iso(now),
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
        "meta": payment["meta"],
        "customer": {
            "id": 200_000 + txn_id % 100_000,
            "name": customer.get("name") or "Anonymous",
            "phone_number": customer.get("phonenumber") or "N/A",
            "email": customer["email"],
            "created_at": _iso(now),
        },
    }


# --------------------------------------------------------------------------- HTTP layer


class _Api:
    def __init__(self, sandbox: FlutterwaveSandbox) -> None:
        self._sb = sandbox

    def on_post_payments(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_payment(read_json(req))

    def on_get_verify(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.verify(ref)

    def on_get_verify_by_ref(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.verify_by_reference(req.get_param("tx_ref"))

    def on_post_refund(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.refund(ref, read_json(req))

    def on_get_rates(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.transfer_rate(
            req.get_param("amount"),
            req.get_param("source_currency"),
            req.get_param("destination_currency"),
        )


class _Checkout:
    """Stands in for the customer on Flutterwave's hosted payment page."""

    def __init__(self, sandbox: FlutterwaveSandbox) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        outcome = req.get_param("outcome")
        if outcome is None:
            resp.content_type = falcon.MEDIA_HTML
            resp.text = _checkout_page(req.path)
            return
        if outcome not in OUTCOMES:
            raise falcon.HTTPBadRequest(description=f"outcome must be one of {OUTCOMES}")
        result = self._sb.checkout(token, outcome)
        if req.client_prefers([falcon.MEDIA_HTML, falcon.MEDIA_JSON]) == falcon.MEDIA_JSON:
            resp.media = result
            return
        resp.status = falcon.HTTP_302
        resp.location = result["redirect"]


def _checkout_page(path: str) -> str:
    links = "".join(f'<li><a href="{path}?outcome={o}">{o}</a></li>' for o in OUTCOMES)
    return f"<!doctype html><title>Sandbox checkout</title><h1>Pay?</h1><ul>{links}</ul>"


class _FlutterwaveControl:
    def __init__(self, sandbox: FlutterwaveSandbox) -> None:
        self._sb = sandbox

    def on_post_rates(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.set_rate(read_json(req))

    def on_post_override(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.override(ref, read_json(req))

    def on_delete_override(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.clear_override(ref)

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, ref: str) -> None:
        resp.media = self._sb.craft_event(ref, read_json(req))


def main(argv: list[str] | None = None) -> int:
    return run_standalone(
        FlutterwaveSandbox,
        argv,
        {"secret_key": "FLWSECK_TEST-sandbox", "webhook_secret": "sandbox-secret-hash"},
    )


if __name__ == "__main__":
    sys.exit(main())
