"""Payments over real HTTP: API, PostgreSQL, the gateway sandboxes, webhooks.

Only what Robot's payments suites do not already assert lives here: the exact answers a
burst of requests with one key may get, the remainder refunded after a part refund, the
NGN amount refused before anything is reserved, disputes resolved either way, and expiry
from `pending`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import migrated_database
from tests.factories import make_user
from tests.payments_stack import PaymentsStack, eventually, payments_stack


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


def _confirm(stack, buyer, payment_id, method="pm_card_visa"):
    return stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method=method)


def _dispute(stack, buyer, payment_id, reason):
    return stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason=reason)


def _resolve(stack, dispute, outcome, note):
    admin = make_user(stack.app, "admin")
    path = f"/api/admin/disputes/{dispute.json()['id']}/resolve"
    return stack.post(admin, path, outcome=outcome, note=note)


def test_concurrent_requests_with_one_key_make_one_payment(stack):
    _, buyer, listing = stack.cast()
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


def test_refunds_partial_then_full_and_never_more(stack):
    seller, buyer, listing = stack.cast(price_per_unit=10_000)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    _confirm(stack, buyer, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    path = f"/api/payments/{payment_id}/refunds"
    assert stack.post(buyer, path).status_code == 403
    first = stack.post(seller, path, amount=4000)
    assert first.status_code == 201, first.text
    assert stack.payment(payment_id)["status"] == "partially_refunded"
    over = stack.post(seller, path, amount=6001)
    assert over.status_code == 409
    rest = stack.post(seller, path)
    assert rest.json()["amount"] == 6000
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"]) == ("refunded", 10_000)


def test_flutterwave_refuses_a_fractional_amount_before_reserving(stack):
    _, buyer, listing = stack.cast(price_per_unit=150_050, currency="NGN")
    response = stack.buy(buyer, listing, 1)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "amount_not_accepted"
    assert stack.available(listing) == "10.000"
    assert stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing) == [
        {"n": 0}
    ]
    # Two units come to a whole 3001 NGN: Flutterwave takes that.
    assert stack.buy(buyer, listing, 2).status_code == 201


def _settled(stack, price=10_000):
    seller, buyer, listing = stack.cast(price_per_unit=price)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    _confirm(stack, buyer, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    return seller, buyer, payment_id


def test_buyer_dispute_resolved_with_a_refund(stack):
    _, buyer, payment_id = _settled(stack)
    opened = _dispute(stack, buyer, payment_id, "not_received")
    assert opened.status_code == 201, opened.text
    assert stack.payment(payment_id)["status"] == "disputed"
    assert _dispute(stack, buyer, payment_id, "other").status_code == 409
    resolved = _resolve(stack, opened, "refund", "never shipped")
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
    opened = _dispute(stack, buyer, payment_id, "fraudulent")
    resolved = _resolve(stack, opened, "reject", "delivered")
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
    _, buyer, listing = stack.cast()
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


def test_a_payment_failing_every_check_cannot_starve_newer_ones(stack):
    stack.sql("UPDATE payments SET reconciled_at = now()")  # what earlier tests left is done
    _, buyer, listing = stack.cast()
    stuck = stack.buy(buyer, listing, 1).json()["id"]
    stack.sql("UPDATE payments SET provider_ref = 'pi_unknown_to_stripe' WHERE id = %s", stuck)
    first = stack.app.services.reconciler.run(limit=1)
    assert (first["checked"], first["errors"][0]["payment_id"]) == (1, stuck), first
    newer = stack.buy(buyer, listing, 2).json()["id"]
    stack.sql("UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = %s", newer)
    second = stack.app.services.reconciler.run(limit=1)
    assert second["changed"] == [{"payment_id": newer, "from": "pending", "to": "canceled"}]
