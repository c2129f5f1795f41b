"""What a purchase re-checks before it books (issue: an attacker's findings on pricing).

Each of these failed before its fix: a listing repriced (or given another currency) while
the rate quote was on its way was booked at the old price; a rate quote too large for the
`fx_rate` column was a 500; a quantity (or any pattern-checked string) with a trailing
newline passed the schema, since Python's `$` also matches before a final newline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from api_server.common.errors import DomainError, Problem, status_of
from api_server.common.quantities import parse_quantity
from api_server.common.validation import validate, validator_for
from api_server.payments.pricing import Pricing
from tests.conftest import migrated_database
from tests.factories import make_user
from tests.payments_stack import PaymentsStack, payments_stack

# The stack's gateway timeout is 1 s: the quote is held back for less, the edit lands inside.
QUOTE_DELAY = 0.8
EDIT_AFTER = 0.25


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


@pytest.fixture
def checkouts(stack, monkeypatch) -> list[str]:
    """The providers whose checkout (PaymentIntent, hosted link) was asked to open."""
    opened: list[str] = []
    for name, gateway in stack.app.services.payments.gateways.items():
        original = gateway.create

        def create(payment, *, _original=original, _name=name, **kw):
            opened.append(_name)
            return _original(payment, **kw)

        monkeypatch.setattr(gateway, "create", create)
    return opened


def _count_payments(stack, listing) -> int:
    rows = stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing)
    return rows[0]["n"]


def _rate(stack, source: str, destination: str, rate: str) -> None:
    stack.control(
        stack.flutterwave,
        "rates",
        source_currency=source,
        destination_currency=destination,
        rate=rate,
    )


def _patch(stack, user, listing, **changes) -> requests.Response:
    return requests.patch(
        f"{stack.url}/api/marketplace/{listing}", headers=user["headers"], json=changes, timeout=30
    )


def _during_the_quote(stack, purchase, edit) -> tuple[requests.Response, requests.Response]:
    """Runs `purchase` with Flutterwave's rate answer held back, and `edit` meanwhile."""
    stack.control(
        stack.flutterwave, "faults", mode="late", match="transfers/rates", seconds=QUOTE_DELAY
    )
    out: dict[str, requests.Response] = {}

    def buy() -> None:
        out["purchase"] = purchase()

    thread = threading.Thread(target=buy)
    thread.start()
    time.sleep(EDIT_AFTER)
    out["edit"] = edit()
    thread.join(30)
    return out["purchase"], out["edit"]


# 1. What is booked is priced from the listing as locked at reservation


