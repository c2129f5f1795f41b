"""What `POST /v3/charges?type=...` accepts, per charge type, and its 400 answers.

The facts come from Flutterwave's direct-charge pages and its official SDKs; docs/sandboxes.md
("Direct charges") names the source of each rule. Flutterwave publishes no server-side error
wording for these charges, so every message here is the sandbox's, in Flutterwave's envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.flutterwave.rules import Obj, fw_error, parse_amount, required_text, valid_email

# Flutterwave's own SDK rule (services/schema/create.js, client-side): "phone number should
# be digits", an optional leading "+", at most 50 characters.
_PHONE = re.compile(r"^\+?[0-9]+\Z")
MAX_PHONE_LENGTH = 50
# The Node SDK's bound on `expires` (seconds), client-side; no server value is published.
MAX_EXPIRES_SECONDS = 31_536_000
# Not published: the sandbox's default lifetime of a bank-transfer account, the value the
# SDK's own sample sends (`"expires": 3600`).
DEFAULT_EXPIRES_SECONDS = 3600
FRANCO_COUNTRIES = ("CM", "SN", "BF", "CI")
# The 18 banks of the USSD page, by `account_bank` code, with the sandbox's display name.
USSD_BANKS: dict[str, str] = {
    "044": "Access Bank",
    "050": "Ecobank",
    "070": "Fidelity Bank",
    "011": "First Bank",
    "214": "FCMB",
    "058": "GTBank",
    "030": "Heritage Bank",
    "082": "Keystone Bank",
    "303": "Lotus Bank",
    "105": "Premium Trust Bank",
    "221": "Stanbic IBTC",
    "232": "Sterling Bank",
    "032": "Union Bank",
    "033": "UBA",
    "215": "Unity Bank",
    "090110": "VFD MFB",
    "035": "Wema Bank",
    "057": "Zenith Bank",
}


@dataclass(frozen=True)
class ChargeType:
    """One `type=` of POST /v3/charges: what it takes and how its transactions look."""

    name: str
    # currency -> the networks documented for it (empty: the type takes no network)
    networks: dict[str, tuple[str, ...]]
    payment_type: str  # data.payment_type of its transactions
    auth_model: str
    event_type: str  # "event.type" of its charge.completed webhooks
    mobile_money: bool = True  # needs phone_number; answered on the phone
    network_required: bool = False
    country_required: bool = False

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(self.networks)


MOMO_EVENT = "MOBILEMONEY_TRANSACTION"
_GHANA = ("MTN", "VODAFONE", "TIGO", "TELECEL", "AIRTELTIGO", "VODOFONE")  # sic, PHP SDK
_TANZANIA = ("HALOPESA", "AIRTEL", "TIGO", "VODACOM", "VODOFONE")  # sic, PHP SDK

CHARGE_TYPES: dict[str, ChargeType] = {
    t.name: t
    for t in (
        ChargeType("mpesa", {"KES": ("SAFARICOM", "AIRTEL")}, "mpesa", "LIPA_MPESA", MOMO_EVENT),
        ChargeType(
            "mobile_money_ghana",
            {"GHS": _GHANA},
            "mobilemoneygh",
            "MOBILEMONEY",
            MOMO_EVENT,
            network_required=True,
        ),
        ChargeType(
            "mobile_money_uganda",
            {"UGX": ("MTN", "AIRTEL")},
            "mobilemoneyuganda",
            "MOBILEMONEY",
            MOMO_EVENT,
            network_required=True,
        ),
        ChargeType(
            "mobile_money_rwanda",
            {"RWF": ("MTN", "AIRTEL")},
            "mobilemoneyrwanda",
            "MOBILEMONEY",
            MOMO_EVENT,
        ),
        ChargeType(
            "mobile_money_zambia",
            {"ZMW": ("MTN", "AIRTEL", "ZAMTEL")},
            "mobilemoneyzambia",
            "MOBILEMONEY",
            MOMO_EVENT,
            network_required=True,
        ),
        ChargeType(
            "mobile_money_tanzania",
            {"TZS": _TANZANIA},
            "mobilemoneytz",
            "MOBILEMONEY",
            MOMO_EVENT,
        ),
        ChargeType(
            "mobile_money_franco",
            {"XOF": ("WAVE", "MTN", "ORANGEMONEY"), "XAF": ("MTN", "ORANGEMONEY")},
            "mobilemoneysn",
            "AUTH",
            MOMO_EVENT,
            network_required=True,
            country_required=True,
        ),
        ChargeType(
            "bank_transfer",
            {"NGN": ()},
            "bank_transfer",
            "AUTH",
            "BANK_TRANSFER_TRANSACTION",
            mobile_money=False,
        ),
        ChargeType("ussd", {"NGN": ()}, "ussd", "USSD", "USSD_TRANSACTION", mobile_money=False),
    )
}
# What `_emit` puts in "event.type" for a transaction, by its payment_type.
EVENT_TYPES: dict[str, str] = {"card": "CARD_TRANSACTION"} | {
    t.payment_type: t.event_type for t in CHARGE_TYPES.values()
}


def charge_type(name: str | None) -> ChargeType:
    if not name:
        raise fw_error(400, "type is required")
    found = CHARGE_TYPES.get(name)
    if found is None:
        raise fw_error(400, f"Invalid charge type: {name}. Use one of {', '.join(CHARGE_TYPES)}")
    return found


def _required(body: Obj, name: str) -> str:
    return required_text(body, name).strip()


def _optional_text(body: Obj, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise fw_error(400, f"{name} must be a string")
    return value


def _one_of(value: str, allowed: tuple[str, ...], name: str, what: str) -> str:
    # Networks and countries are matched case-insensitively: the docs themselves write
    # "MTN" and "Airtel", "Telecel" and "TELECEL".
    if value.upper() not in allowed:
        raise fw_error(400, f"{name} must be one of {', '.join(allowed)} for {what}")
    return value.upper()


def _phone(body: Obj, required: bool) -> str | None:
    phone = _required(body, "phone_number") if required else _optional_text(body, "phone_number")
    if phone is None:
        return None
    if not _PHONE.match(phone) or len(phone) > MAX_PHONE_LENGTH:
        raise fw_error(400, "phone number should be digits")
    return phone


def _network(body: Obj, kind: ChargeType, currency: str) -> str | None:
    allowed = kind.networks[currency]
    if not allowed:
        return None  # bank transfer and USSD name no network
    if body.get("network") is None and not kind.network_required:
        return None
    network = _required(body, "network")
    return _one_of(network, allowed, "network", f"{kind.name} in {currency}")


def _expires(body: Obj) -> int:
    value = body.get("expires")
    if value is None:
        return DEFAULT_EXPIRES_SECONDS
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise fw_error(400, "expires must be a positive whole number of seconds")
    if value > MAX_EXPIRES_SECONDS:
        raise fw_error(400, f"expires cannot be more than {MAX_EXPIRES_SECONDS}")
    return value


def _meta(body: Obj) -> Obj | None:
    meta = body.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise fw_error(400, "meta must be an object")
    return meta


def checked_charge(kind: ChargeType, body: Obj) -> Obj:
    """The fields of a valid charge of `kind`, normalised; raises the 400 otherwise."""
    tx_ref = _required(body, "tx_ref")
    if body.get("amount") is None:
        raise fw_error(400, "amount is required and must be a number")
    currency = _required(body, "currency").upper()
    if currency not in kind.currencies:
        raise fw_error(
            400, f"currency must be {' or '.join(kind.currencies)} for {kind.name} charges"
        )
    amount: Decimal = parse_amount(body["amount"], currency=currency)
    email = _required(body, "email")
    if not valid_email(email):
        raise fw_error(400, "email must be a valid email address")
    spec: dict[str, Any] = {
        "type": kind.name,
        "tx_ref": tx_ref,
        "amount": amount,
        "currency": currency,
        "email": email,
        "fullname": _optional_text(body, "fullname"),
        "phone_number": _phone(body, kind.mobile_money),
        "network": _network(body, kind, currency),
        "country": None,
        "account_bank": None,
        "expires": None,
        "redirect_url": _optional_text(body, "redirect_url"),
        "meta": _meta(body),
    }
    if kind.country_required:
        spec["country"] = _one_of(
            _required(body, "country"), FRANCO_COUNTRIES, "country", kind.name
        )
    if kind.name == "ussd":
        bank = _required(body, "account_bank")
        if bank not in USSD_BANKS:
            raise fw_error(400, f"account_bank {bank} is not a bank that supports USSD charges")
        spec["account_bank"] = bank
    if kind.name == "bank_transfer":
        if body.get("is_permanent"):
            # Permanent virtual accounts are another product; refused, not silently ignored.
            raise fw_error(400, "is_permanent accounts are not modelled by the sandbox")
        spec["expires"] = _expires(body)
    return spec
