"""What an attacker or a careless client found (issue 20), each over real HTTP.

Every test here failed before its fix: quantities finer than the column, anonymous returns
that end or re-settle payments, a chargeback dropped beside a buyer's dispute, conversions
that undercharged, listings withdrawn mid-payment, gateway refusals on cancel, a batch
stopped by one bad row, a dashboard refund counted twice, and a chargeback the card network
decided that left its payment disputed for ever.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from tests.conftest import migrated_database
from tests.factories import make_user
from tests.payments_stack import PaymentsStack, eventually, payments_stack


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


def _count_payments(stack, listing) -> int:
    rows = stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing)
    return rows[0]["n"]


def _fault(stack, sandbox, **rule):
    return stack.control(sandbox, "faults", **rule)


def _paid_stripe(stack, price=10_000, quantity=1):
    seller, buyer, listing = stack.cast(price_per_unit=price)
    payment_id = stack.buy(buyer, listing, quantity).json()["id"]
    stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method="pm_card_visa")
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    return seller, buyer, listing, payment_id


def _paid_flutterwave(stack):
    seller, buyer, listing = stack.cast(price_per_unit=500_000, currency="NGN")
    created = stack.buy(buyer, listing, 1)
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    link = stack.payment(payment_id)["payment_link"]
    paid = requests.get(
        link, params={"outcome": "successful"}, headers={"Accept": "application/json"}, timeout=30
    )
    assert paid.status_code == 200, paid.text
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    return seller, buyer, listing, payment_id


# 1. Quantities are parsed once into what the column stores


@pytest.mark.parametrize("quantity", [0.0005, 0.0009, 0.9995, 0.0004, 1.0005, "0.0005"])
def test_a_quantity_finer_than_the_column_is_refused_and_changes_nothing(stack, quantity):
    _, buyer, listing = stack.cast(quantity="1", price_per_unit=100_000)
    response = stack.buy(buyer, listing, quantity)
    assert response.status_code in (400, 422), response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert stack.available(listing) == "1.000"
    assert _count_payments(stack, listing) == 0


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_quantity_that_is_not_a_finite_number_is_refused(stack, raw):
    _, buyer, listing = stack.cast()
    body = f'{{"listing_id": "{listing}", "quantity": {raw}}}'
    headers = {**buyer["headers"], "Idempotency-Key": f"nan-{raw}-{listing}"}
    headers["Content-Type"] = "application/json"
    response = requests.post(f"{stack.url}/api/payments", data=body, headers=headers, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    assert _count_payments(stack, listing) == 0


def test_an_order_whose_amount_exceeds_what_the_gateway_charges_is_refused(stack):
    # Stripe's largest charge is 99,999,999 minor units (docs/sandboxes.md): 10^9 t at
    # 25,000,000 cents a tonne is far beyond it and beyond the bigint column.
    _, buyer, listing = stack.cast(quantity="999999999999", price_per_unit=2_500_000_000)
    response = stack.buy(buyer, listing, "999999999999")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "amount_not_accepted"
    assert _count_payments(stack, listing) == 0


# 2. A batch survives one bad row


def test_reconciliation_reports_a_row_it_cannot_apply_and_finishes_the_rest(stack):
    stack.sql("UPDATE payments SET reconciled_at = now()")
    _, buyer, listing = stack.cast()
    _, other_buyer, other_listing = stack.cast()
    broken = stack.buy(buyer, listing, 1).json()["id"]
    healthy = stack.buy(other_buyer, other_listing, 2).json()["id"]
    # Releasing the broken one would put the stock above the listing's quantity.
    stack.sql("UPDATE listings SET available_quantity = quantity WHERE id = %s", listing)
    stack.sql(
        "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id IN (%s, %s)",
        broken,
        healthy,
    )
    report = stack.app.services.reconciler.run(limit=2)
    assert [e["payment_id"] for e in report["errors"]] == [broken], report
    assert report["errors"][0]["error"] == "internal_error"
    assert report["changed"] == [{"payment_id": healthy, "from": "pending", "to": "canceled"}]
    assert stack.payment(broken)["status"] == "pending"


# 3 and 5. The Flutterwave return proves what it claims and never ends or rewinds a payment


def test_a_return_without_a_transaction_does_not_cancel_the_payment(stack):
    _, buyer, listing = stack.cast(price_per_unit=500_000, currency="NGN")
    payment_id = stack.buy(buyer, listing, 2).json()["id"]
    response = requests.get(
        f"{stack.url}/api/payments/flutterwave/return",
        params={"tx_ref": payment_id, "status": "cancelled"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    row = stack.payment(payment_id)
    assert (row["status"], row["reserved"]) == ("pending", True)
    assert stack.available(listing) == "8.000"


def test_a_return_does_not_resettle_a_disputed_payment(stack):
    _, buyer, _, payment_id = _paid_flutterwave(stack)
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    txn = stack.payment(payment_id)["provider_txn_id"]
    requests.get(
        f"{stack.url}/api/payments/flutterwave/return",
        params={"tx_ref": payment_id, "transaction_id": txn},
        timeout=30,
    )
    assert stack.payment(payment_id)["status"] == "disputed"
    open_disputes = stack.sql(
        "SELECT count(*) AS n FROM disputes WHERE payment_id = %s AND status = 'open'", payment_id
    )
    assert open_disputes == [{"n": 1}]


def test_a_return_does_not_resettle_a_partly_refunded_payment(stack):
    seller, _, _, payment_id = _paid_flutterwave(stack)
    refund = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=100_000)
    assert refund.status_code == 201, refund.text
    txn = stack.payment(payment_id)["provider_txn_id"]
    answer = requests.get(
        f"{stack.url}/api/payments/flutterwave/return",
        params={"tx_ref": payment_id, "transaction_id": txn},
        timeout=30,
    )
    assert answer.json()["status"] != "applied:succeeded"
    assert stack.payment(payment_id)["status"] == "partially_refunded"


# 4. A chargeback is always recorded


def test_a_chargeback_beside_the_buyers_dispute_is_recorded(stack):
    _, buyer, _, payment_id = _paid_stripe(stack)
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    intent = stack.payment(payment_id)["provider_ref"]
    chargeback = stack.control(stack.stripe, f"payment_intents/{intent}/dispute")

    def linked() -> bool:
        rows = stack.sql(
            "SELECT provider_dispute_id FROM disputes WHERE payment_id = %s", payment_id
        )
        return rows == [{"provider_dispute_id": chargeback["id"]}]

    eventually(linked)
    actions = stack.sql("SELECT action FROM audit_log WHERE target_id = %s ORDER BY id", payment_id)
    assert [a["action"] for a in actions] == ["dispute.open", "dispute.chargeback"]
    # The card network decides a chargeback: neither outcome can be chosen here.
    admin = make_user(stack.app, "admin")
    for outcome in ("reject", "refund"):
        path = f"/api/admin/disputes/{opened.json()['id']}/resolve"
        answer = stack.post(admin, path, outcome=outcome, note="n")
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "dispute_at_gateway"
    assert stack.payment(payment_id)["status"] == "disputed"


# 4b. The card network's decision on a chargeback closes it


def _chargeback(stack, payment_id: str) -> tuple[str, dict]:
    """Stripe opens a chargeback on the payment; returns its intent and the dispute."""
    intent = stack.payment(payment_id)["provider_ref"]
    return intent, stack.control(stack.stripe, f"payment_intents/{intent}/dispute")


def _close(stack, dispute: dict, outcome: str) -> dict:
    return stack.control(stack.stripe, f"disputes/{dispute['id']}/close", outcome=outcome)


def _stripe_event(stack, dispute_id: str, event_type: str) -> dict:
    events = stack.control_get(stack.stripe, f"events?match={dispute_id}")
    return next(e for e in events if e["type"] == event_type)


def _post_stripe_event(stack, event: dict) -> requests.Response:
    """A webhook signed with the endpoint's secret, as Stripe would send this event."""
    payload = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", **stack.stripe.sign(payload, "valid")}
    return requests.post(
        f"{stack.url}/api/payments/webhooks/stripe", data=payload, headers=headers, timeout=30
    )