EDITS: dict[str, Any] = {
    # A USD listing at $10/t bought in NGN through Flutterwave; the seller makes it $1,000/t.
    "price": (
        {"currency": "USD", "price_per_unit": 1_000},
        {"price_per_unit": 100_000},
        {"currency": "NGN", "provider": "flutterwave", "quantity": 10},
        ("NGN", "USD", "1500"),
    ),
    # An NGN listing at 1,500 NGN/t bought in USD through Stripe; the seller makes it USD.
    "currency": (
        {"currency": "NGN", "price_per_unit": 150_000},
        {"currency": "USD"},
        {"currency": "USD", "provider": "stripe", "quantity": 1},
        ("USD", "NGN", "0.00066"),
    ),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_listing_changed_while_the_order_is_priced_is_not_booked(stack, checkouts, edit):
    listed, change, order, (source, destination, rate) = EDITS[edit]
    seller, buyer, listing = stack.cast(quantity="100", **listed)
    _rate(stack, source, destination, rate)
    quantity = order.pop("quantity")

    purchase, edited = _during_the_quote(
        stack,
        lambda: stack.buy(buyer, listing, quantity, **order),
        lambda: _patch(stack, seller, listing, **change),
    )

    assert edited.status_code == 200, edited.text
    assert purchase.status_code == 409, purchase.text
    assert purchase.headers["Content-Type"].startswith("application/problem+json")
    assert purchase.json()["code"] == "listing_changed"
    # Nothing reserved, nothing booked, no checkout opened at either gateway.
    assert _count_payments(stack, listing) == 0
    assert stack.available(listing) == "100.000"
    assert checkouts == []

    # Ordered again, the order is priced from the listing as it is now.
    again = stack.buy(buyer, listing, quantity, **order)
    assert again.status_code == 201, again.text
    row = stack.payment(again.json()["id"])
    now = {**listed, **change}
    assert row["listing_currency"] == now["currency"]
    assert row["listing_amount"] == now["price_per_unit"] * quantity


def test_a_listing_left_alone_during_the_quote_is_booked_as_priced(stack, checkouts):
    _, buyer, listing = stack.cast(quantity="100", currency="USD", price_per_unit=1_000)
    _rate(stack, "NGN", "USD", "1500")
    purchase, _ = _during_the_quote(
        stack,
        lambda: stack.buy(buyer, listing, 10, currency="NGN", provider="flutterwave"),
        lambda: requests.Response(),
    )
    assert purchase.status_code == 201, purchase.text
    row = stack.payment(purchase.json()["id"])
    assert (row["listing_amount"], row["listing_currency"]) == (10_000, "USD")
    assert checkouts == ["flutterwave"]


def test_a_currency_change_keeps_an_active_listing_for_sale_like_a_price_change(stack):
    seller, _, listing = stack.cast(currency="NGN", price_per_unit=150_000)
    edited = _patch(stack, seller, listing, currency="USD")
    assert edited.status_code == 200, edited.text
    assert (edited.json()["status"], edited.json()["currency"]) == ("active", "USD")


# 2. A rate quote the column cannot hold is the gateway's fault, and reserves nothing


def test_a_rate_quote_too_large_for_the_column_is_a_gateway_fault(stack, checkouts):
    _, buyer, listing = stack.cast(quantity="100", currency="USD", price_per_unit=1)
    _rate(stack, "NGN", "USD", "300000000000000")
    try:
        response = stack.buy(buyer, listing, "0.001", currency="NGN", provider="flutterwave")
    finally:
        _rate(stack, "NGN", "USD", "1550")
    assert response.status_code == 502, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "gateway_invalid_response"
    assert _count_payments(stack, listing) == 0
    assert stack.available(listing) == "100.000"
    assert checkouts == []


class _Quoted:
    """A rate source that quotes one fixed rate."""

    def __init__(self, rate: Decimal) -> None:
        self._rate = rate

    def rate(self, *, source: str, destination: str, destination_amount: Decimal) -> Decimal:
        return self._rate


# Not positive, not finite, or (after rounding up to ten places) 10^14 or more.
REFUSED_RATES = ["0", "-1550", "NaN", "sNaN", "Infinity", "-Infinity"]
REFUSED_RATES += ["1e14", "99999999999999.99999999999", "1e20", "1e400"]


@pytest.mark.parametrize("rate", REFUSED_RATES)
def test_a_rate_that_is_not_positive_finite_or_storable_is_refused(rate):
    with pytest.raises(DomainError) as raised:
        Pricing(_Quoted(Decimal(rate))).charge("USD", "NGN", Decimal("1.00"), "flutterwave")
    assert status_of(raised.value) == 502
    assert raised.value.code == "gateway_invalid_response"


@pytest.mark.parametrize("rate", ["1550", "99999999999999.9999999999", "0.00000000001"])
def test_a_rate_the_column_holds_is_used(rate):
    fx = Pricing(_Quoted(Decimal(rate))).charge("USD", "NGN", Decimal("1.00"), "flutterwave")
    assert Decimal(0) < fx["fx_rate"] < Decimal(10) ** 14


# 3. A pattern matches the whole string: no trailing newline, no whitespace


@pytest.mark.parametrize("quantity", ["1\n", "1\r\n", " 1", "1 ", "\n1", "1\t", "1.5\n"])
def test_a_purchase_quantity_with_whitespace_is_refused(stack, quantity):
    _, buyer, listing = stack.cast()
    response = stack.buy(buyer, listing, quantity)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "quantity"
    assert _count_payments(stack, listing) == 0
    assert stack.available(listing) == "10.000"


@pytest.mark.parametrize(("field", "value"), [("quantity", "5\n"), ("country", "ZM\n")])
def test_a_listing_field_with_a_trailing_newline_is_refused(stack, field, value):
    seller = make_user(stack.app, "seller")
    body = {
        "title": "Copper lot",
        "commodity": "copper",
        "description": "d",
        "quantity": "5",
        "unit": "t",
        "price_per_unit": 1000,
        "currency": "USD",
        "country": "ZM",
        field: value,
    }
    created = requests.post(
        f"{stack.url}/api/marketplace", headers=seller["headers"], json=body, timeout=30
    )
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["field"] == field
    stored = stack.sql("SELECT count(*) AS n FROM listings WHERE seller_id = %s", seller["id"])
    assert stored[0]["n"] == 0


@pytest.mark.parametrize("value", ["1\n", " 1", "1 ", "1\r", "\t1.5"])
def test_the_quantity_parser_refuses_whitespace(value):
    with pytest.raises(DomainError) as raised:
        parse_quantity(value)
    assert status_of(raised.value) == 422


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        ("^[A-Z]{2}$", "ZM", "ZM\n"),
        (r"^\$[0-9]+$", "$5", "$5\n"),
        ("^[$]?[0-9]+$", "$5", "5\n"),
        (r"^(a|b)$", "a", "b\n"),
    ],
)
def test_a_schema_pattern_is_anchored_at_the_very_end(pattern, good, bad):
    validator = validator_for({"type": "string", "pattern": pattern})
    validate(good, validator)
    with pytest.raises(Problem) as raised:
        validate(bad, validator)
    assert raised.value.status_code == 422
