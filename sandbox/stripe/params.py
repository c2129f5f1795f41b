"""Reading Stripe's form parameters and checking their values and amounts.

Each rule comes from a Stripe page; docs/sandboxes.md ("Strict rules") lists them with sources.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from sandbox.stripe.errors import Obj, invalid, words

# --------------------------------------------------------------------------- form decoding

_BRACKETS = re.compile(r"\[([^\]]*)\]")


def parse_form(text: str) -> Obj:
    """Decodes Stripe's nested form keys (a[b]=1, a[0]=x, a[]=y) into dicts and lists."""
    root: Obj = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, bracket, rest = key.partition("[")
        parts = [head, *_BRACKETS.findall(bracket + rest)]
        node = root
        for part in parts[:-1]:
            name = part or str(len(node))
            child = node.get(name)
            if not isinstance(child, dict):  # a[b]=1 after a=2: the nested form wins
                child = node[name] = {}
            node = child
        node[parts[-1] or str(len(node))] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


# --------------------------------------------------------------------------- value checks


def integer(params: Obj, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    raw = params.get(name)
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise invalid(f"Invalid integer: {raw}", name, "parameter_invalid_integer")
    value = int(raw)
    if value < minimum:
        raise invalid(
            f"This value must be greater than or equal to {minimum}.",
            name,
            "parameter_invalid_integer",
        )
    if maximum is not None and value > maximum:
        raise invalid(
            f"This value must be less than or equal to {maximum}.",
            name,
            "parameter_invalid_integer",
        )
    return value


def boolean(params: Obj, name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise invalid(f"Invalid boolean: {raw}", name)
    return raw == "true"


def one_of(params: Obj, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        words = ", ".join(allowed[:-1]) + f", or {allowed[-1]}"
        raise invalid(f"Invalid {name}: must be one of {words}", name)
    return raw


def metadata(params: Obj) -> dict[str, str]:
    """docs.stripe.com/api/metadata: up to 50 keys, names up to 40, values up to 500 chars."""
    meta = params.get("metadata")
    if meta is None or meta == "":
        return {}
    if not isinstance(meta, dict):
        raise invalid("Invalid hash", "metadata")
    if len(meta) > 50:
        raise invalid("Metadata can have at most 50 keys.", "metadata")
    for key, value in meta.items():
        if len(key) > 40:
            raise invalid("Metadata keys can be at most 40 characters long.", f"metadata[{key}]")
        if not isinstance(value, str):
            raise invalid("Invalid string", f"metadata[{key}]")
        if len(value) > 500:
            raise invalid("Metadata values can be at most 500 characters long.", f"metadata[{key}]")
    return {k: v for k, v in meta.items() if v != ""}


# --------------------------------------------------------------------------- currencies

# docs.stripe.com/currencies, "Minimum charge amount by currency", in minor units.
MINIMUMS = {
    "usd": 50, "aed": 200, "ars": 50, "aud": 50, "brl": 50, "cad": 50, "chf": 50, "cop": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "idr": 50,
    "ils": 50, "inr": 50, "jpy": 50, "krw": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50,
    "php": 50, "pln": 200, "ron": 200, "rub": 50, "sek": 300, "sgd": 50, "thb": 1000, "zar": 50,
}  # fmt: skip
# docs.stripe.com/currencies#zero-decimal (UGX is a special case below).
ZERO_DECIMAL = words("bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf")
# docs.stripe.com/currencies#three-decimal: "the least-significant (last) digit to be 0".
THREE_DECIMAL = words("bhd jod kwd omr tnd")
# docs.stripe.com/currencies#special-cases: ISK and UGX are sent as two-decimal values whose
# decimal part is always 00 ("to charge 5 UGX, provide an amount value of 500").
WHOLE_HUNDREDS = frozenset(("isk", "ugx"))
# docs.stripe.com/api/payment_intents/create: "The amount value supports up to eight digits";
# docs.stripe.com/currencies#maximum-charge-amounts widens IDR, COP and INR.
MAX_DIGITS = {"idr": 12, "cop": 10, "inr": 9}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def _major(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        major = f"{amount:,}"
    elif currency in THREE_DECIMAL:
        major = f"{amount / 1000:,.3f}"
    else:
        major = f"{amount / 100:,.2f}"
    return SYMBOLS.get(currency, "") + major


def money(amount: int, currency: str) -> str:
    """An amount as Stripe's messages word it: "$15.00", "€0.50", "¥50", "15.00 CZK"."""
    text = _major(amount, currency)
    return text if currency in SYMBOLS else f"{text} {currency.upper()}"


def check_charge_amount(amount: int, currency: str) -> None:
    """Minimum, maximum and minor-unit rules for a PaymentIntent's amount."""
    minimum = MINIMUMS.get(currency)
    if minimum is not None and amount < minimum:
        raise invalid(
            f"Amount must be at least {_major(minimum, currency)} {currency}",
            "amount",
            "amount_too_small",
        )
    maximum = 10 ** MAX_DIGITS.get(currency, 8) - 1
    if amount > maximum:
        raise invalid(
            f"Amount must be no more than {_major(maximum, currency)} {currency}",
            "amount",
            "amount_too_large",
        )
    step = 10 if currency in THREE_DECIMAL else 100 if currency in WHOLE_HUNDREDS else 1
    if amount % step:
        raise invalid(
            f"Invalid amount for {currency}: the amount must be a multiple of {step} "
            f"(docs.stripe.com/currencies).",
            "amount",
            "invalid_charge_amount",
        )
