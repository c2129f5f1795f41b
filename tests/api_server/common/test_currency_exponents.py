"""Minor units per currency, as ISO 4217 lists them: zero-decimal and three-decimal
currencies included, whether or not the API accepts them yet (the table is the rule)."""

import pytest

from api_server.common.money import exponent

ISO_4217 = {
    0: "BIF CLP DJF GNF JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    2: "USD EUR GBP NGN ZAR KES GHS EGP ZMW INR",
    3: "BHD JOD KWD OMR TND",
}


@pytest.mark.parametrize(
    ("currency", "digits"),
    [(code, digits) for digits, codes in ISO_4217.items() for code in codes.split()],
)
def test_minor_units_follow_iso_4217(currency, digits):
    assert exponent(currency) == digits
    assert exponent(currency.lower()) == digits
