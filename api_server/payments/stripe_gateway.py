"""Stripe PaymentIntents through the official SDK; base URL, timeout and retries from config."""

from __future__ import annotations

from typing import Any

import stripe
from stripe.params import RefundListParams

from api_server.config import Config
from api_server.payments.gateways import (
    Checkout,
    Customer,
    Failure,
    GatewayError,
    GatewayStatus,
    Health,
    PaymentRow,
    RefundSeen,
    SeenStatus,
)

# Stripe refuses these amounts for the currency (docs.stripe.com/currencies): the buyer's
# order is the problem, not the gateway.
AMOUNT_CODES = frozenset({"amount_too_small", "amount_too_large", "invalid_charge_amount"})
# A refund in these statuses gave nothing back (docs.stripe.com/api/refunds/object#refund_object-
# status: pending, requires_action, succeeded, failed, canceled).
_NOT_MADE = frozenset({"failed", "canceled"})
# GET /v1/refunds pages hold at most 100 (docs.stripe.com/api/refunds/list, `limit`); a charge
# is refunded a few times at most, so more pages than this is not a list we can trust.
MAX_REFUND_PAGES = 10
# docs.stripe.com/currencies#special-cases: ISK and UGX have no minor unit in ISO 4217 (nor in
# our books) but go to Stripe as two-decimal values ending in 00 ("to charge 5 UGX, provide an
# amount value of 500").
_HUNDREDS = frozenset({"ISK", "UGX"})


def to_stripe_amount(amount: int, currency: str) -> int:
    """Our minor units -> the integer Stripe expects for `currency`."""
    return amount * 100 if currency.upper() in _HUNDREDS else amount


def from_stripe_amount(amount: int | None, currency: str | None) -> int | None:
    """Stripe's integer -> our minor units; None when it cannot be one of ours."""
    if amount is None or currency is None or currency.upper() not in _HUNDREDS:
        return amount
    return amount // 100 if amount % 100 == 0 else None


_STATUSES: dict[str, SeenStatus] = {
    "requires_confirmation": "pending",
    "requires_action": "requires_action",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "canceled",
}


def intent_id(payment: PaymentRow) -> str:
    """The payment's PaymentIntent id (its `provider_ref`). Every Stripe call about a payment
    comes after its checkout opened: webhooks and reconciliation find the payment by it."""
    ref = payment["provider_ref"]
    if ref is None:
        # What the SDK raised when handed None (it cannot quote it into the path): a bug of
        # ours, never an answer of Stripe's.
        raise TypeError(f"payment {payment['id']} has no PaymentIntent")
    return ref


def _id(value: Any) -> str | None:
    """An id field that Stripe may send as an id or, expanded, as the object itself."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def failure_of(error: Any) -> Failure | None:
    """A PaymentIntent's `last_payment_error` (or a card error body) as a Failure."""
    if not isinstance(error, dict):
        return None
    code = error.get("code") or error.get("type") or "payment_failed"
    decline = error.get("decline_code")
    message = error.get("message")
    return Failure(
        str(code),
        decline if isinstance(decline, str) else None,
        message if isinstance(message, str) else None,
    )


def intent_status(intent: dict[str, Any]) -> GatewayStatus:
    """Our view of a PaymentIntent, from the API or from an event, whatever fields it has.

    After a decline Stripe puts the intent back in `requires_payment_method` with
    `last_payment_error`: the payment stays open for another card.
    """
    raw = intent.get("status")
    failure = failure_of(intent.get("last_payment_error"))
    status: SeenStatus
    if raw == "requires_payment_method":
        status = "requires_payment_method" if failure is not None else "pending"
    else:
        status = _STATUSES.get(str(raw), "unknown")
    raw_currency = intent.get("currency")
    currency = raw_currency.upper() if isinstance(raw_currency, str) else None
    next_action = intent.get("next_action")
    return GatewayStatus(
        status,
        from_stripe_amount(_int(intent.get("amount")), currency),
        currency,
        _id(intent.get("id")),
        _id(intent.get("latest_charge")),
        failure if status == "requires_payment_method" else None,
        next_action if isinstance(next_action, dict) and status == "requires_action" else None,
    )


def _error(exc: stripe.StripeError) -> GatewayError:
    code = exc.code or getattr(exc.error, "code", None)
    if isinstance(exc, stripe.CardError):
        error = exc.error
        return GatewayError(
            "declined",
            exc.user_message or "The card was declined.",
            code=getattr(error, "code", None) or code,
            decline_code=getattr(error, "decline_code", None),
        )
    if isinstance(exc, stripe.APIConnectionError):
        if "Timeout" in str(exc):
            return GatewayError("timeout", "Stripe did not answer in time.")
        return GatewayError("unavailable", "Stripe could not be reached.")
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return GatewayError("unauthorized", "Stripe refused our API key.")
    if isinstance(exc, stripe.RateLimitError):
        return GatewayError("rate_limited", "Stripe is rate limiting our requests.")
    if isinstance(exc, stripe.APIError) or (exc.http_status or 0) >= 500:
        return GatewayError("unavailable", "Stripe answered with a server error.")
    if code in AMOUNT_CODES:
        message = exc.user_message or "Stripe refused the amount."
        return GatewayError("amount", message, code=code)
    return GatewayError("rejected", "Stripe refused the request.", code=code)


