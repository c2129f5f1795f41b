"""The marketplace invariant checker (keywords/libraries/invariant_rules.py; its keywords are
Invariants.py's): each rule fails on a row built to break it, and a dataset made the way the
API makes one passes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg2
import pytest

from keywords.libraries import Invariants as invariants
from keywords.libraries import invariant_rules
from tests.factories import make_listing, make_user, sql

# Every kind of payment the API leaves behind: moves from creation, reserved at the end.
PAYMENTS = {
    "open": (["pending", "requires_action"], True),
    "sold": (["pending", "succeeded"], True),
    "refunded": (["pending", "succeeded", "refunded"], True),
    "partly": (["pending", "succeeded", "partially_refunded"], True),
    "canceled": (["pending", "canceled"], False),
    "unsold_late": (["pending", "canceled", "succeeded"], False),
    "dashboard": (["pending", "succeeded", "refunded"], True),
    "disputed": (["pending", "succeeded", "disputed"], True),
    "rejected": (["pending", "succeeded", "disputed", "succeeded"], True),
}
AMOUNT = 10_000


def add_payment(app: Any, listing: dict[str, Any], buyer: dict[str, Any], kind: str) -> str:
    """A payment of one unit of `listing` with its moves, its stock taken when reserved."""
    moves, reserved = PAYMENTS[kind]
    payment = sql(
        app,
        "INSERT INTO payments (listing_id, buyer_id, seller_id, quantity, amount, currency, "
        "listing_amount, listing_currency, provider, status, reserved, expires_at) "
        "SELECT id, %s, seller_id, 1, %s, currency, %s, currency, 'stripe', %s, %s, now() "
        "FROM listings WHERE id = %s RETURNING id::text AS id",
        buyer["id"],
        AMOUNT,
        AMOUNT,
        moves[-1],
        reserved,
        listing["id"],
    )[0]["id"]
    for before, after in zip([None, *moves], moves, strict=False):
        sql(
            app,
            "INSERT INTO payment_transitions (payment_id, from_status, to_status, cause) "
            "VALUES (%s, %s, %s, 'test')",
            payment,
            before,
            after,
        )
    if reserved:
        sql(
            app,
            "UPDATE listings SET available_quantity = available_quantity - 1 WHERE id = %s",
            listing["id"],
        )
    return payment


def add_refund(app: Any, payment: str, amount: int, status: str) -> None:
    """A refunds row, booked on the payment as the API books it."""
    sql(
        app,
        "INSERT INTO refunds (payment_id, amount, currency, status) VALUES (%s, %s, 'USD', %s)",
        payment,
        amount,
        status,
    )
    column = {"succeeded": "amount_refunded", "pending": "refund_pending"}.get(status)
    if column:
        sql(app, f"UPDATE payments SET {column} = {column} + %s WHERE id = %s", amount, payment)


def add_dispute(app: Any, payment: str, status: str) -> str:
    """A dispute of `payment` by Stripe."""
    return sql(
        app,
        "INSERT INTO disputes (payment_id, source, reason, status, status_before) "
        "VALUES (%s, 'stripe', 'fraudulent', %s, 'succeeded') RETURNING id::text AS id",
        payment,
        status,
    )[0]["id"]


@pytest.fixture
def market(app: Any) -> dict[str, str]:
    """A healthy dataset: every kind of payment on one listing of 20, refunds and disputes."""
    seller, buyer = make_user(app, "seller"), make_user(app)
    listing = make_listing(app, seller, status="active", quantity="20")
    ids = {kind: add_payment(app, listing, buyer, kind) for kind in PAYMENTS}
    add_refund(app, ids["refunded"], AMOUNT, "succeeded")
    add_refund(app, ids["partly"], 3_000, "succeeded")
    add_refund(app, ids["partly"], 2_000, "pending")
    add_refund(app, ids["partly"], 1_000, "failed")
    # A refund made in Stripe's dashboard: booked as the charge's total, with no refunds row.
    sql(app, "UPDATE payments SET amount_refunded = amount WHERE id = %s", ids["dashboard"])
    sql(app, "UPDATE payments SET refund_due_reason = 'sold_out' WHERE id = %s", ids["unsold_late"])
    ids["open_dispute"] = add_dispute(app, ids["disputed"], "open")
    add_dispute(app, ids["rejected"], "resolved_rejected")
    # Transfers that were not the payments' (gateway_receipts): the excess of the sale's own
    # transfer, a second transfer after it, and a short one to the canceled order.
    sql(app, "UPDATE payments SET provider_txn_id = 'txn-sold' WHERE id = %s", ids["sold"])
    ids["excess"] = add_receipt(app, ids["sold"], "excess", "txn-sold", AMOUNT + 500, 500)
    ids["duplicate"] = add_receipt(app, ids["sold"], "duplicate", "txn-again", AMOUNT, AMOUNT)
    ids["short"] = add_receipt(app, ids["canceled"], "short", "txn-short", 4_000, 4_000)
    ids["listing"] = listing["id"]
    return ids


def add_receipt(
    app: Any, payment: str, kind: str, transaction: str, received: int, amount: int
) -> str:
    """A gateway_receipts row: money a transfer brought that is not the payment's."""
    return sql(
        app,
        "INSERT INTO gateway_receipts (payment_id, provider, transaction_id, kind, received, "
        "amount, currency, status) VALUES (%s, 'flutterwave', %s, %s, %s, %s, 'USD', 'refunded') "
        "RETURNING id::text AS id",
        payment,
        transaction,
        kind,
        received,
        amount,
    )[0]["id"]


