"""The hosted checkout: success, failed attempts and retries, cancel, session expiry."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.harness.standalone import WebhookReceiver
from tests.sandbox.flutterwave.support import (
    NOT_FOUND,
    SECRET_HASH,
    SECRET_KEY,
    TIMEOUT,
    Clock,
    api,
    control,
    create_payment,
    hooks_for,
    pay,
    query_of,
    verified,
)


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