def _outcome(stack, event_id: str) -> str | None:
    rows = stack.sql("SELECT outcome FROM payment_events WHERE event_id = %s", event_id)
    return rows[0]["outcome"] if rows else None


def _disputes(stack, payment_id: str) -> list[dict]:
    return stack.sql(
        "SELECT status, provider_dispute_id, resolved_at IS NOT NULL AS resolved, refund_id "
        "FROM disputes WHERE payment_id = %s ORDER BY created_at",
        payment_id,
    )


def _history(stack, payment_id: str) -> list[str]:
    rows = stack.sql(
        "SELECT to_status FROM payment_transitions WHERE payment_id = %s ORDER BY id", payment_id
    )
    return [r["to_status"] for r in rows]


def _actions(stack, payment_id: str) -> list[str]:
    rows = stack.sql("SELECT action FROM audit_log WHERE target_id = %s ORDER BY id", payment_id)
    return [r["action"] for r in rows]


def test_a_chargeback_the_seller_wins_restores_the_payment(stack):
    _, _, _, payment_id = _paid_stripe(stack)
    _, dispute = _chargeback(stack, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "disputed")
    _close(stack, dispute, "won")
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    assert _disputes(stack, payment_id) == [
        {"status": "chargeback_won", "provider_dispute_id": dispute["id"], "resolved": True,
         "refund_id": None}
    ]  # fmt: skip
    assert _history(stack, payment_id)[-2:] == ["disputed", "succeeded"]
    assert stack.payment(payment_id)["amount_refunded"] == 0
    eventually(lambda: _actions(stack, payment_id)[-1] == "dispute.chargeback_closed")
    closed = _stripe_event(stack, dispute["id"], "charge.dispute.closed")
    assert _outcome(stack, closed["id"]) == "applied:chargeback_won"


