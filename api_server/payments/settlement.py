"""The payment state machine: forward-only transitions, recorded with their cause.

A declined attempt keeps the payment open (`requires_payment_method`): the buyer may try
another card on the same PaymentIntent or hosted checkout, and the reservation stays held
until the buyer pays, cancels or the payment expires. No success is ever ignored: one that
arrives for a payment we had given up on is settled if the stock is still there, and owed
back to the buyer in full otherwise.
"""

from __future__ import annotations

import json

from psycopg2.extras import RealDictCursor

from api_server.common.audit import record_audit
from api_server.common.money import to_major
from api_server.common.outbox import enqueue_email
from api_server.observability.tracing import event
from api_server.payments import queries, transfers
from api_server.payments.gateways import Failure, GatewayStatus
from api_server.payments.outcomes import (
    AMOUNT_MISMATCH,
    FAILURE_RECORDED,
    IGNORED,
    REFUND_DUE,
    SHORT_TRANSFER,
    Outcome,
    render,
)
from api_server.payments.queries import PaymentRow

# Open: the buyer can still pay. Late: we gave up, but the gateway may still take money.
OPEN = frozenset({"pending", "requires_action", "requires_payment_method", "processing"})
LATE = frozenset({"failed", "canceled"})

# Which statuses each status may move to. Anything else (a late, replayed or out-of-order
# event) is ignored, so a payment never moves back.
ALLOWED: dict[str, frozenset[str]] = {
    "pending": frozenset(
        {
            "requires_action",
            "requires_payment_method",
            "processing",
            "succeeded",
            "failed",
            "canceled",
        }
    ),
    "requires_action": frozenset(
        {"requires_payment_method", "processing", "succeeded", "canceled"}
    ),
    "requires_payment_method": frozenset(
        {"requires_action", "processing", "succeeded", "canceled"}
    ),
    "processing": frozenset({"requires_payment_method", "succeeded", "canceled"}),
    "succeeded": frozenset({"partially_refunded", "refunded", "disputed"}),
    "partially_refunded": frozenset({"refunded", "disputed"}),
    "disputed": frozenset({"succeeded", "partially_refunded", "refunded"}),
    # Only through settle_late: money arrived after we stopped waiting for it.
    "failed": frozenset({"succeeded"}),
    "canceled": frozenset({"succeeded"}),
    "refunded": frozenset(),
}
SOLD_OUT = "sold_out_before_payment"
WITHDRAWN = "listing_withdrawn_before_payment"
# Paid, and possibly refunded or disputed since: a gateway success says nothing new of them.
SETTLED = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})


def listing_for_sale(cur: RealDictCursor, payment_id: str) -> bool:
    """Whether the payment's listing is still active, held so a suspension waits for us."""
    cur.execute(queries.LISTING_FOR_SALE, (payment_id,))
    return cur.fetchone() is not None


def transition(
    cur: RealDictCursor, payment: PaymentRow, to: str, cause: str, *, sale: bool = True
) -> bool:
    """Moves `payment` (a locked row) to `to` if allowed; records it; returns whether it moved.

    Changes the caller's row in place: `payment["status"]` is `to` once it moved, because
    every rule after this one in the transaction decides on the row it holds. Only the
    status: `reserved`, `paid_at` and `updated_at` are written to the database alone.
    `sale=False` books a success without telling buyer and seller of a sale (it is refunded).
    """
    if to not in ALLOWED[payment["status"]]:
        return False
    cur.execute(queries.SET_STATUS, {"to": to, "id": payment["id"]})
    cur.execute(queries.INSERT_TRANSITION, (payment["id"], payment["status"], to, cause))
    event(
        "payment.transition",
        **{"payment.id": payment["id"], "from": payment["status"], "to": to, "cause": cause},
    )
    if to in LATE:
        cur.execute(queries.RELEASE, {"id": payment["id"]})
    if to == "succeeded" and payment["status"] in OPEN | LATE and sale:
        _queue_sale_emails(cur, payment)
    payment["status"] = to
    return True


def record_failure(cur: RealDictCursor, payment: PaymentRow, failure: Failure) -> None:
    """Keeps why the last attempt failed, for the buyer and for support (and sets the
    row's `failure_code` in place)."""
    cur.execute(
        queries.SET_FAILURE, (failure.code, failure.decline_code, failure.message, payment["id"])
    )
    payment["failure_code"] = failure.code


