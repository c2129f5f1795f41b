"""The Flutterwave v3 sandbox, driven over plain HTTP the way the API server does.

The rules it enforces, and the Flutterwave pages they come from, are listed in
docs/sandboxes.md ("Flutterwave sandbox", "Strict rules").
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox.flutterwave import AMOUNT_DECIMALS, DEFAULT_AMOUNT_DECIMALS, FlutterwaveSandbox
from sandbox.standalone import WebhookReceiver
from tests.standalone import standalone

SECRET_KEY = "FLWSECK_TEST-0123456789abcdef-X"
SECRET_HASH = "sandbox-verif-hash"
TIMEOUT = 5
NOT_FOUND = {"status": "error", "message": "No transaction was found for this id", "data": None}


def verify(headers: dict[str, str], body: bytes) -> int:
    """What a real receiver does: 401 unless verif-hash equals the configured secret hash."""
    return 200 if headers.get("verif-hash") == SECRET_HASH else 401


class Clock:
    """A clock the test moves by hand (session expiry is measured against it)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(verify)
    hook.start()
    yield hook
    hook.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(receiver: WebhookReceiver, clock: Clock) -> Iterator[FlutterwaveSandbox]:
    box = FlutterwaveSandbox(
        secret_key=SECRET_KEY,
        webhook_secret=SECRET_HASH,
        webhook_url=receiver.url,
        backoff=(0.02, 0.05),
        max_attempts=3,
        clock=clock,
    )
    box.start()
    yield box
    box.stop()


def api(
    sandbox: FlutterwaveSandbox, method: str, path: str, *, key: str = SECRET_KEY, **kwargs: Any
) -> requests.Response:
    return requests.request(
        method,
        f"{sandbox.url}{path}",
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {key}"},
        **kwargs,
    )


def control(sandbox: FlutterwaveSandbox, method: str, path: str, **body: Any) -> Any:
    resp = requests.request(
        method, f"{sandbox.url}/_sandbox/{path}", json=body or None, timeout=TIMEOUT
    )
    assert resp.status_code < 300, resp.text
    return resp.json()


def payment_body(**overrides: Any) -> dict[str, Any]:
    return {
        "tx_ref": f"tx-{uuid.uuid4().hex[:12]}",
        "amount": 1550,
        "currency": "NGN",
        "redirect_url": "http://app.test/payments/return?order=7",
        "customer": {"email": "buyer@example.com", "name": "Ada Buyer"},
        "meta": {"listing_id": "listing-42"},
        "customizations": {"title": "Ore"},
        **overrides,
    }


