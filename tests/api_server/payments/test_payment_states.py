"""The payment state machine as a table: every allowed move, a sample of refused ones, and
what each move writes (docs/architecture.md, "settlement.py is the state machine").

Open statuses (the buyer can still pay): pending, requires_action, requires_payment_method,
processing. A payment leaves them when paid, canceled or expired; `failed` only when the
checkout never opened. Then succeeded -> partially_refunded -> refunded, and a dispute from
any paid status, resolved back to a paid status. A success that arrives for a failed or
canceled payment is still booked (a late success). Refunded is final. Nothing moves back.
"""

from __future__ import annotations

from typing import Any

import pytest

from api_server.common import outbox_queries
from api_server.payments import queries
from api_server.payments.settlement import ALLOWED, LATE, OPEN, transition

OPEN_STATUSES = {"pending", "requires_action", "requires_payment_method", "processing"}
LATE_STATUSES = {"failed", "canceled"}
PAID = {"succeeded", "partially_refunded", "refunded", "disputed"}

# (from, to): why the move exists.
MOVES = {
    ("pending", "requires_action"): "3-D Secure asked for",
    ("pending", "requires_payment_method"): "the first card declined",
    ("pending", "processing"): "confirmed, the gateway is working",
    ("pending", "succeeded"): "paid in the browser, only the webhook tells",
    ("pending", "failed"): "the checkout never opened",
    ("pending", "canceled"): "the buyer cancels or it expires",
    ("requires_action", "requires_payment_method"): "3-D Secure failed",
    ("requires_action", "processing"): "3-D Secure passed, processing",
    ("requires_action", "succeeded"): "3-D Secure passed and paid",
    ("requires_action", "canceled"): "abandoned during 3-D Secure",
    ("requires_payment_method", "requires_action"): "another card asks for 3-D Secure",
    ("requires_payment_method", "processing"): "another card is processing",
    ("requires_payment_method", "succeeded"): "another card paid",
    ("requires_payment_method", "canceled"): "abandoned after a decline",
    ("processing", "requires_payment_method"): "declined while processing",
    ("processing", "succeeded"): "processing ended paid",
    ("processing", "canceled"): "expired while processing, gateway says not paid",
    ("succeeded", "partially_refunded"): "part refunded",
    ("succeeded", "refunded"): "all refunded",
    ("succeeded", "disputed"): "dispute opened",
    ("partially_refunded", "refunded"): "the rest refunded",
    ("partially_refunded", "disputed"): "dispute after a part refund",
    ("disputed", "succeeded"): "dispute rejected",
    ("disputed", "partially_refunded"): "dispute rejected after a part refund",
    ("disputed", "refunded"): "dispute resolved with a refund",
    ("failed", "succeeded"): "late success after a failure",
    ("canceled", "succeeded"): "late success after a cancel",
}

REFUSED = {
    ("succeeded", "failed"): "a stale failure cannot undo a sale",
    ("succeeded", "canceled"): "a paid order cannot be canceled",
    ("succeeded", "processing"): "a late processing event cannot undo a sale",
    ("succeeded", "requires_payment_method"): "a stale decline cannot undo a sale",
    ("succeeded", "pending"): "never back to the start",
    ("succeeded", "succeeded"): "a replayed success changes nothing",
    ("refunded", "succeeded"): "refunded is final",
    ("refunded", "partially_refunded"): "refunded is final",
    ("refunded", "disputed"): "refunded is final",
    ("partially_refunded", "succeeded"): "refunds only add up",
    ("processing", "pending"): "never back to the start",
    ("requires_payment_method", "pending"): "never back to the start",
    ("processing", "failed"): "failed means the checkout never opened",
    ("requires_action", "failed"): "failed means the checkout never opened",
    ("canceled", "failed"): "a late move is only a success",
    ("failed", "canceled"): "a late move is only a success",
    ("canceled", "processing"): "a late move is only a success",
    ("failed", "refunded"): "nothing was paid to refund",
    ("pending", "refunded"): "nothing was paid to refund",
    ("pending", "disputed"): "nothing was paid to dispute",
    ("pending", "pending"): "a replayed event changes nothing",
}


def ids(table: dict[tuple[str, str], str]) -> list[str]:
    return [f"{source}->{target}" for source, target in table]


class RecordingCursor:
    """Records what a transition executes; answers the sale email's parties query."""

    def __init__(self) -> None:
        self.executed: list[tuple[str, Any]] = []

    def execute(self, query: str, params: Any = None) -> None:
        self.executed.append((query, params))

    def fetchone(self) -> dict[str, str]:
        assert self.executed[-1][0] == queries.PARTIES
        return {
            "buyer_email": "buyer@example.com",
            "buyer_name": "Buyer",
            "seller_email": "seller@example.com",
            "seller_name": "Seller",
            "title": "Cobalt",
            "unit": "t",
        }

    def ran(self, query: str) -> int:
        return sum(1 for executed, _ in self.executed if executed == query)


def payment(status: str) -> dict[str, Any]:
    return {"id": "p-1", "status": status, "amount": 10_000, "currency": "USD", "quantity": 1}


def test_the_open_and_late_statuses():
    assert OPEN == OPEN_STATUSES
    assert LATE == LATE_STATUSES


def test_the_table_holds_every_status_and_no_other_move():
    assert set(ALLOWED) == OPEN_STATUSES | LATE_STATUSES | PAID
    allowed = {(source, target) for source, targets in ALLOWED.items() for target in targets}
    assert allowed == set(MOVES)
    assert ALLOWED["refunded"] == frozenset()


@pytest.mark.parametrize(("source", "target"), list(MOVES), ids=ids(MOVES))
def test_an_allowed_move_is_made_and_recorded(source, target):
    cur, row = RecordingCursor(), payment(source)
    assert transition(cur, row, target, "event:evt_1") is True
    assert row["status"] == target
    assert cur.executed[0] == (queries.SET_STATUS, {"to": target, "id": "p-1"})
    assert cur.executed[1] == (queries.INSERT_TRANSITION, ("p-1", source, target, "event:evt_1"))
    # The reservation is released exactly when the payment gives up on the money.
    assert cur.ran(queries.RELEASE) == (target in LATE_STATUSES)
    # Buyer and seller hear of a sale once: when the money first arrives, not on a
    # dispute that is rejected.
    sale = target == "succeeded" and source not in PAID
    assert cur.ran(queries.PARTIES) == sale
    assert cur.ran(outbox_queries.ENQUEUE) == (2 if sale else 0)


@pytest.mark.parametrize(("source", "target"), list(REFUSED), ids=ids(REFUSED))
def test_a_refused_move_changes_and_writes_nothing(source, target):
    cur, row = RecordingCursor(), payment(source)
    assert transition(cur, row, target, "event:evt_2") is False
    assert row["status"] == source
    assert cur.executed == []


@pytest.mark.parametrize("source", sorted(OPEN_STATUSES | LATE_STATUSES))
def test_a_success_booked_without_a_sale_sends_no_email(source):
    cur, row = RecordingCursor(), payment(source)
    assert transition(cur, row, "succeeded", "event:evt_3:late:refund_due", sale=False)
    assert row["status"] == "succeeded"
    assert cur.ran(outbox_queries.ENQUEUE) == 0