class StripeGateway:
    """PaymentIntents; our payment id is the idempotency key of every creating call."""

    name = "stripe"

    def __init__(self, config: Config) -> None:
        self._client = stripe.StripeClient(
            config.stripe_secret_key or "sk_test_unset",
            base_addresses={"api": config.stripe_api_base},
            max_network_retries=config.stripe_max_retries,
            http_client=stripe.RequestsClient(timeout=config.stripe_timeout),
        )

    def create(
        self, payment: PaymentRow, *, customer: Customer, redirect_url: str, ttl_seconds: int
    ) -> Checkout:
        """A PaymentIntent for the payment's amount (expiry is ours: reconciliation cancels).

        `customer` is not sent: we email our own receipt, and Stripe would send a second.
        """
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": to_stripe_amount(payment["amount"], payment["currency"]),
                    "currency": payment["currency"].lower(),
                    # This API version's name for the old `payment_method_types`.
                    "allowed_payment_method_types": ["card"],
                    "description": f"Mining Marketplace payment {payment['id']}",
                    "metadata": {
                        "payment_id": str(payment["id"]),
                        "listing_id": str(payment["listing_id"]),
                    },
                },
                options={"idempotency_key": f"create-{payment['id']}"},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return Checkout(intent.id, client_secret=intent.client_secret)

    def confirm(self, payment: PaymentRow, *, payment_method: str) -> GatewayStatus:
        """Confirms server-side; a 3-D Secure card answers `requires_action`."""
        try:
            intent = self._client.v1.payment_intents.confirm(
                intent_id(payment), params={"payment_method": payment_method}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return intent_status(intent.to_dict())

    def cancel(self, payment: PaymentRow, *, reason: str) -> GatewayStatus:
        """Cancels the PaymentIntent; if Stripe cannot (it succeeded), says where it stands."""
        try:
            intent = self._client.v1.payment_intents.cancel(
                intent_id(payment), params={"cancellation_reason": reason}
            )
        except stripe.InvalidRequestError as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise _error(exc) from exc
            return self.status(payment)
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return intent_status(intent.to_dict())

    def refund(self, payment: PaymentRow, *, amount: int, refund_id: str) -> str:
        """Refunds `amount` minor units; returns Stripe's refund id."""
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": intent_id(payment),
                    "amount": to_stripe_amount(amount, payment["currency"]),
                    "metadata": {"payment_id": str(payment["id"]), "refund_id": refund_id},
                },
                options={"idempotency_key": f"refund-{refund_id}"},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return refund.id

    def find_refund(self, payment: PaymentRow, *, refund_id: str) -> RefundSeen:
        """Our refund among the PaymentIntent's refunds at Stripe (GET /v1/refunds).

        Ours is the one whose `metadata[refund_id]` is `refund_id` (`refund` sends it). The
        list only reads Stripe's records: a retry of the POST with its idempotency key would
        replay a stored 500 for ever, and once the key has expired (24 hours) would refund
        again. When none is ours, the refund was not made, unless Stripe gave back more than
        we booked: then a refund none of ours explains makes it unclear, and a person decides.
        `given_back` is Stripe's total, so a booking never counts ours twice.
        """
        listed = self._refunds_of(payment)
        currency = payment["currency"]
        given_back = sum(
            from_stripe_amount(_int(r.get("amount")), currency) or 0
            for r in listed
            if r.get("status") not in _NOT_MADE
        )
        mine = [r for r in listed if (r.get("metadata") or {}).get("refund_id") == refund_id]
        if mine:
            if mine[0].get("status") in _NOT_MADE:
                return RefundSeen("absent", given_back=given_back)
            return RefundSeen("made", _id(mine[0].get("id")) or refund_id, given_back)
        booked = payment["amount_refunded"]
        return RefundSeen("absent" if given_back <= booked else "unclear", given_back=given_back)

    def _refunds_of(self, payment: PaymentRow) -> list[dict[str, Any]]:
        """Every refund Stripe lists for the payment's PaymentIntent, all pages."""
        params: RefundListParams = {"payment_intent": intent_id(payment), "limit": 100}
        found: list[dict[str, Any]] = []
        for _ in range(MAX_REFUND_PAGES):
            try:
                page = self._client.v1.refunds.list(params=params)
            except stripe.StripeError as exc:
                raise _error(exc) from exc
            data = [r.to_dict() for r in page.data]
            # The filter is Stripe's; the PaymentIntent is checked again here.
            found += [r for r in data if _id(r.get("payment_intent")) == payment["provider_ref"]]
            if not page.has_more or not data:
                return found
            params["starting_after"] = data[-1]["id"]
        raise GatewayError("unavailable", "Stripe listed more refunds than we read.")

    def status(self, payment: PaymentRow) -> GatewayStatus:
        """What Stripe says of the PaymentIntent now."""
        return self.intent(intent_id(payment))

    def history(self, payment: PaymentRow) -> list[GatewayStatus]:
        """A payment is one PaymentIntent: it succeeds once and takes its amount once."""
        return [self.status(payment)]

    def intent(self, intent_id: str) -> GatewayStatus:
        """One PaymentIntent re-read from Stripe (events may carry a partial object)."""
        try:
            intent = self._client.v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return intent_status(intent.to_dict())

    def probe(self) -> Health:
        """Lists one event: needs a valid secret key, changes nothing."""
        try:
            self._client.v1.events.list(params={"limit": 1})
        except stripe.StripeError as exc:
            error = _error(exc)
            if error.kind in ("unavailable", "timeout") and not isinstance(exc, stripe.APIError):
                return Health("unreachable", str(error))
            if error.kind == "unauthorized":
                return Health("unauthorized", str(error))
            return Health("error", str(error))
        return Health("ok", "Stripe answered an authenticated call.")
