"""Refunds whose outcome the gateway did not tell us, and refunds retried by Idempotency-Key.

Every test here failed before its fix (/tmp/attacker's f_stripe_refund_timeout_retry and
f_refund_retry_doubles): a Stripe refund whose answer was lost was failed and released, so
the seller's retry refunded twice; and a refund sent twice with the same Idempotency-Key
was made twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import falcon.testing
import pytest
import requests

from keywords.libraries.invariant_rules import check
from tests.conftest import migrated_database
from tests.factories import make_user
from tests.payments_stack import PaymentsStack, eventually, payments_stack


@pytest.fixture(scope="module")
def stack(postgres) -> Iterator[PaymentsStack]:
    with payments_stack(migrated_database(postgres)) as running:
        yield running


def _fault(stack, sandbox, **rule):
    return stack.control(sandbox, "faults", **rule)


def _paid_stripe(stack, price=10_000):
    seller, buyer, listing = stack.cast(price_per_unit=price)
    payment_id = stack.buy(buyer, listing, 1).json()["id"]
    stack.post(buyer, f"/api/payments/{payment_id}/confirm", payment_method="pm_card_visa")
    eventually(lambda: stack.payment(payment_id)["status"] == "succeeded")
    return seller, buyer, payment_id


def _refund(stack, user, payment_id, key=None, **body):
    headers = {**user["headers"], **({"Idempotency-Key": key} if key else {})}
    return requests.post(
        f"{stack.url}/api/payments/{payment_id}/refunds", headers=headers, json=body, timeout=30
    )


def _stripe_refunds(stack, payment_id) -> list[int]:
    """Stripe's own list of the charge's refunds (its dashboard's view), newest first."""
    charge = stack.stripe_get(f"/v1/charges/{stack.charge_of(payment_id)}")
    return [r["amount"] for r in charge["refunds"]["data"] if r["status"] == "succeeded"]


def _stripe_total(stack, payment_id) -> int:
    return stack.stripe_get(f"/v1/charges/{stack.charge_of(payment_id)}")["amount_refunded"]


def _refund_rows(stack, payment_id) -> list[tuple[str, int]]:
    rows = stack.sql(
        "SELECT status, amount FROM refunds WHERE payment_id = %s ORDER BY created_at, id",
        payment_id,
    )
    return [(r["status"], r["amount"]) for r in rows]


def _books(stack, payment_id) -> tuple[str, int, int]:
    row = stack.payment(payment_id)
    return row["status"], row["amount_refunded"], row["refund_pending"]


def _age_refunds(stack, payment_id) -> None:
    """Moves the payment's refunds past the time Stripe may still be making them."""
    stack.sql(
        "UPDATE refunds SET created_at = created_at - interval '1 hour', "
        "updated_at = updated_at - interval '1 hour' WHERE payment_id = %s",
        payment_id,
    )


def _charge_refunded_applied(stack, payment_id) -> bool:
    intent = stack.payment(payment_id)["provider_ref"]
    rows = stack.sql(
        "SELECT count(*) AS n FROM payment_events WHERE event_type = 'charge.refunded' "
        "AND payload::text LIKE %s AND outcome IS NOT NULL",
        f"%{intent}%",
    )
    return rows[0]["n"] > 0


def _invariants_hold(stack) -> None:
    report = check(stack.dsn)
    assert not report.violations, report.failure()


# 1. A Stripe refund whose answer is lost is looked up, held while unknown, booked once


def test_a_stripe_refund_whose_answer_is_lost_is_found_and_booked_at_once(stack):
    seller, _, payment_id = _paid_stripe(stack)
    # Stripe makes the refund; its answer comes after our client gave up (1 s).
    _fault(stack, stack.stripe, mode="late", match=payment_id, seconds=2, count=1)
    answer = _refund(stack, seller, payment_id, amount=3_000)
    assert answer.status_code == 201, answer.text
    assert answer.json()["provider_refund_id"].startswith("re_")
    assert _books(stack, payment_id) == ("partially_refunded", 3_000, 0)
    # Its charge.refunded (Stripe's cumulative 3,000) finds it booked: counted once.
    eventually(lambda: _charge_refunded_applied(stack, payment_id))
    assert _books(stack, payment_id) == ("partially_refunded", 3_000, 0)
    assert _stripe_refunds(stack, payment_id) == [3_000]
    _invariants_hold(stack)


@pytest.mark.parametrize("webhook_first", [True, False])
def test_a_stripe_refund_of_unknown_outcome_is_held_and_never_made_twice(stack, webhook_first):
    seller, _, payment_id = _paid_stripe(stack)
    intent = stack.payment(payment_id)["provider_ref"]
    stack.control(stack.stripe, "webhooks/pause", match=intent)
    _fault(stack, stack.stripe, mode="late", match=payment_id, seconds=2, count=1)
    # ... and the look-up right after fails too: nobody can tell yet.
    _fault(stack, stack.stripe, mode="error", match="GET /v1/refunds", count=1)
    answer = _refund(stack, seller, payment_id, amount=3_000)
    assert answer.status_code == 504, answer.text
    assert answer.json()["code"] == "refund_outcome_unknown"
    assert _books(stack, payment_id) == ("succeeded", 0, 3_000)
    assert _refund_rows(stack, payment_id) == [("pending", 3_000)]
    # The seller's retry is refused instead of refunding a second time.
    again = _refund(stack, seller, payment_id, amount=3_000)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "refund_outcome_pending"
    assert _stripe_refunds(stack, payment_id) == [3_000]
    if webhook_first:
        # Stripe's charge.refunded (cumulative 3,000) arrives while ours is still held.
        stack.control(stack.stripe, "webhooks/resume", match=intent)
        eventually(lambda: _charge_refunded_applied(stack, payment_id))

    # Reconciliation asks Stripe, which made it: it is booked, once. On a loaded machine
    # Stripe may still be making the refund (its answer is 2 s late) when a run asks: the
    # next run finds it, which is reconciliation's whole point.
    def reconciled() -> bool:
        stack.app.services.reconciler.run()
        return _refund_rows(stack, payment_id) == [("succeeded", 3_000)]

    eventually(reconciled, timeout=15)
    if not webhook_first:
        stack.control(stack.stripe, "webhooks/resume", match=intent)
        eventually(lambda: _charge_refunded_applied(stack, payment_id))
    assert _books(stack, payment_id) == ("partially_refunded", 3_000, 0)
    assert _refund_rows(stack, payment_id) == [("succeeded", 3_000)]
    assert _stripe_total(stack, payment_id) == 3_000
    _invariants_hold(stack)


def test_a_stripe_refund_in_full_of_unknown_outcome_is_booked_once(stack):
    seller, _, payment_id = _paid_stripe(stack)
    _fault(stack, stack.stripe, mode="late", match=payment_id, seconds=2, count=1)
    _fault(stack, stack.stripe, mode="error", match="GET /v1/refunds", count=1)
    answer = _refund(stack, seller, payment_id)
    assert answer.status_code == 504, answer.text
    assert answer.json()["code"] == "refund_outcome_unknown"
    assert _books(stack, payment_id)[1:] in ((0, 10_000), (10_000, 0))
    # Whatever the charge.refunded did meanwhile, reconciliation leaves it booked once.
    eventually(lambda: _charge_refunded_applied(stack, payment_id))

    def reconciled() -> bool:
        # On a loaded machine Stripe may still be making the refund when a run asks: the
        # next run finds it (reconciliation's whole point), and books it once.
        stack.app.services.reconciler.run()
        return _books(stack, payment_id) == ("refunded", 10_000, 0)

    eventually(reconciled, timeout=15)
    assert _stripe_total(stack, payment_id) == 10_000
    _invariants_hold(stack)


def test_a_stripe_refund_that_was_never_made_is_failed_once_the_grace_is_over(stack):
    seller, _, payment_id = _paid_stripe(stack)
    # Stripe takes the call and answers nothing (past our 1 s timeout); it made nothing.
    _fault(stack, stack.stripe, mode="hang", match=payment_id, seconds=2, count=1)
    answer = _refund(stack, seller, payment_id, amount=3_000)
    assert answer.status_code == 504, answer.text
    assert answer.json()["code"] == "refund_outcome_unknown"
    assert _books(stack, payment_id) == ("succeeded", 0, 3_000)
    # Right after the call Stripe may still be making it: not found is no proof yet.
    stack.app.services.reconciler.run()
    assert _refund_rows(stack, payment_id) == [("pending", 3_000)]
    _age_refunds(stack, payment_id)
    stack.app.services.reconciler.run()
    assert _refund_rows(stack, payment_id) == [("failed", 3_000)]
    assert _books(stack, payment_id) == ("succeeded", 0, 0)
    retry = _refund(stack, seller, payment_id, amount=3_000)
    assert retry.status_code == 201, retry.text
    assert _stripe_refunds(stack, payment_id) == [3_000]
    _invariants_hold(stack)


def test_a_refund_stripe_refuses_outright_is_failed_at_once(stack):
    seller, _, payment_id = _paid_stripe(stack)
    _fault(stack, stack.stripe, mode="status", status=400, match=payment_id, count=1)
    answer = _refund(stack, seller, payment_id, amount=3_000)
    assert answer.status_code == 502, answer.text
    assert answer.json()["code"] == "gateway_rejected"
    assert _refund_rows(stack, payment_id) == [("failed", 3_000)]
    assert _books(stack, payment_id) == ("succeeded", 0, 0)


def test_stripe_lists_a_payment_intents_refunds_with_our_refund_id(stack):
    seller, _, payment_id = _paid_stripe(stack)
    assert _refund(stack, seller, payment_id, amount=1_000).status_code == 201
    assert _refund(stack, seller, payment_id, amount=2_000).status_code == 201
    intent = stack.payment(payment_id)["provider_ref"]
    listed = stack.stripe_get(f"/v1/refunds?payment_intent={intent}&limit=1")
    assert (listed["object"], listed["has_more"], len(listed["data"])) == ("list", True, 1)
    newest = listed["data"][0]
    assert newest["amount"] == 2_000
    ours = {
        r["id"] for r in stack.sql("SELECT id::text FROM refunds WHERE payment_id = %s", payment_id)
    }
    assert newest["metadata"]["refund_id"] in ours
    rest = stack.stripe_get(f"/v1/refunds?payment_intent={intent}&starting_after={newest['id']}")
    assert [r["amount"] for r in rest["data"]] == [1_000]
    charge = stack.charge_of(payment_id)
    by_charge = stack.stripe_get(f"/v1/refunds?charge={charge}")
    assert [r["amount"] for r in by_charge["data"]] == [2_000, 1_000]
    other = stack.stripe_get("/v1/refunds?payment_intent=pi_unknown")
    assert other["data"] == []


# 2. Idempotency-Key on refunds


def test_a_refund_sent_twice_with_one_key_is_made_once_and_replayed(stack):
    seller, _, payment_id = _paid_stripe(stack)
    key = uuid.uuid4().hex
    first = _refund(stack, seller, payment_id, key, amount=300, reason="damaged")
    assert first.status_code == 201, first.text
    assert first.headers.get("Idempotent-Replayed") is None
    second = _refund(stack, seller, payment_id, key, amount=300, reason="damaged")
    assert second.status_code == 201, second.text
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()
    assert _books(stack, payment_id) == ("partially_refunded", 300, 0)
    assert _stripe_refunds(stack, payment_id) == [300]


def test_a_refund_key_reused_with_another_body_or_payment_is_refused(stack):
    seller, buyer, payment_id = _paid_stripe(stack)
    key = uuid.uuid4().hex
    assert _refund(stack, seller, payment_id, key, amount=300).status_code == 201
    other_body = _refund(stack, seller, payment_id, key, amount=400)
    assert other_body.status_code == 422, other_body.text
    assert other_body.json()["code"] == "idempotency_key_reused"
    # The same body for another payment is another request, not a replay of this one.
    other_payment = stack.buy(buyer, stack.cast(price_per_unit=10_000)[2], 1).json()["id"]
    elsewhere = _refund(stack, seller, other_payment, key, amount=300)
    assert elsewhere.status_code == 422, elsewhere.text
    assert elsewhere.json()["code"] == "idempotency_key_reused"
    assert _books(stack, payment_id) == ("partially_refunded", 300, 0)


def test_refund_keys_are_scoped_per_caller(stack):
    seller, _, payment_id = _paid_stripe(stack)
    admin = make_user(stack.app, "admin")
    key = uuid.uuid4().hex
    assert _refund(stack, seller, payment_id, key, amount=300).status_code == 201
    theirs = _refund(stack, admin, payment_id, key, amount=300)
    assert theirs.status_code == 201, theirs.text
    assert theirs.headers.get("Idempotent-Replayed") is None
    assert _books(stack, payment_id) == ("partially_refunded", 600, 0)


def test_a_refused_refund_is_replayed_by_its_key(stack):
    seller, _, payment_id = _paid_stripe(stack)
    key = uuid.uuid4().hex
    first = _refund(stack, seller, payment_id, key, amount=20_000)
    assert first.status_code == 409, first.text
    assert first.json()["code"] == "refund_exceeds_balance"
    again = _refund(stack, seller, payment_id, key, amount=20_000)
    assert again.status_code == 409, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["code"] == "refund_exceeds_balance"


def test_a_malformed_refund_key_is_refused(stack):
    seller, _, payment_id = _paid_stripe(stack)
    answer = _refund(stack, seller, payment_id, "short", amount=300)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "idempotency_key_invalid"
    assert _books(stack, payment_id) == ("succeeded", 0, 0)


def test_a_keyed_refund_of_unknown_outcome_replays_what_became_of_it(stack):
    seller, _, payment_id = _paid_stripe(stack)
    key = uuid.uuid4().hex
    _fault(stack, stack.stripe, mode="late", match=payment_id, seconds=2, count=1)
    _fault(stack, stack.stripe, mode="error", match="GET /v1/refunds", count=1)
    first = _refund(stack, seller, payment_id, key, amount=300)
    assert first.status_code == 504, first.text
    # Still unknown: the same answer, not a second refund.
    again = _refund(stack, seller, payment_id, key, amount=300)
    assert again.status_code == 504, again.text
    assert again.json()["code"] == "refund_outcome_unknown"
    assert again.headers.get("Idempotent-Replayed") == "true"
    eventually(lambda: _stripe_refunds(stack, payment_id) == [300])

    def reconciled() -> bool:
        stack.app.services.reconciler.run()  # asks again while Stripe still makes it (load)
        return _books(stack, payment_id)[1:] == (300, 0)

    eventually(reconciled, timeout=15)
    # Booked since: the retry gets the refund, still made once.
    booked = _refund(stack, seller, payment_id, key, amount=300)
    assert booked.status_code == 201, booked.text
    assert booked.headers.get("Idempotent-Replayed") == "true"
    assert booked.json()["amount"] == 300
    assert booked.json()["status"] == "succeeded"
    assert _stripe_refunds(stack, payment_id) == [300]
    assert _books(stack, payment_id)[1:] == (300, 0)


def test_a_keyed_refund_that_was_never_made_can_be_retried_with_its_key(stack):
    seller, _, payment_id = _paid_stripe(stack)
    key = uuid.uuid4().hex
    _fault(stack, stack.stripe, mode="hang", match=payment_id, seconds=2, count=1)
    first = _refund(stack, seller, payment_id, key, amount=300)
    assert first.status_code == 504, first.text
    _age_refunds(stack, payment_id)
    stack.app.services.reconciler.run()
    assert _refund_rows(stack, payment_id) == [("failed", 300)]
    retry = _refund(stack, seller, payment_id, key, amount=300)
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("Idempotent-Replayed") is None
    assert _stripe_refunds(stack, payment_id) == [300]


def test_the_refund_operation_documents_its_idempotency_key(app):
    document = falcon.testing.TestClient(app).simulate_get("/api/openapi.json").json
    op = document["paths"]["/api/payments/{payment_id}/refunds"]["post"]
    (header,) = [p for p in op["parameters"] if p["in"] == "header"]
    assert (header["name"], header["required"]) == ("Idempotency-Key", False)
    assert header["schema"]["pattern"]
    assert "Idempotent-Replayed" in op["responses"]["201"]["headers"]