def test_a_chargeback_the_seller_loses_ends_the_payment_refunded_in_full(stack):
    _, _, _, payment_id = _paid_stripe(stack, price=10_000)
    _, dispute = _chargeback(stack, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "disputed")
    _close(stack, dispute, "lost")
    eventually(lambda: stack.payment(payment_id)["status"] == "refunded")
    row = stack.payment(payment_id)
    assert row["amount_refunded"] == row["amount"] == 10_000
    # The card network took the money back: a chargeback, not a refund of ours.
    assert stack.sql("SELECT id FROM refunds WHERE payment_id = %s", payment_id) == []
    assert [d["status"] for d in _disputes(stack, payment_id)] == ["chargeback_lost"]
    assert _history(stack, payment_id)[-2:] == ["disputed", "refunded"]
    assert "dispute.chargeback_closed" in _actions(stack, payment_id)


def test_the_buyers_dispute_tied_to_a_chargeback_closes_with_it(stack):
    _, buyer, _, payment_id = _paid_stripe(stack, price=10_000)
    refunded = stack.dashboard_refund(stack.charge_of(payment_id), 3_000)
    assert refunded.status_code == 200, refunded.text
    eventually(lambda: stack.payment(payment_id)["status"] == "partially_refunded")
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    _, dispute = _chargeback(stack, payment_id)
    eventually(lambda: _disputes(stack, payment_id)[0]["provider_dispute_id"] == dispute["id"])
    _close(stack, dispute, "won")
    eventually(lambda: stack.payment(payment_id)["status"] == "partially_refunded")
    assert [d["status"] for d in _disputes(stack, payment_id)] == ["chargeback_won"]
    assert stack.payment(payment_id)["amount_refunded"] == 3_000
    actions = _actions(stack, payment_id)
    assert actions[-3:] == ["dispute.open", "dispute.chargeback", "dispute.chargeback_closed"]


def test_a_closed_chargeback_delivered_again_changes_nothing(stack):
    _, _, _, payment_id = _paid_stripe(stack, price=10_000)
    _, dispute = _chargeback(stack, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "disputed")
    _close(stack, dispute, "lost")
    eventually(lambda: stack.payment(payment_id)["status"] == "refunded")
    closed = _stripe_event(stack, dispute["id"], "charge.dispute.closed")
    again = stack.control(stack.stripe, f"events/{closed['id']}/deliver")
    assert again["status"] == 200 and "duplicate" in str(again["body"]), again
    # Another event saying otherwise of a dispute that is closed changes nothing either.
    other = {**closed["body"], "id": f"{closed['id']}_other"}
    other["data"] = {"object": {**closed["body"]["data"]["object"], "status": "won"}}
    answer = _post_stripe_event(stack, other)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ignored"
    assert [d["status"] for d in _disputes(stack, payment_id)] == ["chargeback_lost"]
    assert _history(stack, payment_id)[-2:] == ["disputed", "refunded"]
    assert stack.payment(payment_id)["amount_refunded"] == 10_000
    assert _actions(stack, payment_id).count("dispute.chargeback_closed") == 1


