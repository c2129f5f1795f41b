"""Money rules as tables: minor units per ISO 4217 exponent, charges rounded up once,
conversion, provider routing and the whole amounts Flutterwave's checkout takes.

Exponents: 0 for currencies without a minor unit (JPY, UGX, RWF, XOF, ...), 3 for BHD, JOD,
KWD, OMR and TND, 2 for the rest. What a buyer is charged is rounded once, up, from the exact
value, at the smallest unit the gateway takes: never less than the goods' listed value at the
recorded rate, and less than one such unit more. Parsing a gateway's amount (to_minor) rounds
half up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api_server.common.money import (
    CURRENCIES,
    charge_amount,
    charge_step,
    checkout_amount,
    default_provider,
    exponent,
    line_amount,
    line_value,
    to_major,
    to_minor,
    whole_major,
)


def table(*rows: tuple[Any, ...]) -> list[Any]:
    """Rows of (id, *values), as parametrize arguments with readable ids."""
    return [pytest.param(*values, id=name) for name, *values in rows]


@pytest.mark.parametrize(
    ("currency", "digits"),
    table(
        ("USD", "USD", 2),
        ("NGN", "NGN", 2),
        ("JPY", "JPY", 0),
        ("UGX", "UGX", 0),
        ("XOF", "XOF", 0),
        ("KWD", "KWD", 3),
        ("BHD", "BHD", 3),
        ("lower-case-jpy", "jpy", 0),
        ("lower-case-kwd", "kwd", 3),
        ("unlisted-code-has-2", "XYZ", 2),
    ),
)
def test_exponent(currency, digits):
    assert exponent(currency) == digits


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    table(
        ("kobo-to-naira", 1_500_050, "NGN", Decimal("15000.50")),
        ("cents-to-dollars", 625_000, "USD", Decimal("6250.00")),
        ("one-cent", 1, "USD", Decimal("0.01")),
        ("zero", 0, "USD", Decimal("0")),
        ("yen-has-no-minor-unit", 1_500, "JPY", Decimal("1500")),
        ("fils-to-dinar", 1_234, "KWD", Decimal("1.234")),
        ("one-fils", 1, "KWD", Decimal("0.001")),
    ),
)
def test_to_major(minor, currency, major):
    assert to_major(minor, currency) == major


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    table(
        ("exact-cents", "12.34", "USD", 1234),
        ("below-half-rounds-down", "12.344", "USD", 1234),
        ("half-rounds-up", "12.345", "USD", 1235),
        ("half-up-not-to-even", "0.125", "USD", 13),
        ("smallest-half-cent", "0.005", "USD", 1),
        ("just-below-half-cent", "0.004999", "USD", 0),
        ("above-half-rounds-up", "12.3451", "USD", 1235),
        ("whole-dollars", "7", "USD", 700),
        ("yen-exact", "1500", "JPY", 1500),
        ("yen-half-up-from-2.5", "2.5", "JPY", 3),
        ("yen-half-up-from-3.5", "3.5", "JPY", 4),
        ("yen-below-half", "2.49", "JPY", 2),
        ("dinar-exact", "1.234", "KWD", 1234),
        ("dinar-half-up", "1.2345", "KWD", 1235),
        ("dinar-below-half", "1.2344", "KWD", 1234),
        ("negative-half-away-from-zero", "-0.005", "USD", -1),
    ),
)
def test_to_minor_rounds_half_up_at_the_minor_unit(major, currency, minor):
    assert to_minor(Decimal(major), currency) == minor


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "NGN"])
@pytest.mark.parametrize("minor", [0, 1, 5, 99, 100, 12_345, 150_050])
def test_minor_to_major_and_back_is_exact(minor, currency):
    assert to_minor(to_major(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("price", "quantity", "amount"),
    table(
        ("whole-quantity", 250_000, Decimal("3"), 750_000),
        ("fractional-quantity", 250_000, Decimal("2.5"), 625_000),
        ("thousandth-rounds-up", 150_050, Decimal("0.001"), 151),
        ("half-rounds-up", 3, Decimal("0.5"), 2),
        ("tenth-of-5-is-half", 5, Decimal("0.1"), 1),
        ("just-below-half-still-up", 1, Decimal("0.499"), 1),
        ("exact-thousandths", 1_000, Decimal("0.001"), 1),
    ),
)
def test_line_amount_is_price_times_quantity_rounded_up(price, quantity, amount):
    assert line_amount(price, quantity) == amount


@pytest.mark.parametrize(
    ("value", "source", "target", "rate", "step", "charged"),
    table(
        ("usd-to-ngn", "100000", "USD", "NGN", "1550", 1, 155_000_000),
        ("jpy-to-usd", "1000", "JPY", "USD", "0.0067", 1, 670),
        ("cent-to-yen-up", "1", "USD", "JPY", "150.5", 1, 2),
        ("cent-to-yen-below-half-still-up", "1", "USD", "JPY", "149.9", 1, 2),
        ("usd-to-kwd-three-digits", "12345", "USD", "KWD", "0.3075", 1, 37_961),
        ("kwd-to-usd", "1000", "KWD", "USD", "3.25", 1, 325),
        ("same-currency-rate-1", "4321", "EUR", "EUR", "1", 1, 4_321),
        ("no-rate-same-currency", "4321", "EUR", "EUR", None, 1, 4_321),
        # Issue 20: 2.31 kg at 1,000 NGN/kg at 1 USD = 1,550 NGN is 1.4903 USD.
        ("ngn-to-usd-cents", "231000", "NGN", "USD", "0.00064516129", 1, 150),
        ("ngn-to-whole-usd", "231000", "NGN", "USD", "0.00064516129", 100, 200),
        ("exact-whole-stays", "150000", "NGN", "NGN", None, 100, 150_000),
        ("fraction-of-a-minor-unit", "0.5", "USD", "USD", None, 1, 1),
        ("dinar-up-to-whole", "1499", "KWD", "KWD", None, 1000, 2_000),
        ("fils-up-to-ten", "37961", "KWD", "KWD", None, 10, 37_970),
    ),
)
def test_a_charge_is_rounded_up_once_from_the_exact_value(
    value, source, target, rate, step, charged
):
    rate = None if rate is None else Decimal(rate)
    assert charge_amount(Decimal(value), source, target, rate, step=step) == charged


@given(
    price=st.integers(min_value=1, max_value=10**9),
    thousandths=st.integers(min_value=1, max_value=10**9),
    rate=st.decimals(
        min_value=Decimal("1e-10"), max_value=Decimal("1e5"), places=10, allow_nan=False
    ),
    source=st.sampled_from(CURRENCIES),
    target=st.sampled_from(CURRENCIES),
    provider=st.sampled_from(["stripe", "flutterwave"]),
)
def test_a_charge_never_undercharges_and_overcharges_by_less_than_one_step(
    price, thousandths, rate, source, target, provider
):
    value = line_value(price, Decimal(thousandths).scaleb(-3))
    step = charge_step(provider, target)
    charged = charge_amount(value, source, target, rate, step=step)
    worth = value.scaleb(-exponent(source)) * rate
    paid = to_major(charged, target)
    assert worth <= paid < worth + to_major(step, target)
    assert charged % step == 0


@pytest.mark.parametrize(
    ("currency", "provider"),
    table(
        ("naira", "NGN", "flutterwave"),
        ("lower-case-naira", "ngn", "flutterwave"),
        ("shilling", "KES", "flutterwave"),
        ("rand", "ZAR", "flutterwave"),
        ("cfa-franc", "XOF", "flutterwave"),
        ("dollar", "USD", "stripe"),
        ("euro", "EUR", "stripe"),
        ("yen", "JPY", "stripe"),
        ("congolese-franc-not-routed", "CDF", "stripe"),
    ),
)
def test_default_provider(currency, provider):
    assert default_provider(currency) == provider


@pytest.mark.parametrize(
    ("amount", "currency", "whole", "checkout"),
    table(
        ("whole-naira", 150_000, "NGN", True, 1_500),
        ("two-units-of-1500.50", 300_100, "NGN", True, 3_001),
        ("fifty-kobo", 150_050, "NGN", False, None),
        ("one-kobo", 1, "NGN", False, None),
        ("zero", 0, "USD", True, 0),
        ("any-yen-is-whole", 1_501, "JPY", True, 1_501),
        ("one-yen", 1, "JPY", True, 1),
        ("two-dinar", 2_000, "KWD", True, 2),
        ("dinar-and-a-half", 1_500, "KWD", False, None),
        ("ten-fils", 10, "KWD", False, None),
    ),
)
def test_whole_major_and_checkout_amount(amount, currency, whole, checkout):
    assert whole_major(amount, currency) is whole
    if whole:
        assert checkout_amount(amount, currency) == checkout
    else:
        with pytest.raises(ValueError, match="not a whole amount"):
            checkout_amount(amount, currency)
