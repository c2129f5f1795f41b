"""What POST /v3/payments and auth refuse, as Flutterwave documents it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.flutterwave import AMOUNT_DECIMALS, DEFAULT_AMOUNT_DECIMALS, FlutterwaveSandbox
from tests.sandbox.flutterwave.support import (
    NOT_FOUND,
    SECRET_KEY,
    TIMEOUT,
    api,
    create_payment,
    pay,
    payment_body,
    refused,
    verified,
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tx_ref": None}, "tx_ref is required"),
        ({"tx_ref": ""}, "tx_ref is required"),
        ({"amount": None}, "amount is required"),
        ({"redirect_url": None}, "redirect_url is required"),
        ({"customer": None}, "customer.email is required"),
        ({"customer": {}}, "customer.email is required"),
        ({"customer": {"name": "No Mail"}}, "customer.email is required"),
        ({"customer": "buyer@example.com"}, "customer.email is required"),
        ({"amount": "lots"}, "amount must be a number"),
        ({"amount": -5}, "amount must be"),
        ({"amount": 0}, "amount must be"),
        ({"amount": True}, "amount is required and must be a number"),
        ({"currency": 566}, "currency must be"),
        ({"meta": ["listing-42"]}, "meta must be an object"),
        ({"customizations": "Ore"}, "customizations must be an object"),
        ({"payment_options": ["card"]}, "payment_options must be"),
        ({"customer": {"email": "a@b.test", "phonenumber": 803}}, "customer.phonenumber"),
    ],
)
def test_invalid_payment_requests_are_rejected(
    sandbox: FlutterwaveSandbox, change: dict[str, Any], message: str
) -> None:
    assert refused(sandbox, **change).startswith(message)


def test_currency_defaults_to_naira(sandbox: FlutterwaveSandbox) -> None:
    body = payment_body()
    del body["currency"]
    resp = api(sandbox, "POST", "/v3/payments", json=body)
    assert resp.status_code == 200, resp.text
    txn_id = pay(resp.json()["data"]["link"], "successful")["transaction_id"]
    assert verified(sandbox, txn_id)["currency"] == "NGN"


@pytest.mark.parametrize(
    "email",
    [
        "user-42",  # what the API once sent: a user id, not an address
        "42",
        "buyer@",
        "@example.com",
        "buyer@example",
        "buyer@@example.com",
        "buyer @example.com",
        "buyer@exa mple.com",
        "buyer..x@example.com",
        "buyer@-example.com",
        "buyer@example.c",
        42,
    ],
)
def test_customer_email_must_be_an_address(sandbox: FlutterwaveSandbox, email: Any) -> None:
    message = refused(sandbox, customer={"email": email})
    assert message == "customer.email must be a valid email address"


@pytest.mark.parametrize(
    "email", ["buyer@example.com", "first.last+ore@mail.example.co.ng", "B_2@x-y.io"]
)
def test_valid_customer_emails_are_accepted(sandbox: FlutterwaveSandbox, email: str) -> None:
    create_payment(sandbox, customer={"email": email})


def test_customer_name_and_phone_are_echoed(sandbox: FlutterwaveSandbox) -> None:
    customer = {"email": "ada@example.com", "name": "Ada Obi", "phonenumber": "08012345678"}
    _, link = create_payment(sandbox, customer=customer)
    data = verified(sandbox, pay(link, "successful")["transaction_id"])
    assert data["customer"]["name"] == "Ada Obi"
    assert data["customer"]["phone_number"] == "08012345678"
    _, bare = create_payment(sandbox, customer={"email": "ada@example.com"})
    assert (
        verified(sandbox, pay(bare, "successful")["transaction_id"])["customer"]["phone_number"]
        is None
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://app.test/return",
        "/payments/return",
        "app.test/return",
        "javascript:alert(1)",
        "http://",
    ],
)
def test_redirect_url_must_be_a_web_url(sandbox: FlutterwaveSandbox, url: str) -> None:
    assert refused(sandbox, redirect_url=url) == "redirect_url must be a valid http(s) URL"


def test_optional_fields_are_accepted(sandbox: FlutterwaveSandbox) -> None:
    create_payment(
        sandbox,
        payment_options="card, ussd, banktransfer",
        customizations={"title": "Ore", "logo": "https://app.test/l.png", "description": "x"},
        meta={"consumer_id": 23, "consumer_mac": "92a3-912ba-1192a"},
        configurations={"session_duration": 1440, "max_retry_attempt": 5},
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"session_duration": 1441}, "session_duration cannot be more than 1440"),
        ({"configurations": {"session_duration": 1441}}, "session_duration cannot be more"),
        ({"session_duration": 1.5}, "session_duration must be a whole number"),
        ({"session_duration": "10"}, "session_duration must be a whole number"),
        ({"session_duration": 0}, "session_duration must be at least 1"),
        ({"max_retry_attempt": 0}, "max_retry_attempt must be at least 1"),
        ({"configurations": {"max_retry_attempt": 2.5}}, "max_retry_attempt must be a whole"),
        ({"configurations": "fast"}, "configurations must be an object"),
    ],
)
def test_checkout_configuration_limits(
    sandbox: FlutterwaveSandbox, change: dict[str, Any], message: str
) -> None:
    assert refused(sandbox, **change).startswith(message)


def test_amount_table_is_whole_units_everywhere() -> None:
    assert DEFAULT_AMOUNT_DECIMALS == 0
    assert {"NGN", "KES", "GHS", "ZAR", "USD", "UGX", "RWF", "XAF", "XOF", "TZS"} <= set(
        AMOUNT_DECIMALS
    )
    assert set(AMOUNT_DECIMALS.values()) == {0}


@pytest.mark.parametrize("currency", [*sorted(AMOUNT_DECIMALS), "EGP"])
def test_amount_decimals_per_currency(sandbox: FlutterwaveSandbox, currency: str) -> None:
    places = AMOUNT_DECIMALS.get(currency, DEFAULT_AMOUNT_DECIMALS)
    # Whole amounts pass as a JSON integer, an integral float and the docs' own string form.
    for whole in (1500, 1500.0, "7500"):
        create_payment(sandbox, amount=whole, currency=currency)
    too_fine = f"1500.{'0' * places}5"
    for value in (float(too_fine), too_fine):
        message = refused(sandbox, amount=value, currency=currency)
        assert message == f"amount must be a whole number of {currency}"


def test_duplicate_tx_ref_is_an_error(sandbox: FlutterwaveSandbox) -> None:
    tx_ref, _ = create_payment(sandbox)
    assert refused(sandbox, tx_ref=tx_ref, amount=5).startswith("Duplicate transaction reference")


def test_bad_or_missing_key_is_401(sandbox: FlutterwaveSandbox) -> None:
    expected = {"status": "error", "message": "Authorization required", "data": None}
    bad = api(sandbox, "GET", "/v3/transactions/1/verify", key="FLWSECK_TEST-wrong")
    assert (bad.status_code, bad.json()) == (401, expected)
    missing = requests.get(f"{sandbox.url}/v3/transfers/rates", timeout=TIMEOUT)
    assert (missing.status_code, missing.json()) == (401, expected)
    basic = requests.post(
        f"{sandbox.url}/v3/payments", json=payment_body(), auth=(SECRET_KEY, ""), timeout=TIMEOUT
    )
    assert (basic.status_code, basic.json()) == (401, expected)


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/v3/transactions/999/verify", None),
        ("GET", "/v3/transactions/abc/verify", None),
        ("GET", "/v3/transactions/verify_by_reference", {"tx_ref": "never-made"}),
        ("GET", "/v3/transactions/verify_by_reference", None),
        ("POST", "/v3/transactions/999/refund", None),
        ("POST", "/v3/transactions/abc/refund", None),
    ],
)
def test_unknown_transactions_are_not_found(
    sandbox: FlutterwaveSandbox, method: str, path: str, params: dict[str, str] | None
) -> None:
    resp = api(sandbox, method, path, params=params, json={} if method == "POST" else None)
    assert (resp.status_code, resp.json()) == (400, NOT_FOUND)