def test_a_chargeback_closed_before_stripe_reports_it_opened_is_booked_once(stack):
    _, _, _, payment_id = _paid_stripe(stack, price=10_000)
    intent = stack.payment(payment_id)["provider_ref"]
    stack.control(stack.stripe, "webhooks/drop", count=2, match=intent)
    _, dispute = _chargeback(stack, payment_id)
    _close(stack, dispute, "lost")
    created = _stripe_event(stack, dispute["id"], "charge.dispute.created")
    closed = _stripe_event(stack, dispute["id"], "charge.dispute.closed")
    results = stack.control(stack.stripe, "events/deliver", ids=[closed["id"], created["id"]])
    assert [r["status"] for r in results] == [200, 200], results
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"]) == ("refunded", 10_000)
    assert _disputes(stack, payment_id) == [
        {"status": "chargeback_lost", "provider_dispute_id": dispute["id"], "resolved": True,
         "refund_id": None}
    ]  # fmt: skip
    assert _history(stack, payment_id)[-2:] == ["succeeded", "refunded"]


def test_an_inquiry_closed_without_a_chargeback_restores_the_payment(stack):
    _, _, _, payment_id = _paid_stripe(stack)
    _, dispute = _chargeback(stack, payment_id)
    eventually(lambda: stack.payment(payment_id)["status"] == "disputed")
    created = _stripe_event(stack, dispute["id"], "charge.dispute.created")
    # docs.stripe.com/api/events/types: charge.dispute.closed also reports `warning_closed`.
    event = {**created["body"], "id": f"{created['id']}_closed", "type": "charge.dispute.closed"}
    event["data"] = {"object": {**dispute, "status": "warning_closed"}}
    answer = _post_stripe_event(stack, event)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied:chargeback_won"
    assert stack.payment(payment_id)["status"] == "succeeded"
    assert [d["status"] for d in _disputes(stack, payment_id)] == ["chargeback_won"]


def test_a_closed_chargeback_of_a_payment_without_its_dispute_is_only_audited(stack):
    _, _, _, payment_id = _paid_stripe(stack, price=10_000)
    refunded = stack.dashboard_refund(stack.charge_of(payment_id))
    assert refunded.status_code == 200, refunded.text
    eventually(lambda: stack.payment(payment_id)["status"] == "refunded")
    _, dispute = _chargeback(stack, payment_id)
    _close(stack, dispute, "lost")
    closed = _stripe_event(stack, dispute["id"], "charge.dispute.closed")
    eventually(lambda: _outcome(stack, closed["id"]) == "chargeback_closed_recorded")
    assert _disputes(stack, payment_id) == []
    assert stack.payment(payment_id)["status"] == "refunded"
    assert _actions(stack, payment_id)[-2:] == ["dispute.chargeback", "dispute.chargeback_closed"]


# 6. Conversions never undercharge


@pytest.mark.parametrize(("provider", "expected"), [("flutterwave", 200), ("stripe", 150)])
def test_a_converted_amount_is_rounded_up_once(stack, provider, expected):
    # 2.31 kg at 1,000 NGN/kg is 2,310 NGN, 1.4903 USD at 1 USD = 1,550 NGN.
    _, buyer, listing = stack.cast(price_per_unit=100_000, currency="NGN", unit="kg")
    response = stack.buy(buyer, listing, "2.31", currency="USD", provider=provider)
    assert response.status_code == 201, response.text
    row = stack.payment(response.json()["id"])
    assert row["amount"] == expected
    worth = Decimal(row["listing_amount"]) / 100 * row["fx_rate"]
    assert Decimal(row["amount"]) / 100 >= worth


# 7. A listing that is no longer for sale cannot be bought


def test_a_payment_for_a_suspended_listing_cannot_be_confirmed(stack):
    _, buyer, listing = stack.cast()
    payment_id = stack.buy(buyer, listing, 3).json()["id"]
    admin = make_user(stack.app, "admin")
    suspended = stack.post(
        admin, f"/api/admin/listings/{listing}/suspend", reason="under investigation"
    )
    assert suspended.status_code == 200, suspended.text
    answer = stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method="pm_card_visa")
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "listing_not_available"
    row = stack.payment(payment_id)
    assert (row["status"], row["reserved"]) == ("canceled", False)
    assert stack.available(listing) == "10.000"


def test_a_payment_for_a_deleted_listing_cannot_be_confirmed(stack):
    seller, buyer, listing = stack.cast()
    payment_id = stack.buy(buyer, listing, 3).json()["id"]
    deleted = requests.delete(
        f"{stack.url}/api/marketplace/{listing}", headers=seller["headers"], timeout=30
    )
    assert deleted.status_code in (200, 204), deleted.text
    answer = stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method="pm_card_visa")
    assert answer.status_code == 409, answer.text
    assert stack.payment(payment_id)["status"] == "canceled"


# 8. A cancel the gateway refuses is a clear gateway error and changes nothing


