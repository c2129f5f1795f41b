"""How a buyer may pay through Flutterwave, per currency: the one table, each entry sourced.

A Flutterwave payment is today's hosted checkout (`card`) or a direct charge
(`POST /v3/charges?type=...`) the customer completes away from us: approving a mobile money
prompt on a phone, moving money to a one-time bank account, or dialling a USSD code. Which
methods a currency allows, which phone numbers and networks a method takes and which banks
USSD serves come from Flutterwave's pages, cited on each entry; where Flutterwave publishes
nothing (limits, phone formats) the choice is ours and says so. docs/architecture.md "Paying in
Africa" is the same table for clients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from api_server.common.errors import Invalid, field_error

MethodName = Literal["card", "mobile_money", "bank_transfer", "ussd"]
METHOD_NAMES: tuple[MethodName, ...] = ("card", "mobile_money", "bank_transfer", "ussd")
DOCS = "https://developer.flutterwave.com/docs"
# E.164: a plus, a country calling code and the subscriber number, 8 to 15 digits in all.
# Flutterwave's examples mix local and international forms and publish no rule
# (.../docs/m-pesa, .../docs/ghana); we take one form, the unambiguous one, and send
# Flutterwave the digits without the plus, as its M-Pesa example does ("254709929220").
# Matched whole (fullmatch): Python's `$` also matches before a final newline.
E164 = re.compile(r"\+[1-9][0-9]{7,14}")


@dataclass(frozen=True)
class DirectCharge:
    """One `POST /v3/charges?type=` a currency's method is sent as."""

    charge_type: str
    source: str
    # Calling code -> ISO 3166 country the number belongs to (the phone decides the country).
    countries: dict[str, str] | None = None
    networks: tuple[str, ...] = ()  # empty: Flutterwave does not ask for one
    sends_country: bool = False  # the franco charge names the country (CM, SN, BF, CI)


# USSD `account_bank` codes Flutterwave lists (DOCS/collections-inflow/ussd).
USSD_BANKS: dict[str, str] = {
    "044": "Access Bank",
    "050": "Ecobank",
    "070": "Fidelity Bank",
    "011": "First Bank of Nigeria",
    "214": "First City Monument Bank",
    "058": "Guaranty Trust Bank",
    "030": "Heritage Bank",
    "082": "Keystone Bank",
    "303": "Lotus Bank",
    "105": "Premium Trust Bank",
    "221": "Stanbic IBTC Bank",
    "232": "Sterling Bank",
    "032": "Union Bank",
    "033": "United Bank for Africa",
    "215": "Unity Bank",
    "090110": "VFD Microfinance Bank",
    "035": "Wema Bank",
    "057": "Zenith Bank",
}

MOBILE_MONEY: dict[str, DirectCharge] = {
    "KES": DirectCharge("mpesa", f"{DOCS}/m-pesa", {"254": "KE"}),
    "GHS": DirectCharge(
        "mobile_money_ghana", f"{DOCS}/ghana", {"233": "GH"}, ("MTN", "VODAFONE", "TIGO")
    ),
    "UGX": DirectCharge("mobile_money_uganda", f"{DOCS}/uganda", {"256": "UG"}, ("MTN", "AIRTEL")),
    "RWF": DirectCharge("mobile_money_rwanda", f"{DOCS}/rwanda", {"250": "RW"}, ("MTN", "AIRTEL")),
    "ZMW": DirectCharge(
        "mobile_money_zambia",
        f"{DOCS}/zambia-mobile-money",
        {"260": "ZM"},
        ("MTN", "AIRTEL", "ZAMTEL"),
    ),
    "TZS": DirectCharge("mobile_money_tanzania", f"{DOCS}/tanzania", {"255": "TZ"}),
    "XOF": DirectCharge(
        "mobile_money_franco",
        f"{DOCS}/francophone",
        {"225": "CI", "221": "SN", "226": "BF"},
        ("MTN", "ORANGEMONEY", "WAVE"),
        sends_country=True,
    ),
    "XAF": DirectCharge(
        "mobile_money_franco",
        f"{DOCS}/francophone",
        {"237": "CM"},
        ("MTN", "ORANGEMONEY"),
        sends_country=True,
    ),
}
# "currently only supported for NGN transactions" (DOCS/direct-charge/bank-transfer) and
# "USSD payments are only available for NGN" (DOCS/ussd).
BANK_TRANSFER = {"NGN": DirectCharge("bank_transfer", f"{DOCS}/ngn-bank-transfer")}
USSD = {"NGN": DirectCharge("ussd", f"{DOCS}/ussd")}


