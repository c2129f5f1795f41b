"""A fault at every gateway call site: each answers a clear 502 or 504 (or, in a background
job, reports the row and tries again) and changes nothing half way. Create and refund are
the Robot suite's (robot/payments/faults.robot), cancel and the return's verification the
adversary tests'; here: confirm, the rates of a conversion, expiry, reconciliation, a
dispute resolved by refund, and the system probe. After each, the invariants hold.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from keywords.libraries.invariant_rules import check
from tests.conftest import migrated_database
from tests.factories import make_user
from tests.payments_stack import PaymentsStack, eventually, payments_stack

# (mode, status): the sandbox answers 500, hangs past the API's 1 s timeout, or drops the
# connection (docs/sandboxes.md, "Faults").
MODES = [("error", 502), ("hang", 504), ("refuse", 502)]


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


def _fault(stack: PaymentsStack, sandbox, mode: str, match: str, count: int = 1) -> None:
    stack.control(sandbox, "faults", mode=mode, match=match, seconds=3, count=count)


def _clear(stack: PaymentsStack, sandbox) -> None:
    sandbox.faults.clear()


def _problem(answer, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def _invariants_hold(stack: PaymentsStack) -> None:
    report = check(stack.dsn)
    assert not report.violations, report.failure()


def _row(stack: PaymentsStack, payment_id: str) -> tuple:
    row = stack.payment(payment_id)
    return row["status"], row["reserved"], row["amount_refunded"], row["refund_pending"]


@pytest.mark.parametrize(("mode", "status"), MODES)
def test_a_confirm_the_gateway_fails_keeps_the_order_open_for_a_retry(stack, mode, status):
    _, buyer, listing = stack.cast()
    payment_id = stack.buy(buyer, listing, 2).json()["id"]
    intent = stack.payment(payment_id)["provider_ref"]
    _fault(stack, stack.stripe, mode, f"{intent}/confirm")
    path = f"/api/payments/{payment_id}/confirm"
    _problem(stack.post(buyer, path, payment_method="pm_card_visa"), status)
    assert _row(stack, payment_id) == ("pending", True, 0, 0)
    assert stack.available(listing) == "8.000"
    _invariants_hold(stack)
    _clear(stack, stack.stripe)
    retried = stack.post(buyer, path, payment_method="pm_card_visa")
    assert retried.status_code == 200, retried.text
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")


@pytest.mark.parametrize(("mode", "status"), MODES)
def test_a_conversion_whose_rate_cannot_be_had_reserves_nothing(stack, mode, status):
    _, buyer, listing = stack.cast(price_per_unit=10_000, currency="USD")
    _fault(stack, stack.flutterwave, mode, "/v3/transfers/rates")
    answer = stack.buy(buyer, listing, 1, provider="flutterwave", currency="NGN")
    _problem(answer, status)
    rows = stack.sql("SELECT count(*) AS n FROM payments WHERE listing_id = %s", listing)
    assert rows[0]["n"] == 0
    assert stack.available(listing) == "10.000"
    _clear(stack, stack.flutterwave)


def _reconcile(stack: PaymentsStack, admin) -> dict:
    answer = stack.post(admin, "/api/admin/payments/reconcile")
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize(("mode", "status"), MODES)
def test_an_expiry_the_gateway_fails_is_reported_and_done_on_the_next_run(stack, mode, status):
    admin = make_user(stack.app, "admin")
    _, buyer, listing = stack.cast()
    payment_id = stack.buy(buyer, listing, 2).json()["id"]
    intent = stack.payment(payment_id)["provider_ref"]
    expire = "UPDATE payments SET expires_at = now() - interval '1 second' WHERE id = %s"
    stack.sql(expire, payment_id)
    # Every call about this intent fails, so neither its read nor its cancel goes through.
    _fault(stack, stack.stripe, mode, intent, count=5)
    report = _reconcile(stack, admin)
    kind = "timeout" if status == 504 else "unavailable"
    assert {"payment_id": payment_id, "error": f"gateway_{kind}"} in report["errors"], report
    assert _row(stack, payment_id) == ("pending", True, 0, 0)
    _invariants_hold(stack)
    _clear(stack, stack.stripe)
    report = _reconcile(stack, admin)
    assert stack.payment(payment_id)["status"] == "canceled", report
    assert stack.available(listing) == "10.000"
    _invariants_hold(stack)


def _age_refunds(stack: PaymentsStack, payment_id: str) -> None:
    """Moves the payment's refunds past the time the gateway may still be making them."""
    stack.sql(
        "UPDATE refunds SET created_at = created_at - interval '1 hour' WHERE payment_id = %s",
        payment_id,
    )


@pytest.mark.parametrize(("mode", "status"), MODES)
def test_a_dispute_whose_refund_fails_stays_open(stack, mode, status):
    admin = make_user(stack.app, "admin")
    _, buyer, listing = stack.cast(price_per_unit=10_000)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method="pm_card_visa")
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    opened = stack.post(buyer, f"/api/payments/{payment_id}/disputes", reason="not_received")
    assert opened.status_code == 201, opened.text
    dispute = opened.json()["id"]
    _fault(stack, stack.stripe, mode, "/v1/refunds")
    path = f"/api/admin/disputes/{dispute}/resolve"
    failed = stack.post(admin, path, outcome="refund", note="faulty gateway")
    _problem(failed, status)
    # Stripe may have made it (a 500, no answer, a dropped connection): its amount is held
    # until Stripe's list of refunds says, and a second resolution cannot refund again.
    assert failed.json()["code"] == "refund_outcome_unknown"
    assert _row(stack, payment_id) == ("disputed", True, 0, 10_000)
    (row,) = stack.sql("SELECT status FROM disputes WHERE id = %s", dispute)
    assert row["status"] == "open"
    _invariants_hold(stack)
    _clear(stack, stack.stripe)
    again = stack.post(admin, path, outcome="refund", note="too soon")
    _problem(again, 409)
    assert again.json()["code"] == "refund_outcome_pending"
    # Still missing from Stripe's list after the grace: it was not made, and is released.
    _age_refunds(stack, payment_id)
    _reconcile(stack, admin)
    assert _row(stack, payment_id) == ("disputed", True, 0, 0)
    resolved = stack.post(admin, path, outcome="refund", note="gateway back")
    assert resolved.status_code == 200, resolved.text
    assert _row(stack, payment_id) == ("refunded", True, 10_000, 0)


@pytest.mark.parametrize(("mode", "_status"), MODES)
def test_the_system_page_reports_a_failing_gateway_and_still_answers(stack, mode, _status):
    admin = make_user(stack.app, "admin")
    _fault(stack, stack.stripe, mode, "/v1/events")
    answer = requests.get(f"{stack.url}/api/admin/system", headers=admin["headers"], timeout=30)
    assert answer.status_code == 200, answer.text
    stripe = answer.json()["gateways"]["stripe"]
    assert stripe["ok"] is False and stripe["status"] in ("unreachable", "error"), stripe
    _clear(stack, stack.stripe)
