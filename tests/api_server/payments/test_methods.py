"""The methods table: what each currency allows, and every refusal before a reservation."""

from __future__ import annotations

from typing import Any

import pytest

from api_server.common.errors import Invalid
from api_server.payments import methods


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("NGN", ["card", "bank_transfer", "ussd"]),
        ("KES", ["card", "mobile_money"]),
        ("XOF", ["card", "mobile_money"]),
        ("ZAR", ["card"]),
        ("USD", ["card"]),
    ],
)
def test_each_currency_allows_its_methods(currency: str, expected: list[str]) -> None:
    assert methods.allowed("flutterwave", currency) == expected


def test_stripe_takes_cards_only() -> None:
    assert methods.allowed("stripe", "KES") == ["card"]
    with pytest.raises(Invalid) as refused:
        methods.choose("stripe", "USD", {"method": "mobile_money"})
    assert refused.value.code == "method_not_allowed"
    assert refused.value.extra["allowed"] == ["card"]


def test_a_method_the_currency_does_not_allow_names_the_allowed_ones() -> None:
    with pytest.raises(Invalid) as refused:
        methods.choose("flutterwave", "KES", {"method": "ussd", "bank": "058"})
    assert refused.value.extra["allowed"] == ["card", "mobile_money"]
    assert "card, mobile_money" in refused.value.detail


def _fields(body: dict[str, Any], currency: str) -> list[str]:
    with pytest.raises(Invalid) as refused:
        methods.choose("flutterwave", currency, body)
    assert refused.value.code == "validation_error"
    return [e["field"] for e in refused.value.errors or []]


@pytest.mark.parametrize(
    ("currency", "body", "fields"),
    [
        ("KES", {"method": "mobile_money"}, ["phone_number"]),
        ("KES", {"method": "mobile_money", "phone_number": "0712345678"}, ["phone_number"]),
        ("KES", {"method": "mobile_money", "phone_number": "+233241234567"}, ["phone_number"]),
        (
            "KES",
            {"method": "mobile_money", "phone_number": "+254712345678", "network": "MTN"},
            ["network"],
        ),
        ("GHS", {"method": "mobile_money", "phone_number": "+233241234567"}, ["network"]),
        (
            "GHS",
            {"method": "mobile_money", "phone_number": "+233241234567", "network": "ORANGE"},
            ["network"],
        ),
        (
            "XAF",
            {"method": "mobile_money", "phone_number": "+225071234567", "network": "MTN"},
            ["phone_number"],
        ),
        ("NGN", {"method": "ussd"}, ["bank"]),
        ("NGN", {"method": "ussd", "bank": "999"}, ["bank"]),
        ("NGN", {"method": "ussd", "bank": "058", "phone_number": "080"}, ["phone_number"]),
        ("NGN", {"method": "bank_transfer", "bank": "058"}, ["bank"]),
        ("NGN", {"phone_number": "+2348012345678"}, ["phone_number"]),
        # /tmp/atk2 t7: Python's `$` matched before a final newline.
        ("KES", {"method": "mobile_money", "phone_number": "+254712345678\n"}, ["phone_number"]),
        (
            "NGN",
            {"method": "ussd", "bank": "058", "phone_number": "+254712345678"},
            ["phone_number"],
        ),
    ],
)
def test_unusable_details_are_refused_naming_the_field(
    currency: str, body: dict[str, Any], fields: list[str]
) -> None:
    assert _fields(body, currency) == fields


def test_a_good_choice_keeps_what_the_charge_needs() -> None:
    choice = methods.choose(
        "flutterwave",
        "XOF",
        {"method": "mobile_money", "phone_number": "+221771234567", "network": "orangemoney"},
    )
    assert choice.charge is not None and choice.charge.charge_type == "mobile_money_franco"
    assert choice.details() == {
        "phone_number": "+221771234567",
        "network": "ORANGEMONEY",
        "country": "SN",
    }
    assert methods.choose("flutterwave", "NGN", {}).method == "card"
    ussd = methods.choose("flutterwave", "NGN", {"method": "ussd", "bank": "058"})
    assert ussd.details() == {"bank": "058"}


def test_every_entry_names_its_source() -> None:
    for table in (methods.MOBILE_MONEY, methods.BANK_TRANSFER, methods.USSD):
        for charge in table.values():
            assert charge.source.startswith("https://developer.flutterwave.com/")
