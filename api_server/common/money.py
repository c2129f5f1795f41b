"""Money in minor units: currency exponents, provider routing, exact conversion."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 exponents that are not 2; every other accepted code uses 2.
_EXPONENTS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "JOD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
}
# Currencies the marketplace accepts: the gateways' common set.
CURRENCIES = sorted(
    {
        "USD",
        "EUR",
        "GBP",
        "CHF",
        "CAD",
        "AUD",
        "CNY",
        "JPY",
        "INR",
        "AED",
        "SAR",
        "NGN",
        "GHS",
        "KES",
        "ZAR",
        "UGX",
        "TZS",
        "RWF",
        "XOF",
        "XAF",
        "ZMW",
        "EGP",
        "BWP",
        "MAD",
        "MZN",
        "NAD",
        "CDF",
        "ETB",
    }
)
# Currencies routed to Flutterwave when the buyer does not choose (issue: African markets).
FLUTTERWAVE_CURRENCIES = frozenset(
    {"NGN", "GHS", "KES", "ZAR", "UGX", "TZS", "RWF", "XOF", "XAF", "ZMW", "EGP"}
)


def exponent(currency: str) -> int:
    """Digits after the decimal point in `currency`'s minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_major(minor: int, currency: str) -> Decimal:
    """1500050 NGN kobo -> Decimal('15000.50')."""
    return Decimal(minor).scaleb(-exponent(currency))


def to_minor(major: Decimal, currency: str) -> int:
    """Major units to minor units, rounding half up at the minor unit (the one rule we use)."""
    quantum = Decimal(1).scaleb(-exponent(currency))
    return int(major.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(exponent(currency)))


def line_amount(price_per_unit: int, quantity: Decimal) -> int:
    """price_per_unit (minor) x quantity, rounded half up to a whole minor unit."""
    return int((Decimal(price_per_unit) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def convert(amount_minor: int, from_currency: str, to_currency: str, rate: Decimal) -> int:
    """`amount_minor` of `from_currency` at `rate` (to_currency units per from unit), in
    `to_currency` minor units, rounded half up."""
    return to_minor(to_major(amount_minor, from_currency) * rate, to_currency)


def default_provider(currency: str) -> str:
    """Flutterwave for African currencies, Stripe for the rest."""
    return "flutterwave" if currency.upper() in FLUTTERWAVE_CURRENCIES else "stripe"


def whole_major(amount_minor: int, currency: str) -> bool:
    """True when the amount is a whole number of major units (1500.00, not 1500.50)."""
    return amount_minor % (10 ** exponent(currency)) == 0


def checkout_amount(amount_minor: int, currency: str) -> int:
    """The amount for Flutterwave's `POST /v3/payments`, whose published definition types
    `amount` as an integer: whole major units only (docs/sandboxes.md)."""
    if not whole_major(amount_minor, currency):
        raise ValueError(f"{amount_minor} {currency} minor units is not a whole amount")
    return amount_minor // (10 ** exponent(currency))


def round_to_whole_major(amount_minor: int, currency: str) -> int:
    """A converted amount rounded half up to whole major units, in minor units."""
    unit = 10 ** exponent(currency)
    return int((Decimal(amount_minor) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit
