"""Payments end to end over real HTTP: API, PostgreSQL, the gateway sandboxes, webhooks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.payments_stack import PaymentsStack, payments_stack


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    from api_server.db.migrate import migrate
    from tests.conftest import _create_database

    dsn = _create_database(postgres.admin_dsn)
    migrate(dsn)
    with payments_stack(dsn) as running:
        yield running


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _cast(stack: PaymentsStack, **listing):
    seller, buyer = stack.user("seller"), stack.user("buyer")
    return seller, buyer, stack.listing(seller, **listing)


def _confirm(stack, buyer, payment_id, method="pm_card_visa"):
    return requests.post(
        f"{stack.url}/api/payments/{payment_id}/confirm",
        headers=buyer["headers"],
        json={"payment_method": method},
        timeout=30,
    )


def test_stripe_payment_succeeds_through_the_webhook(stack):
    seller, buyer, listing = _cast(stack, price=250_000, quantity="10")
    created = stack.buy(buyer, listing, "2.5")
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["amount"], body["currency"], body["status"]) == (625_000, "USD", "pending")
    assert body["stripe"]["client_secret"].startswith(body["stripe"]["payment_intent_id"])
    assert stack.available(listing) == "7.500"
    assert _confirm(stack, buyer, body["id"]).json()["status"] == "processing"
    eventually(lambda: stack.payment(body["id"])["status"] == "succeeded")
    payment = requests.get(
        f"{stack.url}/api/payments/{body['id']}", headers=buyer["headers"], timeout=10
    ).json()
    assert [h["to"] for h in payment["history"]] == ["pending", "processing", "succeeded"]
    assert payment["history"][-1]["cause"].startswith("event:evt_")
    assert stack.available(listing) == "7.500"
    eventually(lambda: len(stack.mail.messages(to=buyer["email"])) == 1)
    eventually(lambda: len(stack.mail.messages(to=seller["email"])) == 1)


@pytest.mark.parametrize(
    ("method", "code", "decline"),
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ],
)
def test_a_decline_keeps_the_payment_open_for_another_card(stack, method, code, decline):
    _, buyer, listing = _cast(stack)
    payment_id = stack.buy(buyer, listing, 3).json()["id"]
    assert stack.available(listing) == "7.000"
    declined = _confirm(stack, buyer, payment_id, method)
    assert declined.status_code == 402
    problem = declined.json()
    assert (problem["gateway_code"], problem["decline_code"]) == (code, decline)
    row = stack.payment(payment_id)
    assert (row["status"], row["failure_code"], row["decline_code"], row["reserved"]) == (
        "requires_payment_method",
        code,
        decline,
        True,
    )
    assert stack.available(listing) == "7.000"
    assert _confirm(stack, buyer, payment_id).status_code == 200
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    row = stack.payment(payment_id)
    assert (row["failure_code"], row["reserved"]) == (None, True)
    assert stack.available(listing) == "7.000"


def test_idempotency_replays_and_refuses_a_changed_body(stack):
    _, buyer, listing = _cast(stack)
    first = stack.buy(buyer, listing, 1, key="key-idem-0001")
    again = stack.buy(buyer, listing, 1, key="key-idem-0001")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = stack.buy(buyer, listing, 2, key="key-idem-0001")
    assert other.status_code == 422
    assert (
        stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing)[0]["n"] == 1
    )


def test_concurrent_requests_with_one_key_make_one_payment(stack):
    _, buyer, listing = _cast(stack)
    results: list[int] = []
    barrier = threading.Barrier(5)

    def send():
        barrier.wait()
        results.append(stack.buy(buyer, listing, 1, key="key-concurrent-1").status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) <= {201, 409} and 201 in results
    assert (
        stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing)[0]["n"] == 1
    )


def test_two_buyers_cannot_take_the_last_tonne(stack):
    _, _, listing = _cast(stack, quantity="1")
    buyers = [stack.user("buyer") for _ in range(4)]
    results: list[int] = []
    barrier = threading.Barrier(len(buyers))

    def send(buyer):
        barrier.wait()
        results.append(stack.buy(buyer, listing, 1).status_code)

    threads = [threading.Thread(target=send, args=(b,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409, 409, 409]
    assert stack.available(listing) == "0.000"


def test_gateway_faults_leave_nothing_half_made(stack):
    _, buyer, listing = _cast(stack)
    for mode, status in (("error", 502), ("hang", 504), ("refuse", 502)):
        stack.control(stack.stripe, "faults", mode=mode, match=listing, seconds=2)
        key = f"fault-{mode}-{listing}"
        failed = stack.buy(buyer, listing, 1, key=key)
        assert failed.status_code == status, failed.text
        assert stack.available(listing) == "10.000"
        retried = stack.buy(buyer, listing, 1, key=key)
        assert retried.status_code == 201, retried.text
        stack.sql("UPDATE listings SET available_quantity = quantity WHERE id = %s", listing)
    statuses = [
        r["status"]
        for r in stack.sql(
            "SELECT status FROM payments WHERE listing_id = %s ORDER BY created_at", listing
        )
    ]
    assert statuses == ["failed", "pending", "failed", "pending", "failed", "pending"]


def test_refunds_partial_then_full_and_never_more(stack):
    seller, buyer, listing = _cast(stack, price=10_000)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    _confirm(stack, buyer, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    url = f"{stack.url}/api/payments/{payment_id}/refunds"
    assert requests.post(url, headers=buyer["headers"], json={}, timeout=10).status_code == 403
    first = requests.post(url, headers=seller["headers"], json={"amount": 4000}, timeout=10)
    assert first.status_code == 201, first.text
    assert stack.payment(payment_id)["status"] == "partially_refunded"
    over = requests.post(url, headers=seller["headers"], json={"amount": 6001}, timeout=10)
    assert over.status_code == 409
    rest = requests.post(url, headers=seller["headers"], json={}, timeout=10)
    assert rest.json()["amount"] == 6000
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"]) == ("refunded", 10_000)


def test_flutterwave_refuses_a_fractional_amount_before_reserving(stack):
    _, buyer, listing = _cast(stack, price=150_050, currency="NGN")
    response = stack.buy(buyer, listing, 1)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "amount_not_accepted"
    assert stack.available(listing) == "10.000"
    assert stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing) == [
        {"n": 0}
    ]
    # Two units come to a whole 3001 NGN: Flutterwave takes that.
    assert stack.buy(buyer, listing, 2).status_code == 201


def test_flutterwave_checkout_success_and_mismatch(stack):
    _, buyer, listing = _cast(stack, price=150_000, currency="NGN")
    body = stack.buy(buyer, listing, 1).json()
    assert body["provider"] == "flutterwave"
    link = body["flutterwave"]["payment_link"]
    outcome = requests.get(
        link, params={"outcome": "successful"}, headers={"Accept": "application/json"}, timeout=10
    ).json()
    eventually(lambda: stack.payment(body["id"])["status"] == "succeeded")
    assert stack.payment(body["id"])["provider_txn_id"] == str(outcome["transaction_id"])

    other = stack.buy(buyer, listing, 1).json()
    stack.control(stack.flutterwave, "webhooks/pause", match=other["id"])
    outcome = requests.get(
        other["flutterwave"]["payment_link"],
        params={"outcome": "successful"},
        headers={"Accept": "application/json"},
        timeout=10,
    ).json()
    stack.control(
        stack.flutterwave, f"transactions/{outcome['transaction_id']}/override", amount=1.0
    )
    stack.control(stack.flutterwave, "webhooks/resume", match=other["id"])
    eventually(
        lambda: (
            stack.sql(
                "SELECT count(*) AS n FROM payment_events WHERE payment_id = %s", other["id"]
            )[0]["n"]
            == 1
        )
    )
    assert stack.payment(other["id"])["status"] == "pending"


def test_conversion_records_the_gateway_rate(stack):
    _, buyer, listing = _cast(stack, price=100_000)  # 1000.00 USD per tonne
    body = stack.buy(buyer, listing, 1, currency="NGN").json()
    assert body["provider"] == "flutterwave"
    assert (body["amount"], body["currency"]) == (155_000_000, "NGN")  # 1550 NGN per USD
    assert body["conversion"]["rate"] == "1550"


def test_reconcile_settles_a_lost_webhook_once(stack):
    _, buyer, listing = _cast(stack)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    intent = stack.payment(payment_id)["provider_ref"]
    stack.control(stack.stripe, "webhooks/drop", match=intent, count=5)
    _confirm(stack, buyer, payment_id)
    time.sleep(0.5)
    assert stack.payment(payment_id)["status"] == "processing"
    report = stack.app.services.reconciler.run()
    assert {"payment_id": payment_id, "from": "processing", "to": "succeeded"} in report["changed"]
    again = stack.app.services.reconciler.run()
    assert payment_id not in [c["payment_id"] for c in again["changed"]]


def _settled(stack, price=10_000):
    seller, buyer, listing = _cast(stack, price=price)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    _confirm(stack, buyer, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    return seller, buyer, payment_id


def test_buyer_dispute_resolved_with_a_refund(stack):
    _, buyer, payment_id = _settled(stack)
    admin = stack.user("admin")
    opened = requests.post(
        f"{stack.url}/api/payments/{payment_id}/disputes",
        headers=buyer["headers"],
        json={"reason": "not_received"},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    assert stack.payment(payment_id)["status"] == "disputed"
    again = requests.post(
        f"{stack.url}/api/payments/{payment_id}/disputes",
        headers=buyer["headers"],
        json={"reason": "other"},
        timeout=10,
    )
    assert again.status_code == 409
    resolved = requests.post(
        f"{stack.url}/api/admin/disputes/{opened.json()['id']}/resolve",
        headers=admin["headers"],
        json={"outcome": "refund", "note": "never shipped"},
        timeout=10,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved_refund"
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"]) == ("refunded", 10_000)
    actions = [
        r["action"]
        for r in stack.sql(
            "SELECT action FROM audit_log WHERE target_id IN (%s, %s) ORDER BY id",
            payment_id,
            opened.json()["id"],
        )
    ]
    assert actions == ["dispute.open", "payment.refund", "dispute.resolve"]


def test_rejected_dispute_restores_the_payment(stack):
    _, buyer, payment_id = _settled(stack)
    admin = stack.user("admin")
    opened = requests.post(
        f"{stack.url}/api/payments/{payment_id}/disputes",
        headers=buyer["headers"],
        json={"reason": "fraudulent"},
        timeout=10,
    )
    resolved = requests.post(
        f"{stack.url}/api/admin/disputes/{opened.json()['id']}/resolve",
        headers=admin["headers"],
        json={"outcome": "reject", "note": "delivered"},
        timeout=10,
    )
    assert resolved.json()["status"] == "resolved_rejected"
    assert stack.payment(payment_id)["status"] == "succeeded"


def test_stripe_dispute_webhook_opens_a_dispute(stack):
    _, _, payment_id = _settled(stack)
    intent = stack.payment(payment_id)["provider_ref"]
    dispute = stack.control(stack.stripe, f"payment_intents/{intent}/dispute")
    eventually(lambda: stack.payment(payment_id)["status"] == "disputed")
    rows = stack.sql(
        "SELECT source, provider_dispute_id FROM disputes WHERE payment_id = %s", payment_id
    )
    assert rows == [{"source": "stripe", "provider_dispute_id": dispute["id"]}]


def test_reconcile_cancels_an_expired_payment_and_releases_it(stack):
    _, buyer, listing = _cast(stack)
    payment_id = stack.buy(buyer, listing, 4).json()["id"]
    assert stack.available(listing) == "6.000"
    stack.sql(
        "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = %s", payment_id
    )
    report = stack.app.services.reconciler.run()
    assert {"payment_id": payment_id, "from": "pending", "to": "canceled"} in report["changed"], (
        report
    )
    row = stack.payment(payment_id)
    assert (row["status"], row["reserved"]) == ("canceled", False)
    assert stack.available(listing) == "10.000"
    intent = stack.stripe.url + f"/v1/payment_intents/{row['provider_ref']}"
    status = requests.get(
        intent, timeout=10, headers={"Authorization": f"Bearer {stack.stripe.secret_key}"}
    ).json()
    assert status["status"] == "canceled"
