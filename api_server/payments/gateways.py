"""The two payment gateways behind one small interface; failures become typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
import stripe

from api_server.config import Config
from api_server.payments.money import to_major, to_minor


class GatewayError(Exception):
    """The gateway could not do what was asked; `kind` says how it failed."""

    def __init__(self, kind: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.kind = kind  # declined | unavailable | timeout | rejected
        self.details = details


@dataclass(frozen=True)
class Checkout:
    """What the buyer needs to pay: Stripe's client secret or Flutterwave's hosted link."""

    provider_ref: str
    client_secret: str | None = None
    payment_link: str | None = None


@dataclass(frozen=True)
class GatewayStatus:
    """The gateway's view of a payment, normalised to our statuses."""

    status: str  # pending | processing | succeeded | failed | canceled | unknown
    amount: int | None
    currency: str | None
    reference: str | None = None
    transaction_id: str | None = None


def _stripe_error(exc: stripe.StripeError) -> GatewayError:
    if isinstance(exc, stripe.CardError):
        error = exc.error
        return GatewayError(
            "declined",
            exc.user_message or "The card was declined.",
            code=getattr(error, "code", None) or exc.code,
            decline_code=getattr(error, "decline_code", None),
        )
    if isinstance(exc, stripe.APIConnectionError):
        kind = "timeout" if "Timeout" in str(exc) else "unavailable"
        return GatewayError(kind, "Stripe could not be reached.")
    if isinstance(exc, stripe.APIError) or (exc.http_status or 0) >= 500:
        return GatewayError("unavailable", "Stripe answered with a server error.")
    return GatewayError("rejected", "Stripe refused the request.", code=exc.code)


_STRIPE_STATUS = {
    "requires_payment_method": "pending",
    "requires_confirmation": "pending",
    "requires_action": "pending",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "canceled",
}


class StripeGateway:
    """PaymentIntents through the official SDK; base URL, timeout and retries from config."""

    name = "stripe"

    def __init__(self, config: Config) -> None:
        self._client = stripe.StripeClient(
            config.stripe_secret_key or "sk_test_unset",
            base_addresses={"api": config.stripe_api_base},
            max_network_retries=config.stripe_max_retries,
            http_client=stripe.RequestsClient(timeout=config.stripe_timeout),
        )

    def create(self, payment: dict[str, Any], redirect_url: str, email: str) -> Checkout:
        """A PaymentIntent for the payment's amount; our payment id is its idempotency key."""
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": payment["amount"],
                    "currency": payment["currency"].lower(),
                    "payment_method_types": ["card"],
                    "description": f"Mining Marketplace payment {payment['id']}",
                    "metadata": {
                        "payment_id": str(payment["id"]),
                        "listing_id": str(payment["listing_id"]),
                    },
                },
                options={"idempotency_key": f"create-{payment['id']}"},
            )
        except stripe.StripeError as exc:
            raise _stripe_error(exc) from exc
        return Checkout(intent.id, client_secret=intent.client_secret)

    def confirm(self, payment: dict[str, Any], payment_method: str) -> str:
        """Confirms server-side; returns the normalised status, raises on a decline."""
        try:
            intent = self._client.v1.payment_intents.confirm(
                payment["provider_ref"], params={"payment_method": payment_method}
            )
        except stripe.StripeError as exc:
            raise _stripe_error(exc) from exc
        return _STRIPE_STATUS.get(intent.status, "pending")

    def cancel(self, payment: dict[str, Any]) -> None:
        """Cancels the PaymentIntent so it can never be paid later."""
        try:
            self._client.v1.payment_intents.cancel(payment["provider_ref"])
        except stripe.InvalidRequestError:
            pass  # already canceled or succeeded: the status check decides what that means
        except stripe.StripeError as exc:
            raise _stripe_error(exc) from exc

    def refund(self, payment: dict[str, Any], amount: int, refund_id: str) -> str:
        """Refunds `amount` minor units; returns Stripe's refund id."""
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": payment["provider_ref"],
                    "amount": amount,
                    "metadata": {"payment_id": str(payment["id"]), "refund_id": refund_id},
                },
                options={"idempotency_key": f"refund-{refund_id}"},
            )
        except stripe.StripeError as exc:
            raise _stripe_error(exc) from exc
        return refund.id

    def status(self, payment: dict[str, Any]) -> GatewayStatus:
        """What Stripe says of the PaymentIntent now."""
        try:
            intent = self._client.v1.payment_intents.retrieve(payment["provider_ref"])
        except stripe.StripeError as exc:
            raise _stripe_error(exc) from exc
        status = _STRIPE_STATUS.get(intent.status, "unknown")
        if status == "pending" and intent.last_payment_error:
            status = "failed"  # declined and not retried: the webhook we missed said so
        return GatewayStatus(
            status,
            intent.amount,
            intent.currency.upper(),
            intent.id,
            intent.latest_charge if isinstance(intent.latest_charge, str) else None,
        )

    def reachable(self) -> bool:
        """True when the API answers at all (an auth error still proves reachability)."""
        try:
            self._client.v1.events.list(params={"limit": 1})
        except stripe.APIConnectionError:
            return False
        except stripe.StripeError:
            return True
        return True


