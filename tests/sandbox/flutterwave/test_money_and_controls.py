"""Verify, refunds, rates, crafted events, faults and controls of the Flutterwave sandbox."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import pytest
import requests

from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.harness.standalone import WebhookReceiver
from tests.sandbox.flutterwave.support import (
    SECRET_HASH,
    SECRET_KEY,
    TIMEOUT,
    api,
    control,
    create_payment,
    hooks_for,
    pay,
    payment_body,
    settled_events,
    verified,
)
from tests.standalone import standalone


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


def test_a_late_answer_still_makes_the_checkout(sandbox: FlutterwaveSandbox) -> None:
    body = payment_body()
    control(sandbox, "POST", "faults", mode="late", count=1, seconds=2, match=body["tx_ref"])
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{sandbox.url}/v3/payments",
            json=body,
            timeout=0.5,
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
    found = requests.get(f"{sandbox.url}/_sandbox/checkouts/{body['tx_ref']}", timeout=TIMEOUT)
    assert found.status_code == 200
    assert pay(found.json()["link"], "successful")["status"] == "successful"
    missing = requests.get(f"{sandbox.url}/_sandbox/checkouts/never-made", timeout=TIMEOUT)
    assert missing.status_code == 404


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
