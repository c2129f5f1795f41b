"""Quantities: one parser for every quantity a client sends (listings and purchases alike).

A quantity is stored as `numeric(18, 3)`. A value the column would round is refused, never
rounded: a purchase of 0.0005 t would otherwise be charged for half a kilogram and book none.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from api_server.common.errors import invalid_field

MAX_QUANTITY_DIGITS = 12
THOUSANDTH = Decimal("0.001")
# ASCII digits only (str.isdigit and Decimal also take other scripts' digits).
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
# A decimal string ("12.5") or a JSON number; parse_quantity checks scale and sign exactly.
QUANTITY_SCHEMA = {
    "type": ["string", "number"],
    "pattern": rf"^[0-9]{{1,{MAX_QUANTITY_DIGITS}}}(\.[0-9]{{1,3}})?$",
    "exclusiveMinimum": 0,
    "maximum": 10**MAX_QUANTITY_DIGITS - 1,
}


def parse_quantity(value: str | float, field: str = "quantity") -> Decimal:
    """A positive decimal of at most three places, exactly as the column stores it.

    JSON numbers arrive as floats; their shortest repr is the decimal the client wrote, so
    0.1 stays 0.1 and 0.30000000000000004 is refused instead of being silently rounded.
    """
    try:
        # Decimal() itself would take " 1", "1\n", "1_000", "+1" or "1e3": a string is
        # digits with an optional fraction, nothing around them.
        if isinstance(value, str) and not _DECIMAL.fullmatch(value):
            raise InvalidOperation(value)
        quantity = Decimal(value if isinstance(value, str) else repr(value))
    except (InvalidOperation, TypeError):
        quantity = Decimal("NaN")
    if not quantity.is_finite() or quantity <= 0:
        problem = "must be a decimal greater than 0"
    elif quantity >= 10**MAX_QUANTITY_DIGITS:
        problem = f"must be less than 10^{MAX_QUANTITY_DIGITS}"
    elif quantity != quantity.quantize(THOUSANDTH):
        problem = "must have at most 3 decimal places"
    else:
        return quantity.quantize(THOUSANDTH)
    raise invalid_field(field, problem)
