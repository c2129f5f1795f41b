"""Model-based testing: random interleavings of the real operations against the live stack.

A Hypothesis rule-based state machine drives a seller, two buyers and an admin through
listing, approving, suspending, reinstating, buying fractional quantities, paying with a good
or a declined card, cancelling, expiring, refunding, disputing, resolving, reconciling and
replaying every webhook Stripe sent. The model is the oracle and owes nothing to the code: it
computes each amount itself (price x quantity, rounded up), the stock each listing must show
and each payment's status, refunded amount and visibility. After every step it compares
PostgreSQL and the API's own lists with the model, exactly, and checks the marketplace
invariants; a failure is shrunk to the shortest sequence, which the keyword writes to log.html.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from keywords.libraries.Invariants import check
from keywords.libraries.live_stack import TIMEOUT, Stack, expect, setting

OPEN = {"pending", "requires_payment_method"}
PAID = {"succeeded", "partially_refunded"}
SOLD = {"succeeded", "partially_refunded", "refunded", "disputed"}
# docs.stripe.com/currencies#minimum-and-maximum-charge-amounts (USD).
STRIPE_MIN, STRIPE_MAX = 50, 99_999_999
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]


@dataclass
class Listing:
    price: int
    quantity: Decimal
    active: bool = True


@dataclass
class Payment:
    listing: str
    buyer: str
    quantity: Decimal
    amount: int
    status: str = "pending"
    refunded: int = 0
    before_dispute: str | None = None
    dispute: str | None = None
    history: list[str] = field(default_factory=lambda: ["pending"])


class MarketplaceMachine(RuleBasedStateMachine):
    """The model and the rules; `stack` is set on the class before a run."""

    stack: Stack
    # Counted across a run, for the log: sequences started and steps checked.
    sequences = 0
    steps_checked = 0
    listings = Bundle("listings")
    payments = Bundle("payments")

    def __init__(self) -> None:
        super().__init__()
        self.stack.new_actors()
        type(self).sequences += 1
        self.model_listings: dict[str, Listing] = {}
        self.model_payments: dict[str, Payment] = {}

    # the oracle

    def available(self, listing_id: str) -> Decimal:
        listing = self.model_listings[listing_id]
        taken = sum(
            (
                p.quantity
                for p in self.model_payments.values()
                if p.listing == listing_id and (p.status in OPEN or p.status in SOLD)
            ),
            Decimal(0),
        )
        return listing.quantity - taken

    def move(self, payment: Payment, to: str) -> None:
        if payment.status != to:
            payment.history.append(to)
        payment.status = to

    def wait_for(self, payment_id: str, status: str) -> None:
        deadline = time.monotonic() + 15
        while True:
            (row,) = self.stack.sql("SELECT status FROM payments WHERE id = %s", payment_id)
            if row["status"] == status or time.monotonic() > deadline:
                return
            time.sleep(0.05)

    # rules

    @rule(
        target=listings,
        price=st.integers(min_value=1, max_value=2_000_000),
        quantity=st.integers(min_value=1, max_value=20_000),
    )
    def list_and_approve(self, price: int, quantity: int) -> str:
        amount = Decimal(quantity).scaleb(-3)
        body = {
            "title": "Model lot",
            "commodity": "copper",
            "description": "Cathodes, grade A, model-based test.",
            "quantity": str(amount),
            "unit": "t",
            "price_per_unit": price,
            "currency": "USD",
            "country": "ZM",
        }
        created = expect(self.stack.call("seller", "POST", "/api/marketplace", **body), 201)
        path = f"/api/admin/listings/{created['id']}/approve"
        expect(self.stack.call("admin", "POST", path), 200)
        self.model_listings[created["id"]] = Listing(price, amount)
        return created["id"]

    @rule(
        target=payments,
        listing=listings,
        buyer=st.sampled_from(["buyer1", "buyer2"]),
        thousandths=st.integers(min_value=1, max_value=25_000),
    )
    def buy(self, listing: str, buyer: str, thousandths: int) -> Any:
        quantity = Decimal(thousandths).scaleb(-3)
        model = self.model_listings[listing]
        amount = int((model.price * quantity).to_integral_value(ROUND_CEILING))
        body = {"listing_id": listing, "quantity": str(quantity)}
        response = self.stack.call(buyer, "POST", "/api/payments", **body)
        if not model.active:
            expect(response, 409)
        elif quantity > self.available(listing):
            assert expect(response, 409)["code"] == "insufficient_quantity"
        elif not STRIPE_MIN <= amount <= STRIPE_MAX:
            assert expect(response, 422)["code"] == "amount_not_accepted"
        else:
            created = expect(response, 201)
            assert created["amount"] == amount, (created["amount"], amount)
            self.model_payments[created["id"]] = Payment(listing, buyer, quantity, amount)
            return created["id"]
        return "refused"

    @rule(payment=payments, card=st.sampled_from(["pm_card_visa", "pm_card_chargeDeclined"]))
    def confirm(self, payment: str, card: str) -> None:
        model = self.model_payments.get(payment)
        if model is None:
            return
        response = self.stack.call(
            model.buyer, "POST", f"/api/payments/{payment}/confirm", payment_method=card
        )
        if model.status not in OPEN:
            expect(response, 409)
        elif not self.model_listings[model.listing].active:
            assert expect(response, 409)["code"] == "listing_not_available"
            self.move(model, "canceled")
        elif card == "pm_card_visa":
            expect(response, 200)
            self.move(model, "processing")
            self.wait_for(payment, "succeeded")
            self.move(model, "succeeded")
        else:
            expect(response, 402)
            self.move(model, "requires_payment_method")

    @rule(payment=payments)
    def cancel(self, payment: str) -> None:
        model = self.model_payments.get(payment)
        if model is None:
            return
        response = self.stack.call(model.buyer, "POST", f"/api/payments/{payment}/cancel")
        if model.status in OPEN:
            expect(response, 200)
            self.move(model, "canceled")
        else:
            expect(response, 409)

    @rule(payment=payments)
    def expire(self, payment: str) -> None:
        model = self.model_payments.get(payment)
        if model is None or model.status not in OPEN:
            return
        self.stack.sql(
            "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = %s", payment
        )
        expect(self.stack.call("admin", "POST", "/api/admin/payments/reconcile"), 200)
        self.move(model, "canceled")

    @rule(payment=payments, share=st.integers(min_value=1, max_value=100))
    def refund(self, payment: str, share: int) -> None:
        model = self.model_payments.get(payment)
        if model is None:
            return
        left = model.amount - model.refunded
        amount = max(1, left * share // 100)
        path = f"/api/payments/{payment}/refunds"
        response = self.stack.call("seller", "POST", path, amount=amount)
        if model.status not in PAID:
            expect(response, 409)
            return
        expect(response, 201)
        model.refunded += amount
        self.move(model, "refunded" if model.refunded == model.amount else "partially_refunded")

    @rule(payment=payments)
    def dispute(self, payment: str) -> None:
        model = self.model_payments.get(payment)
        if model is None:
            return
        path = f"/api/payments/{payment}/disputes"
        response = self.stack.call(model.buyer, "POST", path, reason="not_received")
        if model.status not in PAID:
            expect(response, 409)
            return
        model.dispute = expect(response, 201)["id"]
        model.before_dispute = model.status
        self.move(model, "disputed")

    @rule(payment=payments, outcome=st.sampled_from(["refund", "reject"]))
    def resolve(self, payment: str, outcome: str) -> None:
        model = self.model_payments.get(payment)
        if model is None or model.dispute is None:
            return
        path = f"/api/admin/disputes/{model.dispute}/resolve"
        response = self.stack.call("admin", "POST", path, outcome=outcome, note="model")
        if model.status != "disputed":
            expect(response, 409)
            return
        expect(response, 200)
        if outcome == "refund":
            model.refunded = model.amount
            self.move(model, "refunded")
        else:
            self.move(model, model.before_dispute or "succeeded")

    @rule(listing=listings, action=st.sampled_from(["suspend", "reinstate"]))
    def moderate(self, listing: str, action: str) -> None:
        model = self.model_listings[listing]
        body = {"reason": "model-based test"} if action == "suspend" else {}
        response = self.stack.call(
            "admin", "POST", f"/api/admin/listings/{listing}/{action}", **body
        )
        if (action == "suspend") == model.active:
            expect(response, 200)
            model.active = action == "reinstate"
        else:
            expect(response, 409)

    @rule()
    def reconcile(self) -> None:
        expect(self.stack.call("admin", "POST", "/api/admin/payments/reconcile"), 200)

    @rule(payment=payments)
    def replay_webhooks(self, payment: str) -> None:
        """Stripe delivers every event of the payment again: nothing may change."""
        if payment not in self.model_payments:
            return
        (row,) = self.stack.sql("SELECT provider_ref FROM payments WHERE id = %s", payment)
        events = requests.get(
            f"{self.stack.stripe}/_sandbox/events",
            params={"match": row["provider_ref"]},
            timeout=TIMEOUT,
        ).json()
        ids = [e["id"] for e in events]
        if ids:
            requests.post(
                f"{self.stack.stripe}/_sandbox/events/deliver", json={"ids": ids}, timeout=TIMEOUT
            ).raise_for_status()

    # what must hold after every step

    @invariant()
    def the_books_equal_the_model(self) -> None:
        type(self).steps_checked += 1
        for payment_id, model in self.model_payments.items():
            (row,) = self.stack.sql(
                "SELECT status, amount, amount_refunded, quantity FROM payments WHERE id = %s",
                payment_id,
            )
            seen = (row["status"], row["amount"], row["amount_refunded"], row["quantity"])
            wanted = (model.status, model.amount, model.refunded, model.quantity)
            assert seen == wanted, f"payment {payment_id}: database {seen}, model {wanted}"
        for listing_id in self.model_listings:
            (row,) = self.stack.sql(
                "SELECT available_quantity FROM listings WHERE id = %s", listing_id
            )
            wanted_stock = self.available(listing_id)
            assert row["available_quantity"] == wanted_stock, (
                f"listing {listing_id}: available {row['available_quantity']}, model {wanted_stock}"
            )

    @invariant()
    def each_actor_sees_exactly_their_payments(self) -> None:
        for actor in ("buyer1", "buyer2", "seller"):
            page = expect(self.stack.call(actor, "GET", "/api/payments?per_page=100"), 200)
            seen = {p["id"] for p in page["items"]}
            wanted = {
                pid
                for pid, p in self.model_payments.items()
                if actor == "seller" or p.buyer == actor
            }
            assert seen == wanted, f"{actor} sees {sorted(seen)}, model allows {sorted(wanted)}"
        for pid, p in self.model_payments.items():
            other = "buyer2" if p.buyer == "buyer1" else "buyer1"
            expect(self.stack.call(other, "GET", f"/api/payments/{pid}"), 404)
            history = expect(self.stack.call(p.buyer, "GET", f"/api/payments/{pid}"), 200)
            moves = [h["to"] for h in history["history"]]
            assert moves == p.history, f"payment {pid}: history {moves}, model {p.history}"

    @invariant()
    def the_marketplace_invariants_hold(self) -> None:
        report = check(self.stack.dsn)
        assert not report.violations, report.failure()


@library(scope="GLOBAL")
class MarketplaceModel:
    """Runs the model-based test from Robot, so a failing sequence reads in log.html."""

    @keyword("Random Interleavings Should Keep The Model")
    def random_interleavings_should_keep_the_model(
        self, examples: int = 8, steps: int = 12, derandomize: str | bool = True
    ) -> None:
        """Runs `examples` random sequences of at most `steps` steps; fails with the shortest
        sequence that breaks the model, the books or the invariants."""
        dsn, api, stripe = (setting(n) for n in ("DATABASE_URL", "API_URL", "STRIPE_API_BASE"))
        MarketplaceMachine.stack = Stack(api, dsn, stripe)
        MarketplaceMachine.sequences = MarketplaceMachine.steps_checked = 0
        lines: list[str] = []
        machine = MarketplaceMachine.TestCase
        machine.settings = settings(
            max_examples=int(examples),
            stateful_step_count=int(steps),
            deadline=None,
            database=None,
            derandomize=str(derandomize).lower() not in ("false", "0", "no"),
            verbosity=Verbosity.normal,
            suppress_health_check=list(HealthCheck),
            phases=PHASES if os.environ.get("MODEL_SHRINK", "1") == "1" else [Phase.generate],
        )
        started = time.monotonic()
        with with_reporter(lines.append):
            try:
                machine("runTest").runTest()
            except BaseException as exc:
                raise AssertionError(
                    "The model broke; the shortest sequence:\n" + "\n".join(lines) + f"\n{exc}"
                ) from exc
        logger.info(
            f"{MarketplaceMachine.sequences} random sequences, {MarketplaceMachine.steps_checked}"
            " steps, each checked against the model, the books and the invariants "
            f"({time.monotonic() - started:.1f} s)"
        )
        BuiltIn().set_suite_metadata(
            "Model-based steps",
            f"{MarketplaceMachine.steps_checked} in {MarketplaceMachine.sequences} sequences",
            top=True,
        )