@pytest.mark.parametrize(("mode", "status"), [("error", 502), ("hang", 504)])
def test_a_cancel_the_gateway_refuses_changes_nothing(stack, mode, status):
    _, buyer, listing = stack.cast()
    payment_id = stack.buy(buyer, listing, 2).json()["id"]
    intent = stack.payment(payment_id)["provider_ref"]
    _fault(stack, stack.stripe, mode=mode, match=f"{intent}/cancel", seconds=3)
    answer = stack.post(buyer, f"/api/payments/{payment_id}/cancel")
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    row = stack.payment(payment_id)
    assert (row["status"], row["reserved"]) == ("pending", True)
    assert stack.available(listing) == "8.000"


# 9. A dashboard refund while one of ours is in flight is counted once; a refund whose
# booking fails does not stay pending


def _stripe_refunds(stack, charge: str) -> int:
    events = stack.control_get(stack.stripe, f"events?match={charge}")
    return sum(1 for e in events if e["type"] == "refund.created")


def test_a_dashboard_refund_during_an_api_refund_is_counted_once(stack):
    seller, _, _, payment_id = _paid_stripe(stack, price=10_000)
    charge = stack.charge_of(payment_id)
    # Our refund of 3,000 is held while Stripe answers late; meanwhile the dashboard refunds
    # 2,000, and its charge.refunded carries Stripe's cumulative total.
    _fault(stack, stack.stripe, mode="late", match="/v1/refunds", seconds=0.8)
    answers: list[requests.Response] = []
    ours = threading.Thread(
        target=lambda: answers.append(
            stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=3_000)
        )
    )
    ours.start()
    # Stripe has made our refund and holds its answer back ("late").
    eventually(lambda: _stripe_refunds(stack, charge) == 1)
    dashboard = stack.dashboard_refund(charge, 2_000)
    assert dashboard.status_code == 200, dashboard.text
    ours.join(30)
    eventually(lambda: stack.payment(payment_id)["refund_pending"] == 0)
    eventually(lambda: stack.payment(payment_id)["amount_refunded"] >= 5_000)
    at_stripe = stack.stripe_get(f"/v1/charges/{charge}")["amount_refunded"]
    assert stack.payment(payment_id)["amount_refunded"] == at_stripe


# Every gateway call site maps every gateway failure


def test_a_return_whose_verification_times_out_is_a_gateway_error_and_changes_nothing(stack):
    _, buyer, listing = stack.cast(price_per_unit=500_000, currency="NGN")
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    _fault(stack, stack.flutterwave, mode="hang", match="/verify", seconds=3)
    answer = requests.get(
        f"{stack.url}/api/payments/flutterwave/return",
        params={"tx_ref": payment_id, "transaction_id": "12345"},
        timeout=30,
    )
    assert answer.status_code == 504, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert stack.payment(payment_id)["status"] == "pending"


def test_a_dashboard_refund_in_full_settles_the_buyers_open_dispute(stack):
    _, buyer, _, payment_id = _paid_stripe(stack, price=10_000)
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    refunded = stack.dashboard_refund(stack.charge_of(payment_id))
    assert refunded.status_code == 200, refunded.text
    eventually(lambda: stack.payment(payment_id)["status"] == "refunded")
    dispute = stack.sql("SELECT status FROM disputes WHERE payment_id = %s", payment_id)
    assert dispute == [{"status": "resolved_refund"}]
    assert stack.payment(payment_id)["amount_refunded"] == 10_000


def test_a_refund_whose_booking_fails_reaches_the_books_and_holds_nothing(stack):
    seller, _, _, payment_id = _paid_stripe(stack, price=10_000)
    # The database refuses to book this payment's refund after Stripe made it (a lost
    # connection, a full disk): a trigger of the test's own, not a change to the API.
    stack.sql(
        f"""
        CREATE FUNCTION refuse_booking_{payment_id.replace("-", "")}() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'booking refused by the test'; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER refuse_booking BEFORE UPDATE OF status ON refunds FOR EACH ROW
        WHEN (NEW.payment_id = '{payment_id}' AND NEW.status = 'succeeded')
        EXECUTE FUNCTION refuse_booking_{payment_id.replace("-", "")}();
        """
    )
    try:
        answer = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=4_000)
        assert answer.status_code == 500, answer.text
    finally:
        stack.sql("DROP TRIGGER refuse_booking ON refunds")
    # Stripe's charge.refunded brings the 4,000 to the books; nothing stays held.
    eventually(lambda: stack.payment(payment_id)["amount_refunded"] == 4_000)
    row = stack.payment(payment_id)
    assert (row["refund_pending"], row["status"]) == (0, "partially_refunded")
    pending = stack.sql(
        "SELECT count(*) AS n FROM refunds WHERE payment_id = %s AND status = 'pending'",
        payment_id,
    )
    assert pending == [{"n": 0}]


