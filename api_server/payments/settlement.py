"""The payment state machine: forward-only transitions, recorded with their cause."""

from __future__ import annotations

from typing import Any

from psycopg2.extras import RealDictCursor

from api_server.common.outbox import enqueue_email
from api_server.payments import queries
from api_server.payments.gateways import GatewayStatus
from api_server.payments.money import to_major

# Which statuses each status may move to. Anything else (a late, replayed or out-of-order
# event) is ignored, so a payment never moves back.
ALLOWED: dict[str, frozenset[str]] = {
    "pending": frozenset({"processing", "succeeded", "failed", "canceled"}),
    "processing": frozenset({"succeeded", "failed", "canceled"}),
    "succeeded": frozenset({"partially_refunded", "refunded", "disputed"}),
    "partially_refunded": frozenset({"refunded", "disputed"}),
    "disputed": frozenset({"succeeded", "partially_refunded", "refunded"}),
    "failed": frozenset(),
    "canceled": frozenset(),
    "refunded": frozenset(),
}
FINAL = frozenset({"failed", "canceled", "refunded"})
RELEASING = frozenset({"failed", "canceled"})


def transition(cur: RealDictCursor, payment: dict[str, Any], to: str, cause: str) -> bool:
    """Moves `payment` (a locked row) to `to` if allowed; records it; returns whether it moved."""
    if to not in ALLOWED[payment["status"]]:
        return False
    cur.execute(queries.SET_STATUS, {"to": to, "id": payment["id"]})
    cur.execute(queries.INSERT_TRANSITION, (payment["id"], payment["status"], to, cause))
    if to in RELEASING:
        cur.execute(queries.RELEASE, {"id": payment["id"]})
    if to == "succeeded" and payment["status"] in ("pending", "processing"):
        _queue_sale_emails(cur, payment)
    payment["status"] = to
    return True


def record_failure(
    cur: RealDictCursor,
    payment: dict[str, Any],
    code: str | None,
    decline_code: str | None,
    message: str | None,
) -> None:
    """Keeps why a payment failed, for the buyer and for support."""
    cur.execute(queries.SET_FAILURE, (code, decline_code, message, payment["id"]))


def apply_gateway_status(
    cur: RealDictCursor, payment: dict[str, Any], seen: GatewayStatus, cause: str
) -> str:
    """Applies what the gateway says; value is given only when amount and currency agree."""
    if seen.status == "succeeded":
        if seen.amount != payment["amount"] or (seen.currency or "").upper() != payment["currency"]:
            return "amount_mismatch"
        if seen.transaction_id:
            cur.execute(queries.SET_TXN, (seen.transaction_id, payment["id"]))
            payment["provider_txn_id"] = payment["provider_txn_id"] or seen.transaction_id
    if seen.status == "failed" and payment["status"] in ("pending", "processing"):
        record_failure(cur, payment, "payment_failed", None, "The gateway reported a failure.")
    if seen.status in ALLOWED and transition(cur, payment, seen.status, cause):
        return f"applied:{seen.status}"
    return "ignored"


def _queue_sale_emails(cur: RealDictCursor, payment: dict[str, Any]) -> None:
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