@dataclass(frozen=True)
class Choice:
    """The method a payment is made with, checked, and what its charge needs."""

    method: MethodName
    charge: DirectCharge | None = None  # None: the hosted checkout
    phone_number: str | None = None
    network: str | None = None
    country: str | None = None
    bank: str | None = None

    def details(self) -> dict[str, Any]:
        """What the payments row keeps of the choice (`payer` jsonb)."""
        return {
            key: value
            for key, value in (
                ("phone_number", self.phone_number),
                ("network", self.network),
                ("country", self.country),
                ("bank", self.bank),
            )
            if value is not None
        }


def allowed(provider: str, currency: str) -> list[MethodName]:
    """The methods a payment in `currency` through `provider` may use, card first."""
    if provider != "flutterwave":
        return ["card"]
    names: list[MethodName] = ["card"]
    for name, table in (
        ("mobile_money", MOBILE_MONEY),
        ("bank_transfer", BANK_TRANSFER),
        ("ussd", USSD),
    ):
        if currency in table:
            names.append(name)  # type: ignore[arg-type]
    return names


def choose(provider: str, currency: str, body: dict[str, Any]) -> Choice:
    """The buyer's method, checked before anything is reserved; 422 naming what is wrong."""
    method = body.get("method") or "card"
    permitted = allowed(provider, currency)
    if method not in permitted:
        raise Invalid(
            "method_not_allowed",
            f"A {provider} payment in {currency} can be paid by {', '.join(permitted)}.",
            errors=[field_error("method", f"must be one of {', '.join(permitted)}")],
            allowed=permitted,
        )
    extra = [f for f in ("phone_number", "network", "bank") if body.get(f) is not None]
    wanted = {"card": (), "mobile_money": ("phone_number", "network"), "bank_transfer": ()}
    stray = [f for f in extra if f not in wanted.get(method, ("bank", "phone_number"))]
    if stray:
        raise Invalid(
            "validation_error",
            f"A {method} payment takes no {', '.join(stray)}.",
            errors=[field_error(f, f"not used by {method}") for f in stray],
        )
    if method == "card":
        return Choice("card")
    if method == "mobile_money":
        return _mobile_money(MOBILE_MONEY[currency], currency, body)
    if method == "bank_transfer":
        return Choice("bank_transfer", BANK_TRANSFER[currency])
    return _ussd(body)


def _mobile_money(charge: DirectCharge, currency: str, body: dict[str, Any]) -> Choice:
    errors = []
    phone = body.get("phone_number")
    countries = charge.countries or {}
    country = None
    if not phone:
        errors.append(field_error("phone_number", "required for mobile money"))
    elif not E164.fullmatch(phone):
        errors.append(field_error("phone_number", "an E.164 number such as +254712345678"))
    else:
        country = next((c for code, c in countries.items() if phone[1:].startswith(code)), None)
        if country is None:
            codes = ", ".join(f"+{code}" for code in countries)
            errors.append(field_error("phone_number", f"{currency} mobile money takes {codes}"))
    network = body.get("network")
    if charge.networks:
        if not network:
            errors.append(field_error("network", f"one of {', '.join(charge.networks)}"))
        elif network.upper() not in charge.networks:
            errors.append(field_error("network", f"{currency} takes {', '.join(charge.networks)}"))
    elif network:
        errors.append(field_error("network", f"{currency} mobile money takes no network"))
    if errors:
        raise Invalid("validation_error", "The mobile money details are not usable.", errors=errors)
    return Choice(
        "mobile_money",
        charge,
        phone_number=phone,
        network=network.upper() if network else None,
        country=country,
    )


def _ussd(body: dict[str, Any]) -> Choice:
    bank, phone = body.get("bank"), body.get("phone_number")
    errors = []
    if bank not in USSD_BANKS:
        errors.append(field_error("bank", f"one of {', '.join(sorted(USSD_BANKS))}"))
    if phone is not None and not (E164.fullmatch(phone) and phone.startswith("+234")):
        errors.append(field_error("phone_number", "a Nigerian E.164 number, +2348012345678"))
    if errors:
        raise Invalid(
            "validation_error", "USSD needs the buyer's bank, by its code.", errors=errors
        )
    return Choice("ussd", USSD["NGN"], bank=bank, phone_number=phone)
