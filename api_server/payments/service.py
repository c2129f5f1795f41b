"""Payments: create with a reservation, confirm, cancel, read, list and refund."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from psycopg2.extras import RealDictCursor

from api_server.auth.principal import Principal
from api_server.common.errors import Conflict, Forbidden, NotFound
from api_server.common.money import (
    default_provider,
    line_amount,
    line_value,
)
from api_server.common.outbox import OutboxDispatcher
from api_server.common.pagination import page_body, paging
from api_server.common.quantities import parse_quantity
from api_server.config import Config
from api_server.db import Database
from api_server.observability.tracing import event, traceparent
from api_server.payments import methods, queries
from api_server.payments.gateways import (
    CardGateway,
    Customer,
    Failure,
    Gateway,
    GatewayError,
    GatewayStatus,
    RateSource,
)
from api_server.payments.idempotency import IdempotencyKeys
from api_server.payments.outcomes import IGNORED, SHORT_TRANSFER, Outcome
from api_server.payments.pricing import Pricing, check_amount
from api_server.payments.problems import gateway_problem
from api_server.payments.queries import PaymentRow
from api_server.payments.receipts import Receipts
from api_server.payments.refunds import Refunds
from api_server.payments.settlement import (
    OPEN,
    apply_gateway_status,
    listing_for_sale,
    record_failure,
    transition,
)
from api_server.payments.views import public_payment

# Statuses the buyer may still confirm (another card after a decline, or again during 3DS).
CONFIRMABLE = frozenset({"pending", "requires_payment_method", "requires_action"})
CANCELABLE = OPEN - {"processing"}
# What an order's amount is computed from: a listing that no longer says the same under the
# reservation's lock is not booked (409 listing_changed).
PRICED_BY = ("price_per_unit", "currency")


class PaymentsService:
    """The rules of buying; one transaction per step, gateways called between steps."""

    def __init__(
        self,
        config: Config,
        db: Database,
        outbox: OutboxDispatcher,
        stripe_gateway: CardGateway,
        flutterwave: Gateway,
        rates: RateSource,
    ) -> None:
        self._config = config
        self._db = db
        self._outbox = outbox
        self._stripe = stripe_gateway
        self.gateways: dict[str, Gateway] = {"stripe": stripe_gateway, "flutterwave": flutterwave}
        self._pricing = Pricing(rates)
        self.refunds = Refunds(db, outbox, self.gateways)
        self.receipts = Receipts(db, self.gateways)
        self.idempotency = IdempotencyKeys(db)

    @contextmanager
    def locked(self, payment_id: str) -> Iterator[tuple[RealDictCursor, PaymentRow]]:
        """The payment row, locked for one transaction.

        A gateway call made inside finishes before the webhook it triggers is applied (the
        webhook waits for this lock), so the webhook finds the status already moved.
        """
        with self._db.transaction() as cur:
            cur.execute(queries.LOCK_PAYMENT, (payment_id,))
            payment = cur.fetchone()
            if payment is None:
                raise NotFound("payment_not_found", "No such payment.")
            yield cur, payment

    # Creation

    def create(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        """Reserves the quantity, then opens the checkout at the gateway."""
        quantity = parse_quantity(body["quantity"])
        with self._db.transaction() as cur:
            cur.execute(queries.LOCK_LISTING, (body["listing_id"],))
            listing = cur.fetchone()
        self._check_listing(listing, principal, quantity)
        currency = (body.get("currency") or listing["currency"]).upper()
        provider = body.get("provider") or default_provider(currency)
        # The method is checked before the rate is quoted and anything is reserved.
        choice = methods.choose(provider, currency, body)
        value = line_value(listing["price_per_unit"], quantity)
        listing_amount = line_amount(listing["price_per_unit"], quantity)
        fx = self._pricing.charge(listing["currency"], currency, value, provider)
        check_amount(fx["amount"], listing_amount, currency, provider)
        payment_id = self._reserve(
            principal, listing, quantity, currency, provider, listing_amount, fx, choice
        )
        # The checkout opens only for a payment booked at the price it was priced at.
        return self._open_checkout(payment_id, principal)

    @staticmethod
    def _check_listing(
        listing: dict[str, Any] | None, principal: Principal, quantity: Decimal
    ) -> None:
        if listing is None:
            raise NotFound("listing_not_found", "No such listing.")
        if listing["status"] != "active":
            raise Conflict("listing_not_available", "This listing cannot be bought now.")
        if listing["seller_id"] == principal.id:
            raise Forbidden("own_listing", "Sellers cannot buy their own listings.")
        if quantity > listing["available_quantity"]:
            raise Conflict(
                "insufficient_quantity", f"Only {listing['available_quantity']} is available."
            )

    def _reserve(
        self,
        principal: Principal,
        priced: dict[str, Any],
        quantity: Decimal,
        currency: str,
        provider: str,
        listing_amount: int,
        fx: dict[str, Any],
        choice: methods.Choice,
    ) -> str:
        """Books the payment priced from `priced` (the listing as read before the rate
        quote), if the listing under the row lock still has that price and currency."""
        listing_id = priced["id"]
        with self._db.transaction() as cur:
            # Re-checked under the row lock: two buyers can never take the same last tonne.
            cur.execute(queries.LOCK_LISTING, (listing_id,))
            listing = cur.fetchone()
            self._check_listing(listing, principal, quantity)
            if any(listing[field] != priced[field] for field in PRICED_BY):
                # Repriced (or another currency) while the rate was quoted: the amount was
                # computed from what the listing no longer says. Nothing is reserved, and
                # no checkout is opened (that happens after this transaction).
                raise Conflict(
                    "listing_changed",
                    "The listing's price or currency changed while the order was being "
                    "priced; order again.",
                )
            cur.execute(
                queries.INSERT_PAYMENT,
                {
                    "listing_id": listing_id,
                    "buyer_id": principal.id,
                    "seller_id": listing["seller_id"],
                    "quantity": quantity,
                    "amount": fx["amount"],
                    "currency": currency,
                    "listing_amount": listing_amount,
                    "listing_currency": listing["currency"],
                    "fx_rate": fx["fx_rate"],
                    "fx_source": fx["fx_source"],
                    "fx_at": fx["fx_at"],
                    "provider": provider,
                    "method": choice.method,
                    "payer": json.dumps(choice.details()) if choice.details() else None,
                    "ttl": self._config.payment_ttl_seconds,
                    "traceparent": traceparent(),
                },
            )
            payment_id = cur.fetchone()["id"]
            cur.execute(queries.RESERVE, (quantity, listing_id))
            cur.execute(queries.INSERT_TRANSITION, (payment_id, None, "pending", "api:create"))
            event(
                "payment.transition",
                **{"payment.id": payment_id, "from": None, "to": "pending", "cause": "api:create"},
            )
        return payment_id

    def _open_checkout(self, payment_id: str, principal: Principal) -> dict[str, Any]:
        payment = self._load(payment_id)
        gateway = self.gateways[payment["provider"]]
        with self._db.transaction() as cur:
            cur.execute(queries.BUYER, (payment_id,))
            buyer = cur.fetchone()
        try:
            checkout = gateway.create(
                payment,
                customer=Customer(buyer["email"], buyer["full_name"]),
                redirect_url=f"{self._config.public_url}/api/payments/flutterwave/return",
                ttl_seconds=self._config.payment_ttl_seconds,
            )
        except GatewayError as exc:
            failure = Failure(f"gateway_{exc.kind}", None, str(exc))
            self._fail(payment_id, failure, "gateway:create", exc.details.get("reference"))
            raise gateway_problem(exc) from exc
        with self.locked(payment_id) as (cur, locked):
            cur.execute(
                queries.SET_CHECKOUT,
                (checkout.provider_ref, checkout.client_secret, checkout.payment_link, payment_id),
            )
            if checkout.instruction is not None and locked["status"] == "pending":
                # A direct charge waits on the customer away from us; the reservation holds
                # until it is paid, fails for good or its window ends, whichever is first.
                cur.execute(
                    queries.SET_INSTRUCTION,
                    {
                        "instruction": json.dumps(checkout.instruction),
                        "until": checkout.until,
                        "id": payment_id,
                    },
                )
                transition(cur, locked, "requires_action", "gateway:charge")
        return self._view(self._load(payment_id), principal)

    def _fail(self, payment_id: str, failure: Failure, cause: str, reference: str | None) -> None:
        """The checkout did not open for the buyer, so the goods go back.

        With a `reference` the gateway may have made it all the same (its answer was lost):
        the payment keeps that reference and stays open at the gateway, so a success paid
        there is still found by its webhook and by reconciliation (a late success).
        """
        with self.locked(payment_id) as (cur, payment):
            record_failure(cur, payment, failure)
            transition(cur, payment, "failed", cause)
            if reference is None:
                cur.execute(queries.MARK_CLOSED, (payment_id,))
            else:
                cur.execute(queries.SET_REFERENCE, (reference, payment_id))

    # Confirmation and cancellation

    def confirm(self, principal: Principal, payment_id: str, method: str) -> dict[str, Any]:
        """Confirms a Stripe payment server-side with a payment method (a test card).

        A decline answers 402 with Stripe's codes and keeps the payment open: the buyer may
        try another card on the same payment. A 3-D Secure card answers `requires_action`.
        """
        payment = self.visible(principal, payment_id)
        if payment["buyer_id"] != principal.id:
            raise Forbidden("forbidden", "Only the buyer can pay.")
        if payment["provider"] != "stripe":
            raise Conflict("wrong_provider", "Flutterwave payments use the payment link.")
        declined = None
        withdrawn = False
        with self.locked(payment_id) as (cur, locked):
            # The row stays locked while Stripe confirms, so the webhook that Stripe sends
            # meanwhile waits for this step and the history always reads the same.
            if locked["status"] not in CONFIRMABLE:
                raise Conflict("payment_not_pending", f"The payment is {locked['status']}.")
            if not listing_for_sale(cur, payment_id):
                # Suspended or deleted since the order was made: the goods are not for sale.
                self._close_or_problem(cur, locked, "abandoned", "api:confirm:listing_withdrawn")
                withdrawn = True
            else:
                declined = self._confirm_locked(cur, locked, method)
        if withdrawn:
            raise Conflict(
                "listing_not_available",
                "This listing is no longer for sale, so the payment was canceled, not taken.",
            )
        if declined is not None:
            raise gateway_problem(declined)
        return self._view(self._load(payment_id), principal)

    def _confirm_locked(
        self, cur: RealDictCursor, locked: PaymentRow, method: str
    ) -> GatewayError | None:
        """Confirms at Stripe and applies the answer; returns the decline, if any."""
        try:
            seen = self._stripe.confirm(locked, payment_method=method)
        except GatewayError as exc:
            if exc.kind != "declined":
                raise gateway_problem(exc) from exc
            failure = Failure(
                str(exc.details.get("code") or "card_declined"),
                exc.details.get("decline_code"),
                str(exc),
            )
            seen = GatewayStatus("requires_payment_method", failure=failure)
            apply_gateway_status(cur, locked, seen, "api:confirm:declined")
            return exc
        if seen.status in ("processing", "succeeded"):
            # The webhook is the source of truth for value; until then, processing.
            seen = GatewayStatus("processing")
        apply_gateway_status(cur, locked, seen, "api:confirm")
        return None

    def cancel(self, principal: Principal, payment_id: str) -> dict[str, Any]:
        """The buyer abandons an unpaid payment; the reservation is released."""
        payment = self.visible(principal, payment_id)
        if payment["buyer_id"] != principal.id:
            raise Forbidden("forbidden", "Only the buyer can cancel.")
        with self.locked(payment_id) as (cur, locked):
            # Locked across the gateway call: the `canceled` webhook it triggers waits, so
            # this request records the cancellation and the late event is a no-op.
            if locked["status"] not in CANCELABLE:
                raise Conflict("payment_not_cancelable", f"The payment is {locked['status']}.")
            outcome = self._close_or_problem(cur, locked, "requested_by_customer", "api:cancel")
        if outcome == Outcome.applied("succeeded"):
            raise Conflict(
                "payment_already_paid",
                "The gateway had already taken this payment, so it was not canceled.",
            )
        if outcome != Outcome.applied("canceled"):
            raise Conflict(
                "payment_not_cancelable", "The gateway could not cancel this payment now."
            )
        return self._view(self._load(payment_id), principal)

    def _close_or_problem(
        self, cur: RealDictCursor, locked: PaymentRow, reason: str, cause: str
    ) -> Outcome:
        """`close` for a caller waiting on the answer: a gateway that refuses or does not
        answer is its 502/503/504, and the transaction (with the row) is left as it was."""
        try:
            return self.close(cur, locked, reason, cause)
        except GatewayError as exc:
            raise gateway_problem(exc) from exc

    def close(self, cur: RealDictCursor, locked: PaymentRow, reason: str, cause: str) -> Outcome:
        """Cancels at the gateway first; if the gateway says it was paid, settles instead.

        Raises GatewayError when the gateway cannot be asked (nothing changes then).
        """
        seen = self.gateways[locked["provider"]].cancel(locked, reason=reason)
        if seen.status == "succeeded":
            outcome = apply_gateway_status(cur, locked, seen, f"{cause}:already_paid")
            if outcome != SHORT_TRANSFER:
                return outcome
            # The gateway's last word is a short transfer, booked to go back: it paid for
            # nothing, so the order is canceled like any unpaid one (else one naira would
            # hold the stock for ever).
            seen = GatewayStatus("canceled")
        if seen.status != "canceled":
            return IGNORED
        if locked["provider"] == "stripe":
            # A canceled PaymentIntent can never be paid: nothing left to watch for.
            cur.execute(queries.MARK_CLOSED, (locked["id"],))
        moved = transition(cur, locked, "canceled", cause)
        return Outcome.applied("canceled") if moved else IGNORED

    # Reading

    def _view(self, payment: PaymentRow, viewer: Principal, **extra: Any) -> dict[str, Any]:
        return public_payment(
            payment, viewer=viewer, publishable_key=self._config.stripe_publishable_key, **extra
        )

    def _load(self, payment_id: str) -> PaymentRow:
        with self._db.transaction() as cur:
            cur.execute(queries.PAYMENT, (payment_id,))
            payment = cur.fetchone()
        if payment is None:
            raise NotFound("payment_not_found", "No such payment.")
        return payment

    def visible(self, principal: Principal, payment_id: str) -> PaymentRow:
        """The payment if the caller is its buyer, its seller or an admin; 404 otherwise."""
        payment = self._load(payment_id)
        if not principal.is_admin and principal.id not in (
            payment["buyer_id"],
            payment["seller_id"],
        ):
            raise NotFound("payment_not_found", "No such payment.")
        return payment

    def get(self, principal: Principal, payment_id: str) -> dict[str, Any]:
        """One payment with its status history and refunds."""
        payment = self.visible(principal, payment_id)
        with self._db.transaction() as cur:
            cur.execute(queries.TRANSITIONS, (payment_id,))
            history = cur.fetchall()
            cur.execute(queries.REFUNDS, (payment_id,))
            refunds = cur.fetchall()
            cur.execute(queries.RECEIPTS, (payment_id,))
            receipts = cur.fetchall()
        return self._view(payment, principal, history=history, refunds=refunds, receipts=receipts)

    def list(self, principal: Principal, query: dict[str, Any]) -> dict[str, Any]:
        """The caller's payments as buyer or seller (admins: all), newest first."""
        page, per_page, offset = paging(query)
        params = {
            "me": principal.id,
            "everyone": principal.is_admin,
            "status": query.get("status"),
            "provider": query.get("provider"),
            "limit": per_page,
            "offset": offset,
        }
        with self._db.transaction() as cur:
            cur.execute(queries.LIST_PAYMENTS, params)
            rows = cur.fetchall()
            cur.execute(queries.COUNT_PAYMENTS, params)
            total = cur.fetchone()["total"]
        items = [self._view(r, principal) for r in rows]
        return page_body(items, page, per_page, total)

    # Refunds

    def refund_as_booked(self, payment_id: str, refund_id: str) -> dict[str, Any] | None:
        """One refund of the payment as the refund call answers it; None if there is none."""
        with self._db.transaction() as cur:
            cur.execute(queries.REFUNDS, (payment_id,))
            row = next((r for r in cur.fetchall() if r["id"] == refund_id), None)
        if row is None:
            return None
        return {**row, "payment_id": payment_id, "created_at": row["created_at"].isoformat()}

    def refund(
        self,
        principal: Principal,
        payment_id: str,
        amount: int | None,
        reason: str | None,
        request_id: str | None,
        allow_disputed: bool = False,
        dispute_note: str | None = None,
    ) -> dict[str, Any]:
        """Refunds part or all of a paid payment through its gateway (seller or admin)."""
        payment = self.visible(principal, payment_id)
        if not principal.is_admin and payment["seller_id"] != principal.id:
            raise Forbidden("forbidden", "Only the seller or an admin can refund.")
        return self.refunds.refund(
            payment_id,
            actor_id=principal.id,
            amount=amount,
            reason=reason,
            request_id=request_id,
            allow_disputed=allow_disputed,
            dispute_note=dispute_note,
        )
