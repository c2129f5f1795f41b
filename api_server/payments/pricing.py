"""What a buyer is charged: the listed value in the buyer's currency at the gateway's quoted
rate, rounded once, up, to the gateway's step, and within what the gateway charges at once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from api_server.common.errors import Invalid, UpstreamFailed
from api_server.common.money import (
    MAX_STORED_AMOUNT,
    charge_amount,
    charge_step,
    max_charge,
    min_charge,
    to_major,
)
from api_server.payments.gateways import GatewayError, RateSource
from api_server.payments.problems import gateway_problem

# payments.fx_rate is numeric(24, 10): ten places, below 10^14.
RATE_SCALE = Decimal("1e-10")
RATE_LIMIT = Decimal(10) ** 14


def storable_rate(rate: Decimal) -> Decimal:
    """The quoted rate at the column's scale, rounded up (the rate recorded is the rate
    charged). A rate that is not a positive finite number, or that the column cannot hold,
    is not one we can price with: the gateway answered nonsense (502), nothing is reserved."""
    if rate.is_finite() and 0 < rate < RATE_LIMIT:
        # Bounded first: quantizing a huge value would overflow the context's precision.
        stored = rate.quantize(RATE_SCALE, rounding=ROUND_CEILING)
        if stored < RATE_LIMIT:
            return stored
    raise UpstreamFailed(
        "gateway_invalid_response",
        "The payment gateway quoted an exchange rate that cannot be used; nothing was "
        "reserved or charged.",
    )


def check_amount(amount: int, listing_amount: int, currency: str, provider: str) -> None:
    """Refuses, before anything is reserved, an amount the gateway would not charge."""
    if charge_step(provider, currency) > 1 and amount % charge_step(provider, currency):
        # Only without a conversion (which rounds up to the step): the listed amount
        # itself is not one the gateway takes, and the buyer must not pay more than it.
        raise Invalid(
            "amount_not_accepted",
            f"This order comes to {to_major(amount, currency)} {currency}, which {provider}"
            f" does not charge ({to_major(charge_step(provider, currency), currency)} "
            f"{currency} steps only). Change the quantity or the provider.",
        )
    low, high = min_charge(provider, currency), max_charge(provider, currency)
    if not low <= amount <= high or listing_amount > MAX_STORED_AMOUNT:
        raise Invalid(
            "amount_not_accepted",
            f"This order comes to {to_major(amount, currency)} {currency}; {provider} "
            f"charges from {to_major(low, currency)} to {to_major(high, currency)} "
            f"{currency} at once. Change the quantity or the provider.",
        )


class Pricing:
    """Prices an order in the buyer's currency through the gateway's rates."""

    def __init__(self, rates: RateSource) -> None:
        self._rates = rates

    def charge(
        self, listing_currency: str, currency: str, value: Decimal, provider: str
    ) -> dict[str, Any]:
        """The amount in the buyer's currency at the gateway's quoted rate, if it differs,
        rounded up once from the exact value to the gateway's step (money.charge_amount)."""
        if currency == listing_currency:
            amount = charge_amount(value, currency, currency, None)
            return {"amount": amount, "fx_rate": None, "fx_source": None, "fx_at": None}
        try:
            rate = self._rates.rate(
                source=currency,
                destination=listing_currency,
                destination_amount=to_major(
                    charge_amount(value, listing_currency, listing_currency, None),
                    listing_currency,
                ),
            )
        except GatewayError as exc:
            if exc.kind == "rejected":
                raise Invalid(
                    "currency_not_convertible",
                    f"No rate from {listing_currency} to {currency}.",
                ) from exc
            raise gateway_problem(exc) from exc
        rate = storable_rate(rate)
        return {
            "amount": charge_amount(
                value, listing_currency, currency, rate, step=charge_step(provider, currency)
            ),
            "fx_rate": rate,
            "fx_source": "flutterwave:/v3/transfers/rates",
            "fx_at": datetime.now(UTC),
        }