# 10. A Flutterwave refund whose answer is lost is neither forgotten nor made twice


def _flutterwave_refunds(stack, payment_id: str) -> list[dict]:
    """Flutterwave's own list of the transaction's refunds (its dashboard's view)."""
    txn = stack.payment(payment_id)["provider_txn_id"]
    answer = requests.get(
        f"{stack.flutterwave.url}/v3/refunds",
        params={"id": txn},
        headers={"Authorization": f"Bearer {stack.flutterwave.secret_key}"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["data"]


def _refund_rows(stack, payment_id: str) -> list[tuple[str, int]]:
    rows = stack.sql(
        "SELECT status, amount FROM refunds WHERE payment_id = %s ORDER BY created_at, id",
        payment_id,
    )
    return [(r["status"], r["amount"]) for r in rows]


def _age_refunds(stack, payment_id: str) -> None:
    """Moves the payment's refunds past the time Flutterwave may still be making them."""
    stack.sql(
        "UPDATE refunds SET created_at = created_at - interval '1 hour', "
        "updated_at = updated_at - interval '1 hour' WHERE payment_id = %s",
        payment_id,
    )


def test_a_flutterwave_refund_whose_answer_is_lost_is_found_and_booked_at_once(stack):
    seller, _, _, payment_id = _paid_flutterwave(stack)
    txn = stack.payment(payment_id)["provider_txn_id"]
    # Flutterwave makes the refund; its answer comes after our client gave up (1 s).
    _fault(stack, stack.flutterwave, mode="late", match=f"{txn}/refund", seconds=1.5)
    answer = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=200_000)
    assert answer.status_code == 201, answer.text
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"], row["refund_pending"]) == (
        "partially_refunded",
        200_000,
        0,
    )
    assert [r["amount_refunded"] for r in _flutterwave_refunds(stack, payment_id)] == [2_000]


def test_a_flutterwave_refund_of_unknown_outcome_is_held_and_reconciliation_books_it(stack):
    seller, _, _, payment_id = _paid_flutterwave(stack)
    txn = stack.payment(payment_id)["provider_txn_id"]
    _fault(stack, stack.flutterwave, mode="late", match=f"{txn}/refund", seconds=1.5)
    # ... and the look-up right after fails too: nobody can tell yet.
    _fault(stack, stack.flutterwave, mode="error", match=f"GET /v3/refunds?id={txn}")
    answer = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=200_000)
    assert answer.status_code == 504, answer.text
    assert answer.json()["code"] == "refund_outcome_unknown"
    # The amount stays held: the money may be back with the buyer.
    row = stack.payment(payment_id)
    assert (row["amount_refunded"], row["refund_pending"]) == (0, 200_000)
    assert _refund_rows(stack, payment_id) == [("pending", 200_000)]
    # The seller's retry is refused instead of refunding a second time.
    again = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=200_000)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "refund_outcome_pending"
    assert len(_flutterwave_refunds(stack, payment_id)) == 1
    # Reconciliation asks Flutterwave, which made it: it is booked once.
    report = stack.app.services.reconciler.run()
    assert {"payment_id": payment_id, "from": "succeeded", "to": "partially_refunded"} in report[
        "changed"
    ], report
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"], row["refund_pending"]) == (
        "partially_refunded",
        200_000,
        0,
    )
    assert _refund_rows(stack, payment_id) == [("succeeded", 200_000)]


def test_a_flutterwave_refund_that_was_never_made_is_failed_once_flutterwave_says_so(stack):
    seller, _, _, payment_id = _paid_flutterwave(stack)
    txn = stack.payment(payment_id)["provider_txn_id"]
    # A 500: Flutterwave may or may not have made it (here it did not).
    _fault(stack, stack.flutterwave, mode="error", match=f"{txn}/refund")
    answer = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=200_000)
    assert answer.status_code == 502, answer.text
    assert answer.json()["code"] == "refund_outcome_unknown"
    assert stack.payment(payment_id)["refund_pending"] == 200_000
    # Right after the call Flutterwave may still be making it: not found is no proof yet.
    stack.app.services.reconciler.run()
    assert _refund_rows(stack, payment_id) == [("pending", 200_000)]
    _age_refunds(stack, payment_id)
    stack.app.services.reconciler.run()
    assert _refund_rows(stack, payment_id) == [("failed", 200_000)]
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"], row["refund_pending"]) == ("succeeded", 0, 0)
    retry = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=200_000)
    assert retry.status_code == 201, retry.text
    assert [r["amount_refunded"] for r in _flutterwave_refunds(stack, payment_id)] == [2_000]


