"""What Flutterwave's v3 documentation says a request must look like, and its error bodies.

Every rule here is traced to Flutterwave's own pages in docs/sandboxes.md ("Strict rules").
Where the docs give no wording, the message is ours, inside Flutterwave's envelope.
"""

from __future__ import annotations

import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from sandbox.harness.common import GatewayError

Obj = dict[str, Any]

# Decimal places `amount` may carry on POST /v3/payments, per currency. Flutterwave's
# published OpenAPI definition of that endpoint (developer.flutterwave.com/reference/
# checkout.md) types `amount` as "integer" and names no currency as an exception, so every
# currency its checkout lists (Payment Methods page) takes whole major units, and so does
# any other (DEFAULT_AMOUNT_DECIMALS). Refund amounts use the same table.
CHECKOUT_CURRENCIES = (
    "NGN", "USD", "EUR", "GBP", "GHS", "XAF", "XOF", "ZAR", "MWK", "KES", "UGX", "RWF", "TZS",
)  # fmt: skip
AMOUNT_DECIMALS: dict[str, int] = dict.fromkeys(CHECKOUT_CURRENCIES, 0)
DEFAULT_AMOUNT_DECIMALS = 0
# "currency: ... If you don't specify a value, we'll assume "NGN"."
DEFAULT_CURRENCY = "NGN"
# "session_duration ... The maximum possible value is 1440 minutes (24 hours)."
MAX_SESSION_MINUTES = 1440

# Documented answers (developer.flutterwave.com: Common Errors, Handling Error Timeouts,
# Rate Limits); see docs/sandboxes.md for the sources.
AUTH_REQUIRED = "Authorization required"
SERVER_ERROR = "Application error. Please contact support"
TIMEOUT_ERROR = "An error occurred. Please contact support"
TOO_MANY_REQUESTS = "Too Many Requests"
NOT_FOUND = "No transaction was found for this id"  # seen from the live API, not in the docs

# One "@", no spaces, a dotted domain whose labels are letters, digits and hyphens.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def valid_email(email: object) -> bool:
    """One "@", no spaces, a dotted domain: as Flutterwave's SDKs check (joi ``email()``)."""
    return isinstance(email, str) and bool(_EMAIL.match(email)) and ".." not in email


def fw_error(status: int, message: str) -> GatewayError:
    """Flutterwave's body for `status`: its envelope, or the documented 500 shape."""
    if status == 500:
        # Common Errors: {"error_id": "ERRNO...T...", "message": ..., "code": "app_error"}
        error_id = f"ERRNO{secrets.randbelow(10**9)}T{int(time.time() * 1000)}"
        return GatewayError(status, {"error_id": error_id, "message": message, "code": "app_error"})
    return GatewayError(status, {"status": "error", "message": message, "data": None})


def fault_message(status: int) -> str | None:
    """The documented message for an injected fault answering `status`, if there is one."""
    if status == 401:
        return AUTH_REQUIRED
    if status == 429:
        return TOO_MANY_REQUESTS
    if status == 500:
        return SERVER_ERROR
    if status >= 500:
        return TIMEOUT_ERROR  # documented for 503; no other 5xx body is documented
    return None


def ok(message: str, data: Any) -> Obj:
    return {"status": "success", "message": message, "data": data}


def number(value: Decimal) -> int | float:
    """JSON number for a major-unit amount: 1500 stays an int, 1500.5 a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def amount_decimals(currency: str) -> int:
    return AMOUNT_DECIMALS.get(currency.upper(), DEFAULT_AMOUNT_DECIMALS)


def parse_amount(value: Any, name: str = "amount", currency: str | None = None) -> Decimal:
    """A positive major-unit amount (JSON number or numeric string, as the docs' own
    example sends '7500'); with `currency`, no finer than that currency allows."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fw_error(400, f"{name} is required and must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise fw_error(400, f"{name} must be a number") from exc
    if not amount.is_finite() or amount <= 0:
        raise fw_error(400, f"{name} must be greater than 0")
    if currency is not None:
        places = amount_decimals(currency)
        if amount != amount.quantize(Decimal(1).scaleb(-places)):
            unit = "a whole number" if places == 0 else f"at most {places} decimal places"
            raise fw_error(400, f"{name} must be {unit} of {currency.upper()}")
    return amount


def required_text(body: Obj, name: str) -> str:
    """A field that must be a non-blank string, as sent; 400 "<name> is required" else."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise fw_error(400, f"{name} is required")
    return value


def _object(body: Obj, name: str) -> Obj | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise fw_error(400, f"{name} must be an object")
    return value


def _redirect_url(body: Obj) -> str:
    url = required_text(body, "redirect_url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fw_error(400, "redirect_url must be a valid http(s) URL")
    return url


def _customer(body: Obj) -> Obj:
    customer = body.get("customer")
    if not isinstance(customer, dict) or not customer.get("email"):
        raise fw_error(400, "customer.email is required")
    email = customer["email"]
    if not valid_email(email):
        raise fw_error(400, "customer.email must be a valid email address")
    for optional in ("name", "phonenumber"):
        if customer.get(optional) is not None and not isinstance(customer[optional], str):
            raise fw_error(400, f"customer.{optional} must be a string")
    return dict(customer)


def _whole(value: Any, name: str, maximum: int | None = None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise fw_error(400, f"{name} must be a whole number")
    if int(value) < 1:
        raise fw_error(400, f"{name} must be at least 1")
    if maximum is not None and int(value) > maximum:
        raise fw_error(400, f"{name} cannot be more than {maximum}")
    return int(value)


def _configuration(body: Obj, name: str, maximum: int | None = None) -> int | None:
    # The parameter table names these fields; the docs' own example nests them in
    # `configurations`. Both are accepted, the nested value winning.
    nested = (_object(body, "configurations") or {}).get(name)
    return _whole(nested if nested is not None else body.get(name), name, maximum)


def checked_payment(body: Obj) -> Obj:
    """The fields of a valid POST /v3/payments body, normalised; raises the 400."""
    tx_ref = required_text(body, "tx_ref")
    currency = body.get("currency", DEFAULT_CURRENCY)
    if not isinstance(currency, str) or not currency.strip():
        raise fw_error(400, "currency must be a currency code")
    currency = currency.strip().upper()
    if body.get("amount") is None:
        raise fw_error(400, "amount is required and must be a number")
    payment_options = body.get("payment_options")
    if payment_options is not None and not isinstance(payment_options, str):
        raise fw_error(400, "payment_options must be a comma separated string")
    return {
        "tx_ref": tx_ref,
        "amount": parse_amount(body["amount"], currency=currency),
        "currency": currency,
        "redirect_url": _redirect_url(body),
        "customer": _customer(body),
        "meta": _object(body, "meta"),
        "customizations": _object(body, "customizations"),
        "payment_options": payment_options,
        "session_minutes": _configuration(body, "session_duration", MAX_SESSION_MINUTES),
        "max_attempts": _configuration(body, "max_retry_attempt"),
    }