def create_payment(sandbox: FlutterwaveSandbox, **overrides: Any) -> tuple[str, str]:
    body = payment_body(**overrides)
    resp = api(sandbox, "POST", "/v3/payments", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "success" and resp.json()["message"] == "Hosted Link"
    return body["tx_ref"], resp.json()["data"]["link"]


def refused(sandbox: FlutterwaveSandbox, **overrides: Any) -> str:
    """POST /v3/payments must answer 400 in Flutterwave's envelope; returns the message."""
    resp = api(sandbox, "POST", "/v3/payments", json=payment_body(**overrides))
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["status"] == "error" and body["data"] is None
    return str(body["message"])


def pay(link: str, outcome: str) -> dict[str, Any]:
    resp = requests.get(
        link, params={"outcome": outcome}, timeout=TIMEOUT, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def hooks_for(receiver: WebhookReceiver, tx_ref: str, count: int = 1) -> list[dict[str, Any]]:
    bodies = receiver.wait_for(
        lambda bs: len([b for b in bs if b["data"]["tx_ref"] == tx_ref]) >= count
    )
    return [b for b in bodies if b["data"]["tx_ref"] == tx_ref]


def settled_events(sandbox: FlutterwaveSandbox, match: str) -> list[dict[str, Any]]:
    """Events for match once each is delivered or given up (attempts are recorded after
    the receiver has answered, so a webhook can be seen before its attempt is)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        events = control(sandbox, "GET", f"events?match={match}")
        if all(e["delivered"] or e["gave_up"] for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.02)


def verified(sandbox: FlutterwaveSandbox, txn_id: int) -> dict[str, Any]:
    resp = api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify")
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def test_env_describes_the_running_sandbox(sandbox: FlutterwaveSandbox) -> None:
    assert sandbox.env() == {
        "FLUTTERWAVE_API_BASE": sandbox.url,
        "FLUTTERWAVE_SECRET_KEY": SECRET_KEY,
        "FLUTTERWAVE_SECRET_HASH": SECRET_HASH,
    }


def test_successful_checkout_redirects_webhooks_and_verifies(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    assert link.startswith(f"{sandbox.url}/checkout/")
    resp = requests.get(
        link, params={"outcome": "successful"}, allow_redirects=False, timeout=TIMEOUT
    )
    assert resp.status_code == 302
    target = urlsplit(resp.headers["Location"])
    query = parse_qs(target.query)
    assert target.netloc == "app.test" and query["order"] == ["7"]
    assert query["status"] == ["successful"] and query["tx_ref"] == [tx_ref]
    txn_id = int(query["transaction_id"][0])

    [hook] = hooks_for(receiver, tx_ref)
    assert hook["event"] == "charge.completed" and hook["event.type"] == "CARD_TRANSACTION"
    assert hook["data"]["id"] == txn_id and hook["data"]["status"] == "successful"
    assert receiver.received[-1][0]["verif-hash"] == SECRET_HASH

    verified_body = api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify").json()
    assert verified_body["status"] == "success"
    assert verified_body["message"] == "Transaction fetched successfully"
    data = verified_body["data"]
    assert (data["tx_ref"], data["amount"], data["currency"]) == (tx_ref, 1550, "NGN")
    assert data["charged_amount"] == 1550 and data["app_fee"] == 21.7
    assert data["flw_ref"].startswith("FLW-") and data["payment_type"] == "card"
    assert data["meta"] == {"listing_id": "listing-42"}
    assert data["customer"]["email"] == "buyer@example.com"
    by_ref = api(
        sandbox, "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref}
    ).json()
    assert by_ref["data"]["id"] == txn_id
    # Revisiting a paid checkout must not create a second charge, whatever the customer does.
    for outcome in ("successful", "failed", "cancelled"):
        again = pay(link, outcome)
        assert (again["status"], again["transaction_id"]) == ("successful", txn_id)
        assert again["open"] is False
    assert len(hooks_for(receiver, tx_ref)) == 1


def test_failed_checkout_creates_failed_transaction(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox, amount=200, currency="ghs")
    outcome = pay(link, "failed")
    # "We'll keep the payment page open, so the customer can try again": no redirect yet.
    assert outcome["status"] == "failed" and outcome["redirect"] is None
    assert outcome["open"] is True and outcome["attempts_left"] is None
    [hook] = hooks_for(receiver, tx_ref)
    assert hook["data"]["status"] == "failed" and hook["data"]["currency"] == "GHS"
    data = verified(sandbox, outcome["transaction_id"])
    assert data["status"] == "failed" and data["amount"] == 200
    refused_refund = api(
        sandbox, "POST", f"/v3/transactions/{outcome['transaction_id']}/refund", json={}
    )
    assert refused_refund.status_code == 400 and refused_refund.json()["status"] == "error"


def test_retry_after_failure_on_the_same_link(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    page = requests.get(link, params={"outcome": "failed"}, timeout=TIMEOUT)
    assert page.status_code == 200 and "Payment failed" in page.text
    assert "outcome=successful" in page.text
    first = pay(link, "failed")
    retried = pay(link, "successful")
    assert retried["status"] == "successful" and retried["open"] is False
    assert query_of(retried["redirect"])["transaction_id"] == [str(retried["transaction_id"])]
    hooks = hooks_for(receiver, tx_ref, 3)
    assert [h["data"]["status"] for h in hooks] == ["failed", "failed", "successful"]
    ids = {h["data"]["id"] for h in hooks}
    assert len(ids) == 3 and retried["transaction_id"] in ids and first["transaction_id"] in ids
    assert verified(sandbox, first["transaction_id"])["status"] == "failed"
    assert verified(sandbox, retried["transaction_id"])["status"] == "successful"
    latest = api(sandbox, "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref})
    assert latest.json()["data"]["id"] == retried["transaction_id"]


@pytest.mark.parametrize("where", ["configurations", "top level"])
def test_max_retry_attempt_closes_the_checkout(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver, where: str
) -> None:
    setting = {"max_retry_attempt": 2}
    extra = {"configurations": setting} if where == "configurations" else setting
    tx_ref, link = create_payment(sandbox, **extra)
    first = pay(link, "failed")
    assert (first["open"], first["attempts_left"], first["redirect"]) == (True, 1, None)
    second = pay(link, "failed")
    assert second["open"] is False and second["closed_reason"] == "retries_exhausted"
    assert query_of(second["redirect"]) == {
        "order": ["7"],
        "status": ["failed"],
        "tx_ref": [tx_ref],
    }
    # Closed: a third try charges nothing and sends the customer back with failed.
    third = pay(link, "successful")
    assert (third["status"], third["transaction_id"], third["open"]) == ("failed", None, False)
    bounced = requests.get(link, allow_redirects=False, timeout=TIMEOUT)
    assert bounced.status_code == 302 and "status=failed" in bounced.headers["Location"]
    assert [h["data"]["status"] for h in hooks_for(receiver, tx_ref, 2)] == ["failed", "failed"]
    assert len(control(sandbox, "GET", f"events?match={tx_ref}")) == 2


def test_cancel_then_pay_on_the_same_link(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    outcome = pay(link, "cancelled")
    assert outcome["transaction_id"] is None and outcome["status"] == "cancelled"
    assert query_of(outcome["redirect"]) == {
        "order": ["7"],
        "status": ["cancelled"],
        "tx_ref": [tx_ref],
    }
    assert outcome["open"] is True
    assert control(sandbox, "GET", f"events?match={tx_ref}") == []
    resp = api(sandbox, "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref})
    assert (resp.status_code, resp.json()) == (400, NOT_FOUND)
    # The customer comes back to the same link and pays.
    paid = pay(link, "successful")
    assert paid["status"] == "successful"
    assert hooks_for(receiver, tx_ref)[0]["data"]["id"] == paid["transaction_id"]


def test_cancel_after_a_failure_returns_failed(sandbox: FlutterwaveSandbox) -> None:
    tx_ref, link = create_payment(sandbox)
    pay(link, "failed")
    gave_up = requests.get(
        link, params={"outcome": "cancelled"}, allow_redirects=False, timeout=TIMEOUT
    )
    assert gave_up.status_code == 302
    assert query_of(gave_up.headers["Location"]) == {
        "order": ["7"],
        "status": ["failed"],
        "tx_ref": [tx_ref],
    }


@pytest.mark.parametrize("how", ["constructor clock", "control"])
def test_session_duration_expires_the_link(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver, clock: Clock, how: str
) -> None:
    tx_ref, link = create_payment(sandbox, configurations={"session_duration": 2})
    early = create_payment(sandbox, session_duration=2)[1]
    open_one = create_payment(sandbox)[1]  # no session_duration: never expires here

    def advance(seconds: float) -> None:
        if how == "control":
            control(sandbox, "POST", "clock", seconds=seconds)
        else:
            clock.advance(seconds)

    advance(119)
    assert pay(early, "failed")["open"] is True  # still inside its two minutes
    advance(1)
    expired = pay(link, "successful")
    assert (expired["status"], expired["transaction_id"]) == ("failed", None)
    assert expired["closed_reason"] == "expired" and expired["open"] is False
    assert query_of(expired["redirect"]) == {
        "order": ["7"],
        "status": ["failed"],
        "tx_ref": [tx_ref],
    }
    assert pay(early, "successful")["closed_reason"] == "expired"
    bounced = requests.get(link, allow_redirects=False, timeout=TIMEOUT)
    assert bounced.status_code == 302 and "status=failed" in bounced.headers["Location"]
    assert control(sandbox, "GET", f"events?match={tx_ref}") == []
    advance(86_400)
    assert pay(open_one, "successful")["status"] == "successful"


def test_a_paid_link_stays_paid_after_its_session(
    sandbox: FlutterwaveSandbox, clock: Clock
) -> None:
    _, link = create_payment(sandbox, session_duration=1)
    paid = pay(link, "successful")
    clock.advance(3600)
    assert pay(link, "successful")["transaction_id"] == paid["transaction_id"]


def test_checkout_page_without_outcome_offers_choices(sandbox: FlutterwaveSandbox) -> None:
    _, link = create_payment(sandbox)
    page = requests.get(link, timeout=TIMEOUT)
    assert page.status_code == 200 and "outcome=successful" in page.text
    assert (
        requests.get(f"{sandbox.url}/checkout/nope?outcome=failed", timeout=TIMEOUT).status_code
        == 404
    )
    assert requests.get(f"{link}?outcome=maybe", timeout=TIMEOUT).status_code == 400


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


def test_partial_and_over_refunds(sandbox: FlutterwaveSandbox) -> None:
    _, link = create_payment(sandbox, amount=1000)
    txn_id = pay(link, "successful")["transaction_id"]
    first = api(
        sandbox,
        "POST",
        f"/v3/transactions/{txn_id}/refund",
        json={"amount": 400, "comments": "short shipment"},
    ).json()
    assert first["status"] == "success" and first["message"] == "Transaction refund initiated"
    assert first["data"]["tx_id"] == txn_id and first["data"]["amount_refunded"] == 400
    assert first["data"]["status"] == "completed" and first["data"]["comments"] == "short shipment"
    over = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={"amount": 601})
    assert (
        over.status_code == 400 and over.json()["message"] == "Refund amount cannot exceed 600 NGN"
    )
    rest = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={}).json()
    assert rest["data"]["amount_refunded"] == 600
    assert verified(sandbox, txn_id)["amount_refunded"] == 1000
    again = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={"amount": 1})
    assert again.status_code == 400 and again.json()["status"] == "error"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0.5, "amount must be a whole number of UGX"),
        ("250.25", "amount must be a whole number of UGX"),
        (0, "amount must be greater than 0"),
        (-100, "amount must be greater than 0"),
        ("lots", "amount must be a number"),
        (5001, "Refund amount cannot exceed 5000 UGX"),
    ],
)
def test_refund_amount_rules(sandbox: FlutterwaveSandbox, amount: Any, message: str) -> None:
    _, link = create_payment(sandbox, amount=5000, currency="UGX")
    txn_id = pay(link, "successful")["transaction_id"]
    resp = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={"amount": amount})
    assert resp.status_code == 400
    assert resp.json() == {"status": "error", "message": message, "data": None}
    assert verified(sandbox, txn_id)["amount_refunded"] == 0


def test_transfer_rates_from_the_table_and_overrides(sandbox: FlutterwaveSandbox) -> None:
    def rate(source: str, dest: str, amount: float) -> dict[str, Any]:
        resp = api(
            sandbox,
            "GET",
            "/v3/transfers/rates",
            params={"amount": amount, "source_currency": source, "destination_currency": dest},
        )
        assert resp.json()["message"] == "Transfer amount fetched", resp.text
        return resp.json()["data"]

    # Flutterwave's own example shape: amount is the destination side; source pays rate each.
    assert rate("NGN", "USD", 1000) == {
        "rate": 1550,
        "source": {"currency": "NGN", "amount": 1550000},
        "destination": {"currency": "USD", "amount": 1000},
    }
    assert rate("USD", "NGN", 15500)["source"]["amount"] == 10
    assert rate("NGN", "GHS", 10)["rate"] == 100  # crossed via USD
    assert rate("USD", "EUR", 100)["source"]["amount"] == 108
    assert rate("KES", "KES", 5)["rate"] == 1
    control(sandbox, "POST", "rates", source_currency="NGN", destination_currency="USD", rate=1600)
    assert rate("NGN", "USD", 2)["source"]["amount"] == 3200
    assert rate("USD", "NGN", 3200)["source"]["amount"] == 2
    unknown = api(
        sandbox,
        "GET",
        "/v3/transfers/rates",
        params={"amount": 5, "source_currency": "NGN", "destination_currency": "XYZ"},
    )
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"status": "error", "message": "Unable to fetch rates at the moment", "data": None},
    )


@pytest.mark.parametrize("missing", ["amount", "source_currency", "destination_currency"])
def test_transfer_rates_need_all_three_parameters(
    sandbox: FlutterwaveSandbox, missing: str
) -> None:
    params = {"amount": 5, "source_currency": "NGN", "destination_currency": "USD"}
    del params[missing]
    resp = api(sandbox, "GET", "/v3/transfers/rates", params=params)
    assert resp.status_code == 400
    assert resp.json() == {
        "status": "error",
        "message": "amount, source_currency and destination_currency are required",
        "data": None,
    }


def test_override_changes_only_what_verify_reports(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    txn_id = pay(link, "successful")["transaction_id"]
    control(sandbox, "POST", f"transactions/{txn_id}/override", amount=15, currency="USD")
    data = verified(sandbox, txn_id)
    assert (data["amount"], data["charged_amount"], data["currency"]) == (15, 15, "USD")
    assert hooks_for(receiver, tx_ref)[0]["data"]["amount"] == 1550
    control(sandbox, "DELETE", f"transactions/{txn_id}/override")
    assert verified(sandbox, txn_id)["amount"] == 1550
    unknown = requests.post(
        f"{sandbox.url}/_sandbox/transactions/999/override", json={"amount": 1}, timeout=TIMEOUT
    )
    assert unknown.status_code == 404


def test_crafted_event_and_signature_modes(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    pay(link, "successful")
    hooks_for(receiver, tx_ref)
    crafted = control(
        sandbox, "POST", f"transactions/{tx_ref}/events", deliver=False, data={"amount": 1}
    )
    assert crafted["body"]["data"]["amount"] == 1 and crafted["attempts"] == []
    results = {
        mode: control(sandbox, "POST", f"events/{crafted['id']}/deliver", signature=mode)
        for mode in ("valid", "bad", "missing")
    }
    assert {m: r["status"] for m, r in results.items()} == {
        "valid": 200,
        "bad": 401,
        "missing": 401,
    }
    stale = requests.post(
        f"{sandbox.url}/_sandbox/events/{crafted['id']}/deliver",
        json={"signature": "stale"},
        timeout=TIMEOUT,
    )
    assert stale.status_code == 400


def test_crafted_webhook_can_disagree_with_verify(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    failed = pay(link, "failed")
    hooks_for(receiver, tx_ref)
    lie = {"amount": 9_999_999, "currency": "USD", "status": "successful"}
    crafted = control(sandbox, "POST", f"transactions/{tx_ref}/events", data=lie)
    assert {k: crafted["body"]["data"][k] for k in lie} == lie
    [_, delivered] = hooks_for(receiver, tx_ref, 2)
    assert {k: delivered["data"][k] for k in lie} == lie
    assert delivered["data"]["id"] == failed["transaction_id"]
    truth = verified(sandbox, failed["transaction_id"])
    assert (truth["amount"], truth["currency"], truth["status"]) == (1550, "NGN", "failed")
    not_object = requests.post(
        f"{sandbox.url}/_sandbox/transactions/{tx_ref}/events", json={"data": [1]}, timeout=TIMEOUT
    )
    assert not_object.status_code == 400
    none_yet = requests.post(
        f"{sandbox.url}/_sandbox/transactions/nothing-here/events", json={}, timeout=TIMEOUT
    )
    assert none_yet.status_code == 404


def test_faults_error_hang_refuse(sandbox: FlutterwaveSandbox) -> None:
    body = payment_body()
    control(sandbox, "POST", "faults", mode="error", count=1, match=body["tx_ref"])
    failed = api(sandbox, "POST", "/v3/payments", json=body)
    assert failed.status_code == 500
    assert failed.json()["code"] == "app_error"
    create_payment(sandbox, tx_ref=body["tx_ref"])  # the faulted call stored nothing

    control(sandbox, "POST", "faults", mode="hang", count=1, seconds=2, match="/verify")
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{sandbox.url}/v3/transactions/1/verify",
            timeout=0.5,
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
    assert time.monotonic() - started < 1.5

    control(sandbox, "POST", "faults", mode="refuse", count=1, match="/v3/transfers")
    with pytest.raises(requests.ConnectionError):
        api(sandbox, "GET", "/v3/transfers/rates")
    assert api(sandbox, "GET", "/v3/transfers/rates").status_code == 400


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, {"status": "error", "message": "Authorization required", "data": None}),
        (429, {"status": "error", "message": "Too Many Requests", "data": None}),
        (
            503,
            {
                "status": "error",
                "message": "An error occurred. Please contact support",
                "data": None,
            },
        ),
        (
            502,
            {
                "status": "error",
                "message": "An error occurred. Please contact support",
                "data": None,
            },
        ),
    ],
)
def test_status_faults_answer_flutterwaves_bodies(
    sandbox: FlutterwaveSandbox, status: int, expected: dict[str, Any]
) -> None:
    rule = control(sandbox, "POST", "faults", mode="status", status=status, match="/verify")
    assert rule["status"] == status
    resp = api(sandbox, "GET", "/v3/transactions/1/verify")
    assert (resp.status_code, resp.json()) == (status, expected)
    assert api(sandbox, "GET", "/v3/transactions/1/verify").status_code == 400  # used up


def test_status_fault_500_uses_the_documented_server_error(sandbox: FlutterwaveSandbox) -> None:
    control(sandbox, "POST", "faults", mode="status", status=500, match="/v3/payments")
    resp = api(sandbox, "POST", "/v3/payments", json=payment_body())
    assert resp.status_code == 500
    body = resp.json()
    assert set(body) == {"error_id", "message", "code"}
    assert body["error_id"].startswith("ERRNO") and "T" in body["error_id"]
    assert (body["message"], body["code"]) == (
        "Application error. Please contact support",
        "app_error",
    )


def test_controls_off_hide_sandbox_routes_but_not_the_checkout(
    receiver: WebhookReceiver,
) -> None:
    box = FlutterwaveSandbox(
        secret_key=SECRET_KEY, webhook_secret=SECRET_HASH, webhook_url=receiver.url, controls=False
    )
    box.start()
    try:
        for method, path in [
            ("GET", "faults"),
            ("POST", "faults"),
            ("GET", "events"),
            ("POST", "reset"),
            ("POST", "rates"),
            ("POST", "clock"),
            ("POST", "transactions/1/override"),
            ("POST", "transactions/tx-1/events"),
        ]:
            resp = requests.request(method, f"{box.url}/_sandbox/{path}", json={}, timeout=TIMEOUT)
            assert resp.status_code == 404, (method, path, resp.text)
        tx_ref, link = create_payment(box)
        assert requests.get(link, timeout=TIMEOUT).status_code == 200
        assert pay(link, "failed")["open"] is True
        paid = pay(link, "successful")
        assert paid["status"] == "successful"
        assert verified(box, paid["transaction_id"])["tx_ref"] == tx_ref
        hooks_for(receiver, tx_ref, 2)
    finally:
        box.stop()


def test_pause_drop_and_fail_webhooks(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    paused, dropped, flaky = (create_payment(sandbox) for _ in range(3))
    control(sandbox, "POST", "webhooks/pause", match=paused[0])
    control(sandbox, "POST", "webhooks/drop", count=1, match=dropped[0])
    control(sandbox, "POST", "webhooks/fail", count=1, match=flaky[0])
    for _, link in (paused, dropped, flaky):
        pay(link, "successful")
    hooks_for(receiver, flaky[0])
    [flaky_event] = settled_events(sandbox, flaky[0])
    assert [a["status"] for a in flaky_event["attempts"]] == [None, 200]
    [lost] = control(sandbox, "GET", f"events?match={dropped[0]}")
    assert lost["dropped"] and not lost["delivered"]
    [held] = control(sandbox, "GET", f"events?match={paused[0]}")
    assert held["paused"] and not held["attempts"]
    control(sandbox, "POST", "webhooks/resume")
    hooks_for(receiver, paused[0])
    assert control(sandbox, "POST", "events/deliver", ids=[lost["id"]])[0]["status"] == 200
    hooks_for(receiver, dropped[0])


def test_webhook_url_set_after_start_releases_waiting_events(
    receiver: WebhookReceiver,
) -> None:
    box = FlutterwaveSandbox(secret_key=SECRET_KEY, webhook_secret=SECRET_HASH)
    box.start()
    try:
        tx_ref, link = create_payment(box)
        pay(link, "successful")
        [waiting] = control(box, "GET", f"events?match={tx_ref}")
        assert waiting["paused"] and not waiting["attempts"]
        box.set_webhook_url(receiver.url)
        hooks_for(receiver, tx_ref)
    finally:
        box.stop()


def test_standalone_module_prints_env_and_stops_on_sigterm() -> None:
    args = (
        "--secret-key",
        SECRET_KEY,
        "--webhook-secret",
        SECRET_HASH,
        "--webhook-url",
        "http://127.0.0.1:9/hook",
    )
    with standalone("sandbox.flutterwave", *args) as (proc, env):
        assert env["FLUTTERWAVE_SECRET_HASH"] == SECRET_HASH
        resp = requests.get(f"{env['FLUTTERWAVE_API_BASE']}/_sandbox/faults", timeout=TIMEOUT)
        assert json.loads(resp.text) == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