def test_a_refund_flutterwave_refuses_outright_is_failed_at_once(stack):
    seller, _, _, payment_id = _paid_flutterwave(stack)
    txn = stack.payment(payment_id)["provider_txn_id"]
    _fault(stack, stack.flutterwave, mode="status", status=400, match=f"{txn}/refund")
    answer = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=200_000)
    assert answer.status_code == 502, answer.text
    assert answer.json()["code"] == "gateway_rejected"
    assert _refund_rows(stack, payment_id) == [("failed", 200_000)]
    assert stack.payment(payment_id)["refund_pending"] == 0


# Charge events that overtake the success they follow (Stripe does not order events)


def _withheld_paid_stripe(stack, price=10_000):
    """A card payment Stripe took, with its webhooks withheld: the API has not heard yet."""
    seller, buyer, listing = stack.cast(price_per_unit=price)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    intent = stack.payment(payment_id)["provider_ref"]
    stack.control(stack.stripe, "webhooks/pause", match=intent)
    paid = stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method="pm_card_visa")
    assert paid.status_code == 200, paid.text
    return seller, buyer, listing, payment_id, intent


def _deliver_first(stack, intent: str, first: str) -> None:
    """Delivers the withheld events of `intent`, those of type `first` before the others."""
    events = stack.control_get(stack.stripe, f"events?match={intent}")
    ids = [e["id"] for e in events if e["type"] == first]
    ids += [e["id"] for e in events if e["type"] != first]
    stack.control(stack.stripe, "events/deliver", ids=ids)
    stack.control(stack.stripe, "webhooks/resume", match=intent)


@pytest.mark.parametrize(("refund", "status"), [(None, "refunded"), (4_000, "partially_refunded")])
def test_a_dashboard_refund_heard_before_the_success_is_booked_on_the_sale(stack, refund, status):
    _, _, _, payment_id, intent = _withheld_paid_stripe(stack)
    refunded = stack.dashboard_refund(stack.charge_of(payment_id), refund)
    assert refunded.status_code == 200, refunded.text
    _deliver_first(stack, intent, "charge.refunded")
    eventually(lambda: stack.payment(payment_id)["status"] == status)
    row = stack.payment(payment_id)
    assert row["amount_refunded"] == (refund or 10_000)
    assert _history(stack, payment_id) == ["pending", "processing", "succeeded", status]


def test_a_chargeback_heard_before_the_success_disputes_the_sale(stack):
    _, _, _, payment_id, intent = _withheld_paid_stripe(stack)
    dispute = stack.control(stack.stripe, f"payment_intents/{intent}/dispute")
    _deliver_first(stack, intent, "charge.dispute.created")
    eventually(lambda: stack.payment(payment_id)["status"] == "disputed")
    assert [(d["status"], d["provider_dispute_id"]) for d in _disputes(stack, payment_id)] == [
        ("open", dispute["id"])
    ]


def test_a_rejected_dispute_keeps_what_was_refunded_meanwhile(stack):
    admin = make_user(stack.app, "admin")
    _, buyer, _, payment_id = _paid_stripe(stack)
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    assert stack.dashboard_refund(stack.charge_of(payment_id), 3_000).status_code == 200
    eventually(lambda: stack.payment(payment_id)["amount_refunded"] == 3_000)
    assert stack.payment(payment_id)["status"] == "disputed"
    path = f"/api/admin/disputes/{opened.json()['id']}/resolve"
    rejected = stack.post(admin, path, outcome="reject", note="groundless")
    assert rejected.status_code == 200, rejected.text
    assert stack.payment(payment_id)["status"] == "partially_refunded"


