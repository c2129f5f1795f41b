"""Stripe's integers back to our minor units (docs.stripe.com/currencies#special-cases): UGX
and ISK travel in hundredths, and come back as whole integers or not at all."""

import pytest

from api_server.payments.stripe_gateway import from_stripe_amount


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (500_000, "UGX", 5_000),
        (500_000, "ugx", 5_000),
        (12_300, "ISK", 123),
        (500_050, "UGX", None),
        (1_999, "USD", 1_999),
        (None, "UGX", None),
        (700, None, 700),
    ],
)
def test_stripe_amounts_come_back_as_our_minor_units(amount, currency, expected):
    result = from_stripe_amount(amount, currency)
    assert result == expected
    assert result is None or type(result) is int