def found(app: Any) -> set[tuple[str, str, str]]:
    """(table, id, rule) of every violation in the app's database."""
    report = invariants.check(app.services.config.database_url)
    return {(v.table, v.id, v.rule) for v in report.violations}


def transition_id(app: Any, payment: str, to_status: str) -> str:
    rows = sql(
        app,
        "SELECT id::text AS id FROM payment_transitions WHERE payment_id = %s AND to_status = %s",
        payment,
        to_status,
    )
    return rows[0]["id"]


def test_a_healthy_dataset_passes(app: Any, market: dict[str, str]) -> None:
    report = invariants.check(app.services.config.database_url)
    assert report.violations == []
    assert report.rows == {
        "listings": 1,
        "payments": len(PAYMENTS),
        "payment_transitions": sum(len(moves) for moves, _ in PAYMENTS.values()),
        "disputes": 2,
        "gateway_receipts": 3,
    }
    # Held: 1 open; sold: 6 paid and reserved; 20 - 7 = 13 available.
    stock = sql(app, "SELECT available_quantity FROM listings WHERE id = %s", market["listing"])
    assert stock == [{"available_quantity": Decimal("13.000")}]
    assert report.rules == 18
    assert report.checks > report.rows["payments"] * 5


def drop_check(app: Any, table: str) -> None:
    """Lets a row break what the table's own CHECK would refuse (this test's database only)."""
    sql(app, f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_check")


def stock_below_zero(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    drop_check(app, "listings")
    sql(app, "UPDATE listings SET available_quantity = -1 WHERE id = %s", ids["listing"])
    listing = ids["listing"]
    return {
        ("listings", listing, "available_quantity >= 0"),
        ("listings", listing, "available + held + sold = quantity"),
    }


def stock_above_quantity(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    drop_check(app, "listings")
    sql(app, "UPDATE listings SET available_quantity = 21 WHERE id = %s", ids["listing"])
    listing = ids["listing"]
    return {
        ("listings", listing, "available_quantity <= quantity"),
        ("listings", listing, "available + held + sold = quantity"),
    }


def stock_lost(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    # Taken off the listing with no payment to hold it (what the suite's old sale did).
    sql(app, "UPDATE listings SET available_quantity = 11 WHERE id = %s", ids["listing"])
    return {("listings", ids["listing"], "available + held + sold = quantity")}


def released_twice(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE payments SET reserved = false WHERE id = %s", ids["sold"])
    return {("listings", ids["listing"], "available + held + sold = quantity")}


def reserved_after_cancel(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE payments SET reserved = true WHERE id = %s", ids["canceled"])
    return {("payments", ids["canceled"], "reserved only while open or paid")}


def refunded_beyond_amount(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    drop_check(app, "payments")
    sql(app, "UPDATE payments SET amount_refunded = amount + 1 WHERE id = %s", ids["dashboard"])
    return {
        ("payments", ids["dashboard"], "0 <= amount_refunded + refund_pending <= amount"),
        ("payments", ids["dashboard"], "refunded means amount_refunded = amount"),
    }


def pending_beyond_amount(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    drop_check(app, "payments")
    add_refund(app, ids["partly"], 6_000, "pending")
    return {("payments", ids["partly"], "0 <= amount_refunded + refund_pending <= amount")}


def refunded_in_part(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE payments SET amount_refunded = amount - 1 WHERE id = %s", ids["dashboard"])
    return {("payments", ids["dashboard"], "refunded means amount_refunded = amount")}


def sold_but_refunded(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    # A dashboard refund booked on a payment the success had not reached yet (issue 20).
    sql(app, "UPDATE payments SET amount_refunded = 500 WHERE id = %s", ids["sold"])
    return {("payments", ids["sold"], "succeeded means nothing refunded")}


def partly_refunded_by_nothing(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE payments SET amount_refunded = 0 WHERE id = %s", ids["partly"])
    return {
        ("payments", ids["partly"], "partially_refunded means 0 < amount_refunded < amount"),
        ("payments", ids["partly"], "amount_refunded >= succeeded refunds"),
    }


def refund_not_booked(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(
        app,
        "INSERT INTO refunds (payment_id, amount, currency, status) "
        "VALUES (%s, 500, 'USD', 'succeeded')",
        ids["sold"],
    )
    return {("payments", ids["sold"], "amount_refunded >= succeeded refunds")}


def pending_not_held(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE payments SET refund_pending = 0 WHERE id = %s", ids["partly"])
    return {("payments", ids["partly"], "refund_pending = pending refunds")}


def move_not_allowed(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    # A refunded payment never moves again; this history says it did, and the status agrees.
    moved = sql(
        app,
        "INSERT INTO payment_transitions (payment_id, from_status, to_status, cause) "
        "VALUES (%s, 'refunded', 'succeeded', 'test') RETURNING id::text AS id",
        ids["refunded"],
    )[0]["id"]
    sql(app, "UPDATE payments SET status = 'succeeded' WHERE id = %s", ids["refunded"])
    return {
        ("payment_transitions", moved, "move allowed by settlement.ALLOWED"),
        # ... and a payment refunded in full cannot read succeeded.
        ("payments", ids["refunded"], "succeeded means nothing refunded"),
    }


def move_missing(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    paid = transition_id(app, ids["refunded"], "succeeded")
    sql(app, "DELETE FROM payment_transitions WHERE id = %s", paid)
    refunded = transition_id(app, ids["refunded"], "refunded")
    # succeeded -> refunded is allowed, but follows pending now.
    return {("payment_transitions", refunded, "from_status = previous to_status")}


def creation_missing(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    created = transition_id(app, ids["sold"], "pending")
    sql(app, "DELETE FROM payment_transitions WHERE id = %s", created)
    paid = transition_id(app, ids["sold"], "succeeded")
    return {("payment_transitions", paid, "from_status = previous to_status")}


def status_not_recorded(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE payments SET status = 'partially_refunded' WHERE id = %s", ids["sold"])
    return {
        ("payments", ids["sold"], "status = last transition's to_status"),
        ("payments", ids["sold"], "partially_refunded means 0 < amount_refunded < amount"),
    }


def no_history(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "DELETE FROM payment_transitions WHERE payment_id = %s", ids["sold"])
    return {("payments", ids["sold"], "status = last transition's to_status")}


def disputed_without_dispute(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE disputes SET status = 'resolved_refund' WHERE id = %s", ids["open_dispute"])
    return {("payments", ids["disputed"], "disputed means exactly one open dispute")}


def dispute_left_open(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    # What a dispute resolved by refund looks like between its refund and its resolution.
    dispute = add_dispute(app, ids["refunded"], "open")
    return {("disputes", dispute, "open dispute's payment is disputed")}


def short_transfer_paid(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    # The short transfer went back, yet the order's books say it was paid by it.
    sql(app, "UPDATE payments SET provider_txn_id = 'txn-short' WHERE id = %s", ids["canceled"])
    return {
        (
            "gateway_receipts",
            ids["short"],
            "a short transfer is given back whole and never pays its payment",
        )
    }


def excess_miscounted(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    # 100 more arrived than the books give back or sell: money kept that is nobody's.
    sql(app, "UPDATE gateway_receipts SET received = received + 100 WHERE id = %s", ids["excess"])
    rule = "an excess is what its paid payment's own transfer brought beyond the amount"
    return {("gateway_receipts", ids["excess"], rule)}


def second_transfer_kept_in_part(app: Any, ids: dict[str, str]) -> set[tuple[str, str, str]]:
    sql(app, "UPDATE gateway_receipts SET amount = amount - 1 WHERE id = %s", ids["duplicate"])
    rule = "a second transfer is given back whole and is not the payment's"
    return {("gateway_receipts", ids["duplicate"], rule)}


BREAKS = [
    short_transfer_paid,
    excess_miscounted,
    second_transfer_kept_in_part,
    stock_below_zero,
    stock_above_quantity,
    stock_lost,
    released_twice,
    reserved_after_cancel,
    refunded_beyond_amount,
    pending_beyond_amount,
    refunded_in_part,
    sold_but_refunded,
    partly_refunded_by_nothing,
    refund_not_booked,
    pending_not_held,
    move_not_allowed,
    move_missing,
    creation_missing,
    status_not_recorded,
    no_history,
    disputed_without_dispute,
    dispute_left_open,
]


@pytest.mark.parametrize("break_row", BREAKS, ids=[b.__name__ for b in BREAKS])
def test_each_broken_row_is_reported(
    app: Any, market: dict[str, str], break_row: Callable[..., set[tuple[str, str, str]]]
) -> None:
    expected = break_row(app, market)
    assert found(app) == expected


def test_every_rule_has_a_row_that_breaks_it(app: Any, market: dict[str, str]) -> None:
    """The table above reaches every rule of the checker."""
    names = {rule.name for _, rules in invariants.TABLES.values() for rule in rules}
    for break_row in BREAKS:
        for _, _, rule in break_row(app, market):
            names.discard(rule)
    assert names == set()


def test_the_keyword_fails_naming_table_id_rule_and_values(app: Any, market: dict[str, str]):
    library = invariants.Invariants()
    url = app.services.config.database_url
    library.marketplace_invariants_should_hold(url)
    passed = library.invariant_checks_run()
    reserved_after_cancel(app, market)
    with pytest.raises(AssertionError) as failure:
        library.marketplace_invariants_should_hold(url)
    message = str(failure.value)
    assert f"payments {market['canceled']}: reserved only while open or paid" in message
    assert "(status=canceled, reserved=True)" in message
    assert "1 violations" in message
    assert library.invariant_checks_run() == passed + 1  # the rule now applies to one more row


def test_rows_are_read_from_one_snapshot(app: Any, market: dict[str, str], monkeypatch) -> None:
    """A commit made after the checker's first read is not seen by its later reads."""
    url = app.services.config.database_url
    committed = []

    class CommitsAfterFirstQuery(invariant_rules.RealDictCursor):
        def execute(self, query: Any, vars: Any = None) -> None:
            super().execute(query, vars)
            if not committed:
                writer = psycopg2.connect(url)
                with writer, writer.cursor() as cur:
                    cur.execute(
                        "UPDATE payments SET status = 'failed' WHERE id = %s", [market["open"]]
                    )
                writer.close()
                committed.append(True)

    monkeypatch.setattr(invariant_rules, "RealDictCursor", CommitsAfterFirstQuery)
    report = invariants.check(url)
    assert committed
    assert report.violations == []
    # Read again, the failed payment is seen: still reserved, its move unrecorded, its stock
    # neither held nor given back.
    assert {v.id for v in invariants.check(url).violations} == {market["open"], market["listing"]}
