"""The books against the gateways (keywords/libraries/gateway_books.py): the rules on their
own, then over a live stack, where a book that drifts from what the gateway holds is found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from keywords.libraries import gateway_books
from keywords.libraries.gateway_books import Held, disagreement
from tests.conftest import migrated_database
from tests.payments_stack import PaymentsStack, eventually, payments_stack


def _row(status: str, amount: int = 1000, refunded: int = 0, pending: int = 0) -> dict:
    return {
        "id": "p",
        "provider": "stripe",
        "provider_ref": "pi_1",
        "status": status,
        "amount": amount,
        "amount_refunded": refunded,
        "refund_pending": pending,
    }


@pytest.mark.parametrize(
    ("row", "held", "wrong"),
    [
        (_row("succeeded"), Held(1000, 0), False),
        (_row("succeeded"), Held(999, 0), True),
        (_row("partially_refunded", refunded=300), Held(1000, 300), False),
        (_row("partially_refunded", refunded=300), Held(1000, 200), True),
        # A refund in flight: the gateway may have made it before we booked it, or not yet.
        (_row("succeeded", pending=400), Held(1000, 0), False),
        (_row("succeeded", pending=400), Held(1000, 400), False),
        (_row("succeeded", pending=400), Held(1000, 500), True),
        (_row("refunded", refunded=1000), Held(1000, 1000), False),
        (_row("canceled"), Held(0, 0), False),
        (_row("canceled"), Held(1000, 1000), False),
        (_row("failed"), Held(1000, 0), True),
        (_row("succeeded"), Held(0, 0, known=False), True),
    ],
)
def test_a_payment_agrees_with_its_gateway_only_when_the_money_does(row, held, wrong):
    assert (disagreement(row, held) is not None) == wrong


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


def _gateways(stack: PaymentsStack) -> gateway_books.Gateways:
    stripe, flutterwave = stack.stripe.env(), stack.flutterwave.env()
    return gateway_books.Gateways(
        stripe["STRIPE_API_BASE"],
        stripe["STRIPE_SECRET_KEY"],
        flutterwave["FLUTTERWAVE_API_BASE"],
        flutterwave["FLUTTERWAVE_SECRET_KEY"],
    )


def test_books_that_drift_from_the_gateways_are_found(stack):
    _, buyer, listing = stack.cast(price_per_unit=10_000)
    card = stack.buy(buyer, listing, 1).json()["id"]
    stack.post(buyer, f"/api/payments/{card}/confirm", payment_method="pm_card_visa")
    _, buyer, listing = stack.cast(price_per_unit=500_000, currency="NGN")
    hosted = stack.buy(buyer, listing, 1).json()["id"]
    link = stack.payment(hosted)["payment_link"]
    paid = requests.get(
        link, params={"outcome": "successful"}, headers={"Accept": "application/json"}, timeout=30
    )
    assert paid.status_code == 200, paid.text
    for payment in (card, hosted):
        eventually(lambda p=payment: stack.payment(p)["status"] == "succeeded")
    assert gateway_books.check(stack.dsn, _gateways(stack), settle=0) == (2, {})

    stack.sql("UPDATE payments SET amount_refunded = 100 WHERE id = %s", card)
    stack.sql("UPDATE payments SET status = 'canceled' WHERE id = %s", hosted)
    judged, wrong = gateway_books.check(stack.dsn, _gateways(stack), settle=0)
    assert judged == 2
    assert wrong == {
        card: "refunded 100 (+0 in flight) but the gateway gave back 0",
        hosted: "ended canceled but the gateway keeps 500000",
    }


def test_a_lost_chargeback_is_money_the_gateway_gave_back(stack):
    """Stripe shows a lost chargeback on the dispute, not as a refund of the charge."""
    _, buyer, listing = stack.cast(price_per_unit=10_000)
    card = stack.buy(buyer, listing, 1).json()["id"]
    stack.post(buyer, f"/api/payments/{card}/confirm", payment_method="pm_card_visa")
    eventually(lambda: stack.payment(card)["status"] == "succeeded")
    intent = stack.payment(card)["provider_ref"]
    dispute = stack.control(stack.stripe, f"payment_intents/{intent}/dispute")
    eventually(lambda: stack.payment(card)["status"] == "disputed")
    stack.control(stack.stripe, f"disputes/{dispute['id']}/close", outcome="lost")
    eventually(lambda: stack.payment(card)["status"] == "refunded")
    # Other tests here leave drifted books behind: only this payment is looked at.
    assert card not in gateway_books.check(stack.dsn, _gateways(stack), settle=0)[1]
    # The books saying lost while Stripe says otherwise is a drift like any other.
    stack.sql("UPDATE disputes SET provider_dispute_id = 'dp_other' WHERE payment_id = %s", card)
    wrong = gateway_books.check(stack.dsn, _gateways(stack), settle=0)[1]
    assert wrong[card] == "refunded 10000 (+0 in flight) but the gateway gave back 0"


def test_money_of_a_transaction_no_receipt_explains_is_found(stack):
    """A second transfer to a paid order's account is found even if we never heard of it."""
    _, buyer, listing = stack.cast(price_per_unit=150_000, currency="NGN")
    payment = stack.buy(buyer, listing, 1, provider="flutterwave", method="bank_transfer")
    payment_id = payment.json()["id"]
    stack.control(stack.flutterwave, f"charges/{payment_id}/transfer", amount="1500")
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    assert payment_id not in gateway_books.check(stack.dsn, _gateways(stack), settle=0)[1]
    # Its webhook withheld and no reconciliation run: our books hold no receipt of it.
    stack.control(stack.flutterwave, f"charges/{payment_id}/transfer", amount="1500", deliver=False)
    wrong = gateway_books.check(stack.dsn, _gateways(stack), settle=0)[1]
    assert wrong[payment_id] == "amount 150000 but the gateway took 300000"