def test_rejecting_a_dispute_while_its_chargeback_arrives_never_deadlocks(stack):
    # The admin's rejection and the chargeback's webhook take the payment's and the dispute's
    # locks; in opposite orders they deadlocked (a 503 "database unavailable" for one side).
    admin = make_user(stack.app, "admin")
    for _ in range(6):
        _, buyer, _, payment_id = _paid_stripe(stack)
        opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="fraudulent")
        path = f"/api/admin/disputes/{opened.json()['id']}/resolve"
        intent = stack.payment(payment_id)["provider_ref"]
        stack.control(stack.stripe, "webhooks/pause", match=intent)
        dispute = stack.control(stack.stripe, f"payment_intents/{intent}/dispute")
        event = _stripe_event(stack, dispute["id"], "charge.dispute.created")
        answers: dict[str, requests.Response] = {}
        barrier = threading.Barrier(2)

        def reject(answers=answers, barrier=barrier, path=path):
            barrier.wait()
            answers["reject"] = stack.post(admin, path, outcome="reject", note="race")

        def chargeback(answers=answers, barrier=barrier, event=event):
            barrier.wait()
            answers["webhook"] = _post_stripe_event(stack, event)

        threads = [threading.Thread(target=reject), threading.Thread(target=chargeback)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert answers["webhook"].status_code == 200, answers["webhook"].text
        assert answers["reject"].status_code in (200, 409), answers["reject"].text
        assert _outcome(stack, event["id"]) != "error"
        stack.control(stack.stripe, "webhooks/resume", match=intent)


# Money that is not the order's: ended, given back its stock, and put before a person


def test_an_expired_order_whose_gateway_holds_another_amount_ends_and_is_reported(stack):
    admin = make_user(stack.app, "admin")
    _, buyer, listing = stack.cast(price_per_unit=150_000, currency="NGN")
    created = stack.buy(buyer, listing, 1).json()
    payment_id = created["id"]
    stack.control(stack.flutterwave, "webhooks/pause", match=payment_id)
    paid = requests.get(
        created["flutterwave"]["payment_link"],
        params={"outcome": "successful"},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    # The customer was charged 1,400 NGN for a 1,500 NGN order.
    stack.control(
        stack.flutterwave, f"transactions/{paid.json()['transaction_id']}/override", amount=1400
    )
    stack.control(stack.flutterwave, "webhooks/resume", match=payment_id)
    eventually(lambda: _outcome_of_payment(stack, payment_id) == "amount_mismatch")
    assert stack.payment(payment_id)["status"] == "pending"
    expire = "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = %s"
    stack.sql(expire, payment_id)
    report = stack.post(admin, "/api/admin/payments/reconcile").json()
    assert {"payment_id": payment_id, "error": "amount_mismatch"} in report["errors"], report
    row = stack.payment(payment_id)
    assert (row["status"], row["reserved"], row["failure_code"]) == (
        "canceled",
        False,
        "amount_mismatch",
    )
    assert stack.available(listing) == "10.000"
    assert "payment.amount_mismatch" in _actions(stack, payment_id)
    # Reported once: the order is closed, so the next run does not report it again.
    again = stack.post(admin, "/api/admin/payments/reconcile").json()
    assert payment_id not in {e["payment_id"] for e in again["errors"]}


def _outcome_of_payment(stack, payment_id: str) -> str | None:
    rows = stack.sql(
        "SELECT outcome FROM payment_events WHERE payment_id = %s ORDER BY id DESC",
        payment_id,
    )
    return rows[0]["outcome"] if rows else None


def test_a_held_refund_booked_while_the_buyer_disputes_keeps_the_payment_disputed(stack):
    admin = make_user(stack.app, "admin")
    seller, buyer, _, payment_id = _paid_flutterwave(stack)
    txn = stack.payment(payment_id)["provider_txn_id"]
    # Flutterwave makes the refund but its answer is lost, and the lookup fails too: held.
    _fault(stack, stack.flutterwave, mode="late", seconds=3, match=f"transactions/{txn}/refund")
    _fault(stack, stack.flutterwave, mode="error", match="/v3/refunds?")
    held = stack.post(seller, f"/api/payments/{payment_id}/refunds", amount=100_000)
    assert held.json()["code"] == "refund_outcome_unknown", held.text
    eventually(lambda: len(_flutterwave_refunds(stack, payment_id)) == 1)
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    stack.app.services.reconciler.run()
    row = stack.payment(payment_id)
    assert (row["status"], row["amount_refunded"], row["refund_pending"]) == (
        "disputed",
        100_000,
        0,
    )
    assert [d["status"] for d in _disputes(stack, payment_id)] == ["open"]
    path = f"/api/admin/disputes/{opened.json()['id']}/resolve"
    assert stack.post(admin, path, outcome="reject", note="groundless").status_code == 200
    assert stack.payment(payment_id)["status"] == "partially_refunded"
