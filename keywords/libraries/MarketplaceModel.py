"""Model-based testing: random interleavings of the real operations against the live stack.

A Hypothesis rule-based state machine drives a seller, two buyers and an admin through
listing, approving, suspending, reinstating and deleting, buying fractional quantities through
Stripe or Flutterwave, paying with good cards and cards declined for a named reason, paying,
failing or leaving Flutterwave's hosted page (coming back or not), presenting another order's
transaction, cancelling, expiring, refunding, disputing, resolving, reconciling, an admin
changing another account's role or status (and that account signing in again), withholding
Stripe's webhooks and releasing them late, losing Flutterwave's, and replaying every webhook in
order or reversed. The oracle (marketplace_oracle.py) owes nothing to the code: it computes
each amount itself and the stock, status, history, failure and visibility that must follow.
After every step the books, the sandboxes' answers and every actor's reads are compared with
it exactly, and the marketplace invariants are checked; a failure is shrunk to the shortest
sequence, which the keyword writes to log.html.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from keywords.libraries.invariant_rules import check
from keywords.libraries.live_stack import Stack, expect, setting
from keywords.libraries.marketplace_oracle import (
    OPEN,
    PAID,
    SOLD,
    Listing,
    Oracle,
    Payment,
    charge_of,
)

PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
# Stripe's test cards and what the buyer must be told (docs.stripe.com/testing#declined-payments).
CARDS: dict[str, tuple[str, str | None] | None] = {
    "pm_card_visa": None,
    "pm_card_chargeDeclined": ("card_declined", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card"),
}
FLUTTERWAVE_DECLINE = ("flutterwave_failed", None)
# Cents per tonne; whole dollars too, so that whole tonnes come to amounts Flutterwave takes.
PRICES = st.one_of(
    st.integers(min_value=1, max_value=2_000_000),
    st.integers(min_value=1, max_value=20_000).map(lambda dollars: dollars * 100),
)
# How a buyer may pay a USD listing: the gateway and the currency charged.
WAYS = {
    "Stripe in USD": ("stripe", "USD"),
    "Stripe in EUR": ("stripe", "EUR"),
    "Flutterwave in USD": ("flutterwave", "USD"),
    "Flutterwave in NGN": ("flutterwave", "NGN"),
}
REFUSAL_STATUS = {
    "listing_not_found": 404,
    "listing_not_available": 409,
    "insufficient_quantity": 409,
    "amount_not_accepted": 422,
}


def BOUGHT(machine: MarketplaceMachine) -> bool:
    return bool(machine.oracle.payments)


def SIGNED_OUT(machine: MarketplaceMachine) -> bool:
    return any(not m.signed_in for m in machine.oracle.members.values())


class MarketplaceMachine(RuleBasedStateMachine):
    """The rules; `stack` is set on the class before a run."""

    stack: Stack
    # Counted across a run, for the log: sequences started and steps checked.
    sequences = 0
    steps_checked = 0
    tally: Counter[str] = Counter()
    listings = Bundle("listings")

    def __init__(self) -> None:
        super().__init__()
        self.stack.new_actors()
        type(self).sequences += 1
        self.oracle = Oracle()
        self.refs: dict[str, str] = {}  # payment id -> the gateway's reference
        self.links: dict[str, str] = {}  # Flutterwave payment id -> its hosted page
        self.paused: set[str] = set()  # Stripe references whose webhooks are withheld
        self.audited: Counter[str] = Counter()  # account id -> user.update rows it must have

    # acting on the stack

    def wait_for(self, payment_id: str, status: str) -> None:
        deadline = time.monotonic() + 15
        while True:
            (row,) = self.stack.sql("SELECT status FROM payments WHERE id = %s", payment_id)
            if row["status"] == status or time.monotonic() > deadline:
                return
            time.sleep(0.05)

    def reconcile_all(self) -> None:
        """Reconciliation repairs every payment the gateway charged without telling us."""
        expect(self.stack.call("admin", "POST", "/api/admin/payments/reconcile"), 200)
        for payment in self.oracle.payments.values():
            if payment.unseen:
                self.tally["reconciliation found the money"] += 1
                self.oracle.learn_success(payment)

    def pick(self, data: st.DataObject, fit: Callable[[Payment], bool]) -> str:
        """A payment of the sequence: mostly one `fit` for the rule, else any (to see the
        API refuse what the state does not allow); "" when there is none yet."""
        every = sorted(self.oracle.payments)
        fitting = [pid for pid in every if fit(self.oracle.payments[pid])]
        stray = not fitting or data.draw(st.integers(0, 3), label="stray") == 0
        pool = every if stray else fitting
        return data.draw(st.sampled_from(pool), label="payment") if pool else ""

    def payment(self, payment_id: str, provider: str | None = None) -> Payment | None:
        model = self.oracle.payments.get(payment_id)
        if model is None or (provider is not None and model.provider != provider):
            return None
        return model

    # rules: listings

    @rule(
        target=listings,
        price=PRICES,
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
        self.oracle.listings[created["id"]] = Listing(price, amount)
        return created["id"]

    @initialize(target=listings, prices=st.lists(PRICES, min_size=2, max_size=2))
    def two_listings_for_sale(self, prices: list[int]) -> Any:
        """Every sequence starts with goods for sale, so buying starts at once."""
        return multiple(*(self.list_and_approve(price, 20_000) for price in prices))

    @rule(listing=listings, action=st.sampled_from(["suspend", "reinstate"]))
    def moderate(self, listing: str, action: str) -> None:
        model = self.oracle.listings[listing]
        body = {"reason": "model-based test"} if action == "suspend" else {}
        path = f"/api/admin/listings/{listing}/{action}"
        response = self.stack.call("admin", "POST", path, **body)
        if model.status == "deleted":
            expect(response, 404)
        elif model.status == ("active" if action == "suspend" else "suspended"):
            expect(response, 200)
            model.status = "suspended" if action == "suspend" else "active"
        else:
            expect(response, 409)

    @rule(listing=listings, whim=st.integers(min_value=0, max_value=7))
    def delete_listing(self, listing: str, whim: int) -> None:
        """The seller deletes a listing: erased, or archived when payments refer to it.

        One draw in eight: a seller rarely deletes, and a sequence whose goods are gone
        early tests little else."""
        if whim:
            return
        model = self.oracle.listings[listing]
        response = self.stack.call("seller", "DELETE", f"/api/marketplace/{listing}")
        if model.status in ("deleted", "archived"):
            expect(response, 404)
            return
        expect(response, 204)
        referred = any(p.listing == listing for p in self.oracle.payments.values())
        model.status = "archived" if referred else "deleted"
        self.tally[f"listing {model.status}"] += 1

    # rules: buying and paying

    @rule(
        listing=listings,
        buyer=st.sampled_from(["buyer1", "buyer2"]),
        thousandths=st.one_of(
            st.integers(min_value=1, max_value=25_000),
            st.integers(min_value=1, max_value=25).map(lambda tonnes: tonnes * 1000),
        ),
        way=st.sampled_from(list(WAYS)),
    )
    def buy(self, listing: str, buyer: str, thousandths: int, way: str) -> None:
        """A buyer orders a fractional quantity, paying in the listing's or another currency."""
        provider, currency = WAYS[way]
        quantity = Decimal(thousandths).scaleb(-3)
        model = self.oracle.listings[listing]
        rate = None if currency == "USD" else self.quoted_rate(currency, model.price * quantity)
        body = {"listing_id": listing, "quantity": str(quantity), "provider": provider}
        response = self.stack.call(buyer, "POST", "/api/payments", currency=currency, **body)
        refused = self.oracle.refused_purchase(listing, provider, quantity, rate)
        if refused is not None:
            problem = expect(response, REFUSAL_STATUS[refused])
            assert refused == "listing_not_available" or problem["code"] == refused, problem
            self.tally[f"purchase refused: {refused}"] += 1
            return
        amount = charge_of(model.price, quantity, provider, rate)
        created = expect(response, 201)
        assert (created["amount"], created["currency"]) == (amount, currency), (created, amount)
        self.oracle.payments[created["id"]] = Payment(
            listing, buyer, provider, currency, quantity, amount
        )
        self.tally[f"bought through {way}"] += 1
        if provider == "stripe":
            self.refs[created["id"]] = created["stripe"]["payment_intent_id"]
        else:
            self.refs[created["id"]] = created["id"]
            self.links[created["id"]] = created["flutterwave"]["payment_link"]

    def quoted_rate(self, currency: str, value_minor: Decimal) -> Decimal:
        """Flutterwave's quote of `currency` per USD, asked as the API asks it."""
        quote = self.stack.flutterwave_rate(
            source=currency,
            destination="USD",
            amount=(value_minor.to_integral_value(ROUND_CEILING) / 100),
        )
        return Decimal(str(quote))

    @precondition(BOUGHT)
    @rule(data=st.data(), card=st.sampled_from(sorted(CARDS)), withhold=st.booleans())
    def confirm(self, data: st.DataObject, card: str, withhold: bool) -> None:
        """The buyer pays by card; Stripe's webhooks for it may be withheld until released."""
        payment = self.pick(data, lambda p: p.provider == "stripe" and p.status in OPEN)
        model = self.payment(payment)
        if model is None:
            return
        ref = self.refs[payment]
        if model.provider == "stripe" and withhold and model.status in OPEN:
            self.stack.gateway("stripe", "POST", "/_sandbox/webhooks/pause", match=ref)
            self.paused.add(ref)
        path = f"/api/payments/{payment}/confirm"
        response = self.stack.call(model.buyer, "POST", path, payment_method=card)
        if model.provider == "flutterwave":
            assert expect(response, 409)["code"] == "wrong_provider"
        elif model.status not in OPEN:
            expect(response, 409)
        elif not self.oracle.for_sale(model.listing):
            assert expect(response, 409)["code"] == "listing_not_available"
            self.oracle.move(model, "canceled")
        elif (declined := CARDS[card]) is None:
            expect(response, 200)
            self.oracle.move(model, "processing")
            self.tally["card paid" + (", webhooks withheld" if ref in self.paused else "")] += 1
            if ref in self.paused:
                model.unseen = True
            else:
                self.oracle.learn_success(model)
                self.wait_for(payment, model.status)
        else:
            problem = expect(response, 402)
            self.tally[f"card declined: {declined[1]}"] += 1
            self.oracle.decline(model, declined)
            told = (problem["code"], problem["gateway_code"], problem["decline_code"])
            assert told == ("card_declined", *declined), problem

    @precondition(BOUGHT)
    @rule(
        data=st.data(),
        outcome=st.sampled_from(["successful", "failed", "cancelled"]),
        come_back=st.booleans(),
        lose_webhook=st.booleans(),
    )
    def pay_hosted(
        self, data: st.DataObject, outcome: str, come_back: bool, lose_webhook: bool
    ) -> None:
        """The customer on Flutterwave's hosted page, brought back to the API or not."""
        payment = self.pick(data, lambda p: p.provider == "flutterwave" and not p.page_closed)
        model = self.payment(payment, "flutterwave")
        if model is None or model.page_closed:
            return
        new_charge = outcome != "cancelled" and not model.paid_at_gateway
        lose = lose_webhook and new_charge and outcome == "successful"
        if lose:
            self.stack.gateway("flutterwave", "POST", "/_sandbox/webhooks/drop", match=payment)
        page = self.stack.gateway("flutterwave", "GET", f"{self.links[payment]}?outcome={outcome}")
        if new_charge:
            model.transactions.append(int(page["transaction_id"]))
        if come_back and page["redirect"]:
            self.stack.visit(page["redirect"])
        self.tally[f"hosted page {outcome}" + (", webhook lost" if lose else "")] += 1
        if page["status"] == "successful":
            model.paid_at_gateway = True
            if come_back or not lose:
                self.oracle.learn_success(model)
                self.wait_for(payment, model.status)
            elif model.status not in SOLD:
                model.unseen = True
        elif new_charge and model.status in OPEN:
            self.oracle.decline(model, FLUTTERWAVE_DECLINE)
            self.wait_for(payment, model.status)

    @precondition(BOUGHT)
    @rule(data=st.data())
    def present_another_orders_transaction(self, data: st.DataObject) -> None:
        """A return naming this order with another order's transaction is never applied."""
        payment = self.pick(data, lambda p: p.provider == "flutterwave")
        other = self.pick(data, lambda p: p.provider == "flutterwave" and bool(p.transactions))
        model, theirs = self.payment(payment, "flutterwave"), self.payment(other, "flutterwave")
        if model is None or theirs is None or payment == other or not theirs.transactions:
            return
        url = (
            f"{self.stack.api}/api/payments/flutterwave/return?tx_ref={payment}"
            f"&transaction_id={theirs.transactions[-1]}&status=successful"
        )
        assert self.stack.visit(url)["status"] == "verification_mismatch"
        self.tally["another order's transaction presented"] += 1

    @precondition(BOUGHT)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        payment = self.pick(data, lambda p: p.status in OPEN)
        model = self.payment(payment)
        if model is None:
            return
        response = self.stack.call(model.buyer, "POST", f"/api/payments/{payment}/cancel")
        if model.status not in OPEN:
            expect(response, 409)
        elif model.unseen:
            # The gateway has the money: the cancel finds out and sells instead.
            assert expect(response, 409)["code"] == "payment_already_paid"
            self.tally["cancel found it paid"] += 1
            self.oracle.learn_success(model)
        else:
            expect(response, 200)
            self.oracle.move(model, "canceled")
            self.tally["canceled"] += 1

    @precondition(BOUGHT)
    @rule(data=st.data())
    def expire(self, data: st.DataObject) -> None:
        payment = self.pick(data, lambda p: p.status in OPEN)
        model = self.payment(payment)
        if model is None or model.status not in OPEN:
            return
        self.stack.sql(
            "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = %s", payment
        )
        unpaid = not model.unseen
        self.tally["expired"] += 1
        self.reconcile_all()
        if unpaid:
            self.oracle.move(model, "canceled")
        # Flutterwave's session ended with the order (session_duration is its TTL).
        model.page_closed = True

    @precondition(BOUGHT)
    @rule()
    def reconcile(self) -> None:
        self.reconcile_all()

    # rules: after the sale

    @precondition(BOUGHT)
    @rule(data=st.data(), share=st.integers(min_value=1, max_value=100))
    def refund(self, data: st.DataObject, share: int) -> None:
        payment = self.pick(data, lambda p: p.status in PAID)
        model = self.payment(payment)
        if model is None:
            return
        left = model.amount - model.refunded
        step = 100 if model.provider == "flutterwave" else 1
        amount = max(step, left * share // 100 // step * step)
        path = f"/api/payments/{payment}/refunds"
        response = self.stack.call("seller", "POST", path, amount=amount)
        if model.status not in PAID:
            expect(response, 409)
            return
        expect(response, 201)
        self.tally["refunded"] += 1
        model.refunded += amount
        done = model.refunded == model.amount
        self.oracle.move(model, "refunded" if done else "partially_refunded")

    @precondition(BOUGHT)
    @rule(data=st.data())
    def dispute(self, data: st.DataObject) -> None:
        payment = self.pick(data, lambda p: p.status in PAID)
        model = self.payment(payment)
        if model is None:
            return
        path = f"/api/payments/{payment}/disputes"
        response = self.stack.call(model.buyer, "POST", path, reason="not_received")
        if model.status not in PAID:
            expect(response, 409)
            return
        model.dispute, model.dispute_status = expect(response, 201)["id"], "open"
        self.tally["disputed"] += 1
        model.before_dispute = model.status
        self.oracle.move(model, "disputed")

    @precondition(BOUGHT)
    @rule(data=st.data(), outcome=st.sampled_from(["refund", "reject"]))
    def resolve(self, data: st.DataObject, outcome: str) -> None:
        payment = self.pick(data, lambda p: p.dispute_status == "open")
        model = self.payment(payment)
        if model is None or model.dispute is None:
            return
        path = f"/api/admin/disputes/{model.dispute}/resolve"
        response = self.stack.call("admin", "POST", path, outcome=outcome, note="model")
        if model.status != "disputed":
            expect(response, 409)
            return
        expect(response, 200)
        model.dispute_status = f"resolved_{'refund' if outcome == 'refund' else 'rejected'}"
        self.tally[f"dispute resolved: {outcome}"] += 1
        if outcome == "refund":
            model.refunded = model.amount
            self.oracle.move(model, "refunded")
        else:
            self.oracle.move(model, model.before_dispute or "succeeded")

    # rules: the console

    @rule(
        by=st.sampled_from(["admin", "admin2"]),
        whom=st.sampled_from(["admin2", "member"]),
        role=st.sampled_from(["buyer", "seller", "admin"]),
        status=st.sampled_from(["active", "active", "disabled"]),
    )
    def change_account(self, by: str, whom: str, role: str, status: str) -> None:
        """An admin changes an account's role or status; only an active admin may."""
        account = self.stack.accounts[whom]
        path = f"/api/admin/users/{account.id}"
        response = self.stack.call(by, "PATCH", path, role=role, status=status)
        answer = self.oracle.change_account(by, whom, role, status)
        body = expect(response, answer)
        self.tally[f"account change answered {answer}"] += 1
        if answer == 200:
            assert (body["role"], body["status"]) == (role, status), body
            self.audited[account.id] += 1

    @precondition(SIGNED_OUT)
    @rule(actor=st.sampled_from(["admin2", "member"]))
    def log_in_again(self, actor: str) -> None:
        """The account signs in again: a new session if active, refused if disabled."""
        answer = self.oracle.log_in(actor)
        expect(self.stack.log_in(actor), answer)
        self.tally[f"signed in again: {answer}"] += 1

    # rules: webhooks

    @precondition(BOUGHT)
    @rule(data=st.data(), reverse=st.booleans())
    def replay_webhooks(self, data: st.DataObject, reverse: bool) -> None:
        """The gateway delivers every event of the payment again, in order or reversed."""
        payment = self.pick(data, lambda p: True)
        model = self.payment(payment)
        if model is None:
            return
        ref = self.refs[payment]
        events = self.stack.gateway(model.provider, "GET", f"/_sandbox/events?match={ref}")
        ids = [e["id"] for e in (reversed(events) if reverse else events)]
        if ids:
            self.stack.gateway(model.provider, "POST", "/_sandbox/events/deliver", ids=ids)
            self.tally["webhooks replayed" + (" reversed" if reverse else "")] += 1
        if model.unseen and any(_is_success(e) for e in events):
            self.oracle.learn_success(model)

    @precondition(BOUGHT)
    @rule(data=st.data())
    def release_webhooks(self, data: st.DataObject) -> None:
        """Stripe delivers the withheld webhooks of the payment, late."""
        payment = self.pick(data, lambda p: p.unseen)
        model = self.payment(payment, "stripe")
        if model is None or self.refs[payment] not in self.paused:
            return
        self.stack.gateway("stripe", "POST", "/_sandbox/webhooks/resume", match=self.refs[payment])
        self.paused.discard(self.refs[payment])
        self.tally["withheld webhooks released late"] += 1
        if model.unseen:
            self.oracle.learn_success(model)
            self.wait_for(payment, model.status)

    def teardown(self) -> None:
        # Whatever the sequence left withheld or unseen reaches the books before the next.
        for ref in self.paused:
            self.stack.gateway("stripe", "POST", "/_sandbox/webhooks/resume", match=ref)
        if any(p.unseen for p in self.oracle.payments.values()):
            expect(self.stack.call("admin", "POST", "/api/admin/payments/reconcile"), 200)

    # what must hold after every step

    @invariant()
    def the_books_equal_the_model(self) -> None:
        type(self).steps_checked += 1
        for payment_id, model in self.oracle.payments.items():
            seen = self.payment_row(payment_id)
            if seen[0] != model.status and model.unseen:
                # Another suite's reconciliation found the money first: as ours would have.
                self.oracle.learn_success(model)
                seen = self.payment_row(payment_id)
            wanted = (model.status, model.amount, model.refunded, model.quantity)
            assert seen == wanted, f"payment {payment_id}: database {seen}, model {wanted}"
            disputes = self.stack.sql(
                "SELECT id::text, status FROM disputes WHERE payment_id = %s", payment_id
            )
            seen_disputes = [(d["id"], d["status"]) for d in disputes]
            wanted_disputes = [(model.dispute, model.dispute_status)] if model.dispute else []
            assert seen_disputes == wanted_disputes, (payment_id, seen_disputes, wanted_disputes)
        for listing_id, listing in self.oracle.listings.items():
            rows = self.stack.sql(
                "SELECT status, available_quantity FROM listings WHERE id = %s", listing_id
            )
            if listing.status == "deleted":
                assert not rows, f"listing {listing_id} was deleted but is {rows}"
                continue
            (row,) = rows
            wanted_stock = self.oracle.available(listing_id)
            seen_listing = (row["status"], row["available_quantity"])
            assert seen_listing == (listing.status, wanted_stock), (
                f"listing {listing_id}: database {seen_listing}, "
                f"model {(listing.status, wanted_stock)}"
            )

    def payment_row(self, payment_id: str) -> tuple[Any, ...]:
        (row,) = self.stack.sql(
            "SELECT status, amount, amount_refunded, quantity FROM payments WHERE id = %s",
            payment_id,
        )
        return (row["status"], row["amount"], row["amount_refunded"], row["quantity"])

    @invariant()
    def each_actor_sees_exactly_their_payments(self) -> None:
        payments = self.oracle.payments
        for actor in ("buyer1", "buyer2", "seller"):
            page = expect(self.stack.call(actor, "GET", "/api/payments?per_page=100"), 200)
            seen = {p["id"] for p in page["items"]}
            wanted = {pid for pid, p in payments.items() if actor == "seller" or p.buyer == actor}
            assert seen == wanted, f"{actor} sees {sorted(seen)}, model allows {sorted(wanted)}"
        for pid, p in payments.items():
            other = "buyer2" if p.buyer == "buyer1" else "buyer1"
            expect(self.stack.call(other, "GET", f"/api/payments/{pid}"), 404)
            view = expect(self.stack.call(p.buyer, "GET", f"/api/payments/{pid}"), 200)
            moves = [h["to"] for h in view["history"]]
            assert moves == p.history, f"payment {pid}: history {moves}, model {p.history}"
            failure = view["failure"] and (view["failure"]["code"], view["failure"]["decline_code"])
            if p.status != "processing":
                assert failure == p.failure, f"payment {pid}: failure {failure}, model {p.failure}"

    @invariant()
    def each_actor_sees_exactly_the_listings_it_may(self) -> None:
        for lid, listing in self.oracle.listings.items():
            for actor in ("seller", "buyer1"):
                response = self.stack.call(actor, "GET", f"/api/marketplace/{lid}")
                visible = listing.status == "active" or (
                    actor == "seller" and listing.status == "suspended"
                )
                if not visible:
                    expect(response, 404)
                    continue
                body = expect(response, 200)
                seen = (body["status"], Decimal(body["available_quantity"]))
                wanted = (listing.status, self.oracle.available(lid))
                assert seen == wanted, f"{actor} reads listing {lid} as {seen}, model {wanted}"

    @invariant()
    def each_account_is_what_the_console_made_it(self) -> None:
        """Role and status as changed, rights as the role gives them at once, sessions ended
        by disabling, one audit row per change, and an active admin always left."""
        admins_only = frozenset({"admin"})
        for actor, member in self.oracle.members.items():
            account = self.stack.accounts[actor]
            me = self.stack.call(actor, "GET", "/api/users/me")
            seen = expect(me, member.answer(frozenset({"buyer", "seller", "admin"})))
            if me.status_code == 200:
                assert (seen["role"], seen["status"]) == (member.role, member.status), seen
            console = self.stack.call(actor, "GET", "/api/admin/users?per_page=1")
            expect(console, member.answer(admins_only))
            path = f"/api/admin/audit-log?action=user.update&target={account.id}&per_page=100"
            rows = expect(self.stack.call("admin", "GET", path), 200)["items"]
            assert len(rows) == self.audited[account.id], (actor, rows)
        (row,) = self.stack.sql(
            "SELECT count(*) AS n FROM users WHERE role = 'admin' AND status = 'active'"
        )
        assert row["n"] >= 1, "no active admin is left"

    @invariant()
    def the_marketplace_invariants_hold(self) -> None:
        report = check(self.stack.dsn)
        assert not report.violations, report.failure()


def _is_success(event: dict[str, Any]) -> bool:
    data = event["body"].get("data") or {}
    return event["type"] == "payment_intent.succeeded" or data.get("status") == "successful"


@library(scope="GLOBAL")
class MarketplaceModel:
    """Runs the model-based test from Robot, so a failing sequence reads in log.html."""

    @keyword("Random Interleavings Should Keep The Model")
    def random_interleavings_should_keep_the_model(
        self, examples: int = 8, steps: int = 12, derandomize: str | bool = True
    ) -> None:
        """Runs `examples` random sequences of at most `steps` steps; fails with the shortest
        sequence that breaks the model, the books or the invariants."""
        names = ("API_URL", "DATABASE_URL", "STRIPE_API_BASE", "FLUTTERWAVE_API_BASE")
        api, dsn, stripe, flutterwave = (setting(n) for n in names)
        key = setting("FLUTTERWAVE_SECRET_KEY")
        MarketplaceMachine.stack = Stack(api, dsn, stripe, flutterwave, key)
        MarketplaceMachine.sequences = MarketplaceMachine.steps_checked = 0
        MarketplaceMachine.tally = Counter()
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
        with with_reporter(lambda value: lines.append(str(value))):
            try:
                machine("runTest").runTest()
            except BaseException as exc:
                raise AssertionError(
                    "The model broke; the shortest sequence:\n" + "\n".join(lines) + f"\n{exc}"
                ) from exc
        logger.info(
            f"{MarketplaceMachine.sequences} random sequences, {MarketplaceMachine.steps_checked}"
            " steps, each checked against the model, the books and the invariants "
            f"({time.monotonic() - started:.1f} s). What they did:\n"
            + "\n".join(f"{n:5d}  {what}" for what, n in sorted(MarketplaceMachine.tally.items()))
        )
        BuiltIn().set_suite_metadata(
            "Model-based steps",
            f"{MarketplaceMachine.steps_checked} in {MarketplaceMachine.sequences} sequences",
            top=True,
        )
