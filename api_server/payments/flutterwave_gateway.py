"""Flutterwave v3 over plain HTTP: hosted checkout, verify, refunds, rates."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from api_server.common.money import checkout_amount, to_minor
from api_server.config import Config
from api_server.payments.flutterwave_charges import charge_body, instruction
from api_server.payments.gateways import (
    AMBIGUOUS,
    Checkout,
    Customer,
    ErrorKind,
    Failure,
    GatewayError,
    GatewayStatus,
    Health,
    PaymentRow,
    RefundSeen,
    SeenStatus,
)
from api_server.payments.methods import BANK_TRANSFER, MOBILE_MONEY, USSD, DirectCharge

# Flutterwave's one documented "nothing here" answer for a reference it does not know.
NOT_FOUND = "no transaction was found"
MAX_SESSION_MINUTES = 1440  # "The maximum possible value is 1440 minutes (24 hours)."
# GET /v3/refunds answers pages of 20; a transaction with more refunds than this many pages
# is beyond anything this API makes, and is reported as unclear rather than read for ever.
MAX_REFUND_PAGES = 10
# GET /v3/transactions answers pages of ten; one tx_ref with more than this many pages of
# attempts is reported as unavailable rather than read for ever.
MAX_TRANSACTION_PAGES = 10
_KINDS: dict[int, ErrorKind] = {401: "unauthorized", 403: "unauthorized", 429: "rate_limited"}
# A failed attempt leaves the hosted checkout open for another try; verify decides.
_STATUSES: dict[str, SeenStatus] = {
    "successful": "succeeded",
    "failed": "requires_payment_method",
    "pending": "pending",
}


class FlutterwaveGateway:
    """Hosted payments; our payment id is the tx_ref."""

    name = "flutterwave"

    def __init__(self, config: Config) -> None:
        self._base = config.flutterwave_api_base
        self._timeout = config.flutterwave_timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {config.flutterwave_secret_key}"

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = self._envelope(method, path, **kwargs).get("data")
        return data if isinstance(data, dict) else {}

    def _envelope(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Flutterwave's whole answer, `{"status", "message", "data", "meta"?}`."""
        try:
            response = self._session.request(
                method, f"{self._base}{path}", timeout=self._timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise GatewayError(
                "timeout", "Flutterwave did not answer in time.", reached=False, sent=_sent(exc)
            ) from exc
        except requests.RequestException as exc:
            raise GatewayError(
                "unavailable", "Flutterwave could not be reached.", reached=False, sent=_sent(exc)
            ) from exc
        if response.status_code >= 500:
            raise GatewayError("unavailable", "Flutterwave answered with a server error.")
        try:
            body = response.json()
        except ValueError as exc:
            raise GatewayError("unavailable", "Flutterwave answered with no JSON.") from exc
        if not isinstance(body, dict):
            raise GatewayError("unavailable", "Flutterwave answered with an unexpected body.")
        if response.status_code >= 400 or body.get("status") != "success":
            kind = _KINDS.get(response.status_code, "rejected")
            raise GatewayError(
                kind, str(body.get("message") or "refused"), status=response.status_code
            )
        return body

    def create(
        self, payment: PaymentRow, *, customer: Customer, redirect_url: str, ttl_seconds: int
    ) -> Checkout:
        """A hosted checkout whose session ends with the payment's reservation."""
        payer: dict[str, str] = {"email": customer.email}
        if customer.name:
            payer["name"] = customer.name
        charge = direct_charge(payment)
        try:
            if charge is not None:
                return self._charge(payment, charge, customer, redirect_url, ttl_seconds)
            data = self._create(payment, payer, redirect_url, ttl_seconds)
        except GatewayError as exc:
            if exc.kind in AMBIGUOUS:
                # The link (or the charge) may exist though its answer was lost: it is still
                # findable and payable by our tx_ref, so the caller must keep watching it.
                exc.details["reference"] = str(payment["id"])
            raise
        return Checkout(str(payment["id"]), payment_link=data.get("link"))

    def _charge(
        self,
        payment: PaymentRow,
        charge: DirectCharge,
        customer: Customer,
        redirect_url: str,
        ttl_seconds: int,
    ) -> Checkout:
        """A direct charge: the customer completes it away from us, a webhook tells."""
        answer = self._envelope(
            "POST",
            "/v3/charges",
            params={"type": charge.charge_type},
            json=charge_body(payment, charge, customer, redirect_url, ttl_seconds),
        )
        told, until = instruction(payment, charge, answer, datetime.now(UTC))
        return Checkout(str(payment["id"]), instruction=told, until=until)

    def _create(
        self, payment: PaymentRow, payer: dict[str, str], redirect_url: str, ttl_seconds: int
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "/v3/payments",
            json={
                "tx_ref": str(payment["id"]),
                "amount": checkout_amount(payment["amount"], payment["currency"]),
                "currency": payment["currency"],
                "redirect_url": redirect_url,
                "customer": payer,
                "session_duration": min(MAX_SESSION_MINUTES, math.ceil(ttl_seconds / 60)),
                "meta": {
                    "payment_id": str(payment["id"]),
                    "listing_id": str(payment["listing_id"]),
                },
                "customizations": {"title": "Mining Marketplace"},
                # The buyer chose a card: the page offers nothing else (`payment_options`,
                # https://developer.flutterwave.com/v3.0/docs/payment-methods).
                "payment_options": "card",
            },
        )

    def cancel(self, payment: PaymentRow, *, reason: str) -> GatewayStatus:
        """Nothing to cancel at Flutterwave: ask whether the checkout was paid meanwhile.

        The hosted link stays payable until its session ends; a success after this is a
        late success, settled or refunded by the webhook or by reconciliation.
        """
        seen = self.status(payment)
        return seen if seen.status == "succeeded" else GatewayStatus("canceled")

    def refund(self, payment: PaymentRow, *, amount: int, refund_id: str) -> str:
        """Refunds `amount` minor units of the verified transaction."""
        return self.refund_transaction(
            str(payment["provider_txn_id"]),
            currency=payment["currency"],
            amount=amount,
            comment=f"payment {payment['id']} refund {refund_id}",
            fallback=refund_id,
        )

    def refund_transaction(
        self,
        transaction_id: str,
        *,
        currency: str,
        amount: int,
        comment: str,
        fallback: str | None = None,
    ) -> str:
        """Refunds `amount` minor units of one transaction (a payment's, or money that
        reached us for it and goes back: receipts.py); returns Flutterwave's refund id."""
        data = self._call(
            "POST",
            f"/v3/transactions/{transaction_id}/refund",
            json={"amount": checkout_amount(amount, currency), "comments": comment},
        )
        return str(data.get("id") or data.get("flw_ref") or fallback or comment)

    def find_refund(self, payment: PaymentRow, *, refund_id: str) -> RefundSeen:
        """Our refund among the transaction's refunds at Flutterwave (GET /v3/refunds).

        Ours is the one whose comment names `refund_id` (we send it in `comments`). When none
        does, the refund was not made, unless Flutterwave gave back more than we booked: then
        a refund none of ours explains (a dashboard refund, or ours without its comment) makes
        it unclear, and a person decides.
        """
        listed = self._refunds_of(payment)
        mine = [r for r in listed if refund_id in str(r.get("comment") or r.get("comments") or "")]
        if mine:
            if str(mine[0].get("status")).lower() == "failed":
                return RefundSeen("absent")
            return RefundSeen("made", str(mine[0].get("id") or mine[0].get("flw_ref") or refund_id))
        given_back = sum(
            _minor(r.get("amount_refunded"), payment["currency"])
            for r in listed
            if str(r.get("status")).lower() != "failed"
        )
        return RefundSeen("absent" if given_back <= payment["amount_refunded"] else "unclear")

    def _refunds_of(self, payment: PaymentRow) -> list[dict[str, Any]]:
        """Every refund Flutterwave lists for the payment's transaction, all pages."""
        txn = str(payment["provider_txn_id"])
        # A day either side: the page's dates carry no time zone.
        paid = payment.get("paid_at") or payment["created_at"]
        params: dict[str, Any] = {
            "id": txn,
            "from": (paid.date() - timedelta(days=1)).isoformat(),
            "to": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(),
        }
        # The filter is Flutterwave's; the transaction is checked again here.
        return [
            r
            for r in self._listed("/v3/refunds", params, "refunds", MAX_REFUND_PAGES)
            if str(r.get("transaction_id", txn)) == txn
        ]

    def _listed(
        self, path: str, params: dict[str, Any], what: str, max_pages: int
    ) -> list[dict[str, Any]]:
        """Every object of one of Flutterwave's paged lists, reading at most `max_pages`."""
        found: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            body = self._envelope("GET", path, params={**params, "page": page})
            data = body.get("data")
            if not isinstance(data, list):
                raise GatewayError("unavailable", f"Flutterwave listed no {what} array.")
            found += [item for item in data if isinstance(item, dict)]
            info = (body.get("meta") or {}).get("page_info") or {}
            try:
                last = int(info.get("total_pages") or 1)
            except (TypeError, ValueError) as exc:
                raise GatewayError("unavailable", f"Flutterwave paged its {what} oddly.") from exc
            if page >= last:
                return found
        raise GatewayError("unavailable", f"Flutterwave listed more {what} than we read.")

    def verify(self, transaction_id: str) -> GatewayStatus:
        """Re-reads a transaction from Flutterwave; the only source of value we trust."""
        return _status(self._call("GET", f"/v3/transactions/{transaction_id}/verify"))

    def status(self, payment: PaymentRow) -> GatewayStatus:
        """The latest transaction for the payment's tx_ref.

        Only Flutterwave's "no transaction was found" means nobody has paid yet; any other
        refusal (a wrong key, a rate limit) says nothing about the payment and is raised.
        """
        try:
            data = self._call(
                "GET",
                "/v3/transactions/verify_by_reference",
                params={"tx_ref": payment["provider_ref"]},
            )
        except GatewayError as exc:
            if exc.kind == "rejected" and NOT_FOUND in str(exc).lower():
                return GatewayStatus("pending", reference=payment["provider_ref"])
            raise
        return _status(data)

    def history(self, payment: PaymentRow) -> list[GatewayStatus]:
        """Every transaction of the payment's tx_ref, oldest first, each success verified.

        A bank transfer account or a USSD code can be paid more than once, and a hosted
        checkout retried: verify_by_reference shows only the latest transaction. The list
        (GET /v3/transactions?tx_ref=) finds the others; value is still read from verify,
        and the latest is kept even if the list has not caught up with it yet.
        """
        latest = self.status(payment)
        found: dict[str, dict[str, Any]] = {}
        for data in self._transactions_of(payment):
            if str(data.get("tx_ref")) == payment["provider_ref"] and data.get("id") is not None:
                found[str(data["id"])] = data
        seen = {
            txn: self.verify(txn) if str(data.get("status")) == "successful" else _status(data)
            for txn, data in found.items()
        }
        if latest.transaction_id is not None:
            seen[latest.transaction_id] = latest
        if not seen:
            return [latest]
        return [seen[txn] for txn in sorted(seen, key=_transaction_order)]

    def _transactions_of(self, payment: PaymentRow) -> list[dict[str, Any]]:
        """Every transaction Flutterwave lists for the payment's tx_ref, all pages."""
        # A day either side: the list's dates carry no time zone.
        params: dict[str, Any] = {
            "tx_ref": payment["provider_ref"],
            "from": (payment["created_at"].date() - timedelta(days=1)).isoformat(),
            "to": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(),
        }
        return self._listed("/v3/transactions", params, "transactions", MAX_TRANSACTION_PAGES)

    def rate(self, *, source: str, destination: str, destination_amount: Decimal) -> Decimal:
        """Source units per destination unit, as Flutterwave quotes it."""
        data = self._call(
            "GET",
            "/v3/transfers/rates",
            params={
                "amount": str(destination_amount),
                "source_currency": source,
                "destination_currency": destination,
            },
        )
        try:
            return Decimal(str(data["rate"]))
        except (KeyError, ArithmeticError) as exc:
            raise GatewayError("unavailable", "Flutterwave quoted no usable rate.") from exc

    def probe(self) -> Health:
        """A valid rates call (all three required parameters): needs a valid key."""
        try:
            self.rate(source="USD", destination="NGN", destination_amount=Decimal(1))
        except GatewayError as exc:
            if exc.kind == "unauthorized":
                return Health("unauthorized", "Flutterwave refused our secret key.")
            if exc.details.get("reached") is False:
                return Health("unreachable", str(exc))
            return Health("error", str(exc))
        return Health("ok", "Flutterwave answered an authenticated call.")


def direct_charge(payment: PaymentRow) -> DirectCharge | None:
    """The charge type the payment's method is sent as; None for the hosted checkout."""
    table = {"mobile_money": MOBILE_MONEY, "bank_transfer": BANK_TRANSFER, "ussd": USSD}
    return table.get(payment.get("method") or "card", {}).get(payment["currency"])


def _sent(exc: requests.RequestException) -> bool:
    """False only when the request provably never left: the connection was never made."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)


def _transaction_order(txn: str) -> tuple[int, str]:
    """Flutterwave's transaction ids are numbers given in order."""
    return (int(txn), txn) if txn.isascii() and txn.isdigit() else (0, txn)


def _minor(amount: Any, currency: str) -> int:
    try:
        return to_minor(Decimal(str(amount)), currency)
    except (ArithmeticError, ValueError) as exc:
        raise GatewayError("unavailable", "Flutterwave listed a refund without an amount.") from exc


def _status(data: dict[str, Any]) -> GatewayStatus:
    currency = str(data.get("currency") or "").upper()
    amount = data.get("amount")
    status = _STATUSES.get(str(data.get("status")), "pending")
    failure = None
    if status == "requires_payment_method":
        message = data.get("processor_response")
        failure = Failure("flutterwave_failed", None, str(message) if message else None)
    try:
        minor = (
            to_minor(Decimal(str(amount)), currency) if amount is not None and currency else None
        )
    except (ArithmeticError, ValueError):  # "twelve", "Infinity" and "NaN" (int(NaN))
        minor = None
    return GatewayStatus(
        status,
        minor,
        currency or None,
        data.get("tx_ref"),
        str(data["id"]) if data.get("id") is not None else None,
        failure,
    )
