"""The Flutterwave v3 sandbox, driven over plain HTTP the way the API server does."""

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

from sandbox.common import WebhookReceiver
from sandbox.flutterwave import FlutterwaveSandbox
from tests.standalone import standalone

SECRET_KEY = "FLWSECK_TEST-0123456789abcdef-X"
SECRET_HASH = "sandbox-verif-hash"
TIMEOUT = 5


def verify(headers: dict[str, str], body: bytes) -> int:
    """What a real receiver does: 401 unless verif-hash equals the configured secret hash."""
    return 200 if headers.get("verif-hash") == SECRET_HASH else 401


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(verify)
    hook.start()
    yield hook
    hook.stop()


@pytest.fixture
def sandbox(receiver: WebhookReceiver) -> Iterator[FlutterwaveSandbox]:
    box = FlutterwaveSandbox(
        secret_key=SECRET_KEY,
        webhook_secret=SECRET_HASH,
        webhook_url=receiver.url,
        backoff=(0.02, 0.05),
        max_attempts=3,
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


def create_payment(sandbox: FlutterwaveSandbox, **overrides: Any) -> tuple[str, str]:
    tx_ref = overrides.pop("tx_ref", f"tx-{uuid.uuid4().hex[:12]}")
    body = {
        "tx_ref": tx_ref,
        "amount": 1500.5,
        "currency": "NGN",
        "redirect_url": "http://app.test/payments/return?order=7",
        "customer": {"email": "buyer@example.com", "name": "Ada Buyer"},
        "meta": {"listing_id": "listing-42"},
        "customizations": {"title": "Ore"},
        **overrides,
    }
    resp = api(sandbox, "POST", "/v3/payments", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "success" and resp.json()["message"] == "Hosted Link"
    return tx_ref, resp.json()["data"]["link"]


def pay(link: str, outcome: str) -> dict[str, Any]:
    resp = requests.get(
        link, params={"outcome": outcome}, timeout=TIMEOUT, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


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

    verified = api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify").json()
    assert verified["status"] == "success"
    assert verified["message"] == "Transaction fetched successfully"
    data = verified["data"]
    assert (data["tx_ref"], data["amount"], data["currency"]) == (tx_ref, 1500.5, "NGN")
    assert data["charged_amount"] == 1500.5 and data["app_fee"] == 21.01
    assert data["flw_ref"].startswith("FLW-") and data["payment_type"] == "card"
    assert data["meta"] == {"listing_id": "listing-42"}
    assert data["customer"]["email"] == "buyer@example.com"
    by_ref = api(
        sandbox, "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref}
    ).json()
    assert by_ref["data"]["id"] == txn_id
    # Revisiting a paid checkout must not create a second charge.
    assert pay(link, "successful")["transaction_id"] == txn_id


def test_failed_checkout_creates_failed_transaction(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox, amount=200, currency="ghs")
    outcome = pay(link, "failed")
    assert outcome["status"] == "failed" and "status=failed" in outcome["redirect"]
    [hook] = hooks_for(receiver, tx_ref)
    assert hook["data"]["status"] == "failed" and hook["data"]["currency"] == "GHS"
    data = api(sandbox, "GET", f"/v3/transactions/{outcome['transaction_id']}/verify").json()
    assert data["data"]["status"] == "failed" and data["data"]["amount"] == 200
    refused = api(sandbox, "POST", f"/v3/transactions/{outcome['transaction_id']}/refund", json={})
    assert refused.status_code == 400 and refused.json()["status"] == "error"
    # The customer may try again after a failure.
    retried = pay(link, "successful")
    assert retried["status"] == "successful"
    assert retried["transaction_id"] != outcome["transaction_id"]


def test_cancelled_checkout_creates_nothing(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    outcome = pay(link, "cancelled")
    assert outcome["transaction_id"] is None and outcome["status"] == "cancelled"
    query = parse_qs(urlsplit(outcome["redirect"]).query)
    assert query["status"] == ["cancelled"] and "transaction_id" not in query
    assert control(sandbox, "GET", f"events?match={tx_ref}") == []
    resp = api(sandbox, "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref})
    assert resp.status_code == 400
    assert resp.json() == {
        "status": "error",
        "message": "No transaction was found for this id",
        "data": None,
    }


def test_checkout_page_without_outcome_offers_choices(sandbox: FlutterwaveSandbox) -> None:
    _, link = create_payment(sandbox)
    page = requests.get(link, timeout=TIMEOUT)
    assert page.status_code == 200 and "outcome=successful" in page.text
    assert (
        requests.get(f"{sandbox.url}/checkout/nope?outcome=failed", timeout=TIMEOUT).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tx_ref": None}, "tx_ref is required"),
        ({"customer": {}}, "customer.email is required"),
        ({"amount": "lots"}, "amount must be a number"),
        ({"amount": -5}, "amount must be"),
    ],
)
def test_invalid_payment_requests_are_rejected(
    sandbox: FlutterwaveSandbox, change: dict[str, Any], message: str
) -> None:
    body = {
        "tx_ref": "x-1",
        "amount": 10,
        "currency": "NGN",
        "redirect_url": "http://a.test/",
        "customer": {"email": "a@b.test"},
        **change,
    }
    resp = api(sandbox, "POST", "/v3/payments", json=body)
    assert resp.status_code == 400 and resp.json()["message"].startswith(message)


def test_duplicate_tx_ref_is_an_error(sandbox: FlutterwaveSandbox) -> None:
    tx_ref, _ = create_payment(sandbox)
    resp = api(
        sandbox,
        "POST",
        "/v3/payments",
        json={
            "tx_ref": tx_ref,
            "amount": 5,
            "currency": "NGN",
            "redirect_url": "http://a.test/",
            "customer": {"email": "a@b.test"},
        },
    )
    assert resp.status_code == 400 and resp.json()["status"] == "error"


def test_bad_or_missing_key_is_401(sandbox: FlutterwaveSandbox) -> None:
    expected = {"status": "error", "message": "Invalid authorization key", "data": None}
    bad = api(sandbox, "GET", "/v3/transactions/1/verify", key="FLWSECK_TEST-wrong")
    assert (bad.status_code, bad.json()) == (401, expected)
    missing = requests.get(f"{sandbox.url}/v3/transfers/rates", timeout=TIMEOUT)
    assert (missing.status_code, missing.json()) == (401, expected)


def test_unknown_transaction_is_an_error_envelope(sandbox: FlutterwaveSandbox) -> None:
    for ref in ("999", "abc"):
        resp = api(sandbox, "GET", f"/v3/transactions/{ref}/verify")
        assert resp.status_code == 400 and resp.json()["data"] is None


def test_partial_and_over_refunds(sandbox: FlutterwaveSandbox) -> None:
    _, link = create_payment(sandbox, amount=1000)
    txn_id = pay(link, "successful")["transaction_id"]
    first = api(
        sandbox,
        "POST",
        f"/v3/transactions/{txn_id}/refund",
        json={"amount": 400.25, "comments": "short shipment"},
    ).json()
    assert first["status"] == "success" and first["message"] == "Transaction refund initiated"
    assert first["data"]["tx_id"] == txn_id and first["data"]["amount_refunded"] == 400.25
    assert first["data"]["status"] == "completed"
    over = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={"amount": 600})
    assert over.status_code == 400 and over.json()["status"] == "error"
    rest = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={}).json()
    assert rest["data"]["amount_refunded"] == 599.75
    verified = api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify").json()["data"]
    assert verified["amount_refunded"] == 1000
    again = api(sandbox, "POST", f"/v3/transactions/{txn_id}/refund", json={"amount": 1})
    assert again.status_code == 400


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
    missing = api(sandbox, "GET", "/v3/transfers/rates", params={"amount": 5})
    assert missing.status_code == 400
    unknown = api(
        sandbox,
        "GET",
        "/v3/transfers/rates",
        params={"amount": 5, "source_currency": "NGN", "destination_currency": "XYZ"},
    )
    assert unknown.json() == {
        "status": "error",
        "message": "Unable to fetch rates at the moment",
        "data": None,
    }


def test_override_changes_only_what_verify_reports(
    sandbox: FlutterwaveSandbox, receiver: WebhookReceiver
) -> None:
    tx_ref, link = create_payment(sandbox)
    txn_id = pay(link, "successful")["transaction_id"]
    control(sandbox, "POST", f"transactions/{txn_id}/override", amount=15, currency="USD")
    data = api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify").json()["data"]
    assert (data["amount"], data["charged_amount"], data["currency"]) == (15, 15, "USD")
    assert hooks_for(receiver, tx_ref)[0]["data"]["amount"] == 1500.5
    control(sandbox, "DELETE", f"transactions/{txn_id}/override")
    assert (
        api(sandbox, "GET", f"/v3/transactions/{txn_id}/verify").json()["data"]["amount"] == 1500.5
    )


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


def test_faults_error_hang_refuse(sandbox: FlutterwaveSandbox) -> None:
    tx_ref = f"tx-{uuid.uuid4().hex[:12]}"
    control(sandbox, "POST", "faults", mode="error", count=1, match=tx_ref)
    failed = api(
        sandbox,
        "POST",
        "/v3/payments",
        json={
            "tx_ref": tx_ref,
            "amount": 5,
            "currency": "NGN",
            "redirect_url": "http://a.test/",
            "customer": {"email": "a@b.test"},
        },
    )
    assert failed.status_code == 500 and failed.json()["status"] == "error"
    create_payment(sandbox, tx_ref=tx_ref)  # the faulted call stored nothing

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
