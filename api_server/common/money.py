"""Money in minor units: currency exponents, provider routing, exact conversion."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

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


def line_value(price_per_unit: int, quantity: Decimal) -> Decimal:
    """price_per_unit (minor) x quantity, exact: the listed value of an order, unrounded."""
    return Decimal(price_per_unit) * quantity


def line_amount(price_per_unit: int, quantity: Decimal) -> int:
    """The listed value in whole minor units, rounded up: never less than the goods' worth."""
    return int(line_value(price_per_unit, quantity).to_integral_value(ROUND_CEILING))


def charge_amount(
    value_minor: Decimal,
    from_currency: str,
    to_currency: str,
    rate: Decimal | None,
    *,
    step: int = 1,
) -> int:
    """What the buyer is charged, in `to_currency` minor units, for goods worth `value_minor`
    (exact) of `from_currency` at `rate` (`to_currency` units per `from_currency` unit).

    Rounded once, up, to a multiple of `step` minor units, the smallest amount step the
    gateway takes (charge_step): a buyer never gets goods for less than their listed value at
    the recorded rate, and never pays a whole step more.
    """
    major = value_minor.scaleb(-exponent(from_currency)) * (rate if rate is not None else 1)
    steps = (major.scaleb(exponent(to_currency)) / step).to_integral_value(ROUND_CEILING)
    return int(steps) * step


# docs.stripe.com/api/payment_intents/create: "The amount value supports up to eight digits";
# docs.stripe.com/currencies#maximum-charge-amounts widens INR to nine.
_STRIPE_DIGITS = {"INR": 9}
# Flutterwave publishes no maximum for a hosted checkout: we stop at 10^12 - 1 minor units,
# which every amount column and a JavaScript client hold exactly (docs/sandboxes.md).
_FLUTTERWAVE_MAX = 10**12 - 1
# The amount columns are bigint.
MAX_STORED_AMOUNT = 2**63 - 1


# docs.stripe.com/currencies#minimum-and-maximum-charge-amounts, for the currencies we accept
# that it lists; for the rest Stripe publishes no minimum and one minor unit is ours.
_STRIPE_MINIMUMS = {
    "USD": 50, "AED": 200, "AUD": 50, "CAD": 50, "CHF": 50, "EUR": 50, "GBP": 30, "INR": 50,
    "JPY": 50, "ZAR": 50,
}  # fmt: skip
# docs.stripe.com/currencies#three-decimal: "the least-significant (last) digit to be 0".
_STRIPE_STEP_OF_TEN = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def charge_step(provider: str, currency: str) -> int:
    """The smallest step, in minor units, of an amount `provider` charges in `currency`:
    a whole major unit at Flutterwave's checkout (docs/sandboxes.md), ten for Stripe's
    three-decimal currencies, else one minor unit."""
    if provider == "flutterwave":
        return 10 ** exponent(currency)
    return 10 if currency.upper() in _STRIPE_STEP_OF_TEN else 1


def min_charge(provider: str, currency: str) -> int:
    """The smallest amount, in minor units, that `provider` charges in one payment."""
    if provider == "stripe":
        return _STRIPE_MINIMUMS.get(currency.upper(), 1)
    return charge_step(provider, currency)


def max_charge(provider: str, currency: str) -> int:
    """The largest amount, in minor units, that `provider` charges in one payment."""
    if provider == "stripe":
        return 10 ** _STRIPE_DIGITS.get(currency.upper(), 8) - 1
    return _FLUTTERWAVE_MAX


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