class FlutterwaveGateway:
    """Flutterwave v3 over plain HTTP: hosted payments, verify, refunds, rates."""

    name = "flutterwave"

    def __init__(self, config: Config) -> None:
        self._base = config.flutterwave_api_base
        self._timeout = config.flutterwave_timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {config.flutterwave_secret_key}"

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._session.request(
                method, f"{self._base}{path}", timeout=self._timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise GatewayError("timeout", "Flutterwave did not answer in time.") from exc
        except requests.RequestException as exc:
            raise GatewayError("unavailable", "Flutterwave could not be reached.") from exc
        if response.status_code >= 500:
            raise GatewayError("unavailable", "Flutterwave answered with a server error.")
        try:
            body = response.json()
        except ValueError as exc:
            raise GatewayError("unavailable", "Flutterwave answered with no JSON.") from exc
        if response.status_code >= 400 or body.get("status") != "success":
            raise GatewayError(
                "rejected", str(body.get("message") or "refused"), status=response.status_code
            )
        return body.get("data") or {}

    def create(self, payment: dict[str, Any], redirect_url: str, email: str) -> Checkout:
        """A hosted checkout for the payment; our payment id is the tx_ref."""
        data = self._call(
            "POST",
            "/v3/payments",
            json={
                "tx_ref": str(payment["id"]),
                "amount": _number(to_major(payment["amount"], payment["currency"])),
                "currency": payment["currency"],
                "redirect_url": redirect_url,
                "customer": {"email": email},
                "meta": {
                    "payment_id": str(payment["id"]),
                    "listing_id": str(payment["listing_id"]),
                },
                "customizations": {"title": "Mining Marketplace"},
            },
        )
        return Checkout(str(payment["id"]), payment_link=data.get("link"))

    def cancel(self, payment: dict[str, Any]) -> None:
        """A hosted checkout has nothing to cancel at Flutterwave; the link just goes unused."""

    def refund(self, payment: dict[str, Any], amount: int, refund_id: str) -> str:
        """Refunds `amount` minor units of the verified transaction."""
        data = self._call(
            "POST",
            f"/v3/transactions/{payment['provider_txn_id']}/refund",
            json={
                "amount": _number(to_major(amount, payment["currency"])),
                "comments": f"payment {payment['id']} refund {refund_id}",
            },
        )
        return str(data.get("id") or data.get("flw_ref") or refund_id)

    def verify(self, transaction_id: str) -> GatewayStatus:
        """Re-reads a transaction from Flutterwave; the only source of value we trust."""
        return self._status(self._call("GET", f"/v3/transactions/{transaction_id}/verify"))

    def status(self, payment: dict[str, Any]) -> GatewayStatus:
        """The latest transaction for the payment's tx_ref (for reconciliation)."""
        try:
            data = self._call(
                "GET",
                "/v3/transactions/verify_by_reference",
                params={"tx_ref": payment["provider_ref"]},
            )
        except GatewayError as exc:
            if exc.kind == "rejected":
                return GatewayStatus("pending", None, None)
            raise
        return self._status(data)

    @staticmethod
    def _status(data: dict[str, Any]) -> GatewayStatus:
        currency = str(data.get("currency") or "").upper()
        amount = data.get("amount")
        status = {"successful": "succeeded", "failed": "failed"}.get(data.get("status"), "pending")
        return GatewayStatus(
            status,
            to_minor(Decimal(str(amount)), currency) if amount is not None and currency else None,
            currency or None,
            data.get("tx_ref"),
            str(data["id"]) if data.get("id") is not None else None,
        )

    def rate(self, source: str, destination: str, destination_amount: Decimal) -> Decimal:
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
        return Decimal(str(data["rate"]))

    def reachable(self) -> bool:
        """True when the API answers at all."""
        try:
            self._session.get(f"{self._base}/v3/transfers/rates", timeout=self._timeout)
        except requests.RequestException:
            return False
        return True


def _number(value: Decimal) -> int | float:
    """JSON number for a major amount; exact for the few decimals currencies have."""
    return int(value) if value == value.to_integral_value() else float(value)