def apply_gateway_status(
    cur: RealDictCursor, payment: PaymentRow, seen: GatewayStatus, cause: str
) -> Outcome:
    """Applies what the gateway says; value is given only when amount and currency agree.

    Changes the locked row in place as it writes (`status`, `failure_code`,
    `provider_txn_id`), like `transition`."""
    if seen.status == "succeeded":
        # A bank transfer of another amount, or a second one, is booked to go back first;
        # an over-transfer then pays the amount due.
        stop, seen = transfers.receive(cur, payment, seen, cause)
        if stop == SHORT_TRANSFER and payment["status"] in OPEN and seen.amount is not None:
            record_failure(cur, payment, transfers.short_failure(payment, seen.amount))
        if stop is not None:
            return stop
        if payment["status"] in SETTLED:
            # Never moves a paid payment: a dispute, a refund or a second report of the same
            # success stays as it is (the dispute's own resolution restores a payment).
            return IGNORED
        if seen.amount != payment["amount"] or (seen.currency or "").upper() != payment["currency"]:
            return AMOUNT_MISMATCH
        if seen.transaction_id:
            cur.execute(queries.SET_TXN, (seen.transaction_id, payment["id"]))
            payment["provider_txn_id"] = payment["provider_txn_id"] or seen.transaction_id
        if payment["status"] in LATE:
            return settle_late(cur, payment, cause)
        cur.execute(queries.CLEAR_ATTEMPT, (payment["id"],))
        if not listing_for_sale(cur, payment["id"]):
            return _owe_back(cur, payment, cause, WITHDRAWN, release=True)
    if seen.status == "requires_payment_method" and payment["status"] in OPEN:
        # A second decline changes no status but must still show its own reason.
        record_failure(cur, payment, seen.failure or Failure("payment_failed"))
        if payment["status"] == "requires_payment_method":
            return FAILURE_RECORDED
    if seen.status == "requires_action" and payment["status"] in OPEN:
        cur.execute(queries.SET_NEXT_ACTION, (json.dumps(seen.next_action or {}), payment["id"]))
    if seen.status in ALLOWED and transition(cur, payment, seen.status, cause):
        return Outcome.applied(seen.status)
    return IGNORED


def settle_late(cur: RealDictCursor, payment: PaymentRow, cause: str) -> Outcome:
    """A success for a payment we had canceled or failed: sell if we still can, else owe it.

    Returns applied `succeeded` when the stock was reserved again and the sale booked, or
    `REFUND_DUE` when the money must go back (the caller refunds it after commit).
    """
    cur.execute(queries.RESERVE_AGAIN, {"id": payment["id"]})
    sold = cur.fetchone() is not None
    cur.execute(queries.CLEAR_ATTEMPT, (payment["id"],))
    if sold:
        transition(cur, payment, "succeeded", f"{cause}:late")
        return Outcome.applied("succeeded")
    return _owe_back(cur, payment, f"{cause}:late", SOLD_OUT, release=False)


def _owe_back(
    cur: RealDictCursor, payment: PaymentRow, cause: str, reason: str, *, release: bool
) -> Outcome:
    """Books a success whose goods cannot be sold as owed back to the buyer in full."""
    if release:
        cur.execute(queries.RELEASE, {"id": payment["id"]})
    cur.execute(queries.SET_REFUND_DUE, (reason, payment["id"]))
    transition(cur, payment, "succeeded", f"{cause}:refund_due", sale=False)
    record_audit(
        cur,
        actor_id=None,
        action="payment.late_success",
        target_type="payment",
        target_id=payment["id"],
        details={"outcome": render(REFUND_DUE), "reason": reason, "cause": cause},
    )
    return REFUND_DUE


def _queue_sale_emails(cur: RealDictCursor, payment: PaymentRow) -> None:
    """The buyer's receipt and the seller's sale notice, in the same transaction."""
    cur.execute(queries.PARTIES, (payment["id"],))
    parties = cur.fetchone()
    total = f"{to_major(payment['amount'], payment['currency'])} {payment['currency']}"
    what = f"{payment['quantity']} {parties['unit']} of {parties['title']}"
    enqueue_email(
        cur,
        parties["buyer_email"],
        f"Receipt for payment {payment['id']}",
        f"Hello {parties['buyer_name']},\n\nWe received your payment of {total} for {what}.\n"
        f"Payment: {payment['id']}\n",
    )
    enqueue_email(
        cur,
        parties["seller_email"],
        f"You sold {what} (payment {payment['id']})",
        f"Hello {parties['seller_name']},\n\nA buyer paid {total} for {what}.\n"
        f"Payment: {payment['id']}\n",
    )
