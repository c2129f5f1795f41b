"""Refunds: set aside under the payment's lock, sent to the gateway, then booked.

Sellers and admins refund through the API; the system itself refunds a late success it could
not sell (the stock was gone), and reconciliation retries that refund until it goes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api_server.common.audit import record_audit
from api_server.common.errors import Conflict, DomainError, Invalid, NotFound
from api_server.common.money import to_major, whole_major
from api_server.common.outbox import OutboxDispatcher, enqueue_email
from api_server.db import Database
from api_server.payments import queries
from api_server.payments.gateways import Gateway, GatewayError
from api_server.payments.problems import gateway_problem
from api_server.payments.settlement import transition


def settle_dispute_by_refund(
    cur: Any,
    payment: dict[str, Any],
    *,
    by: str | None,
    note: str | None,
    refund_id: str | None,
) -> str | None:
    """A payment refunded in full has no dispute left open: the refund settles it, in the
    same transaction as the refund's booking (an open dispute on a refunded payment never
    shows). Returns the dispute settled, if there was one."""
    if payment["status"] != "disputed":
        return None
    cur.execute(
        queries.RESOLVE_OPEN_DISPUTE_BY_REFUND,
        {
            "note": note or "refunded in full",
            "by": by,
            "refund_id": refund_id,
            "payment_id": payment["id"],
        },
    )
    row = cur.fetchone()
    return row and row["id"]


class Refunds:
    """One refund at a time per amount: concurrent refunds can never overdraw a payment."""

    def __init__(
        self,
        db: Database,
        outbox: OutboxDispatcher,
        gateways: Mapping[str, Gateway],
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._gateways = gateways

    def refund(
        self,
        payment_id: str,
        *,
        actor_id: str | None,
        amount: int | None,
        reason: str | None,
        request_id: str | None,
        allow_disputed: bool = False,
        dispute_note: str | None = None,
    ) -> dict[str, Any]:
        """Refunds part or all of a paid payment through its gateway; returns the refund.

        A refund of all that is left settles an open dispute, noted `dispute_note`."""
        failed: GatewayError | None = None
        with self._db.transaction() as cur:
            # One transaction, the payment locked from the check of its balance through the
            # gateway call to the booking: a charge.refunded webhook (ours, or a dashboard
            # refund with Stripe's cumulative total) waits and finds this refund booked, so it
            # is counted once; and if the booking cannot be written, nothing of it is: the
            # refund Stripe made then reaches the books through that webhook, never as a
            # pending refund holding its amount for ever.
            locked, refund_id, amount = self._hold(
                cur, payment_id, actor_id, amount, reason, allow_disputed
            )
            try:
                provider_id = self._gateways[locked["provider"]].refund(
                    locked, amount=amount, refund_id=refund_id
                )
            except GatewayError as exc:
                cur.execute(
                    queries.REFUND_FAILED, {"refund_id": refund_id, "code": f"gateway_{exc.kind}"}
                )
                failed = exc
            else:
                note = dispute_note or reason
                refund = self._book(cur, locked, refund_id, provider_id, actor_id, note)
                record_audit(
                    cur,
                    actor_id=actor_id,
                    action="payment.refund",
                    target_type="payment",
                    target_id=payment_id,
                    details={
                        "refund_id": refund_id,
                        "amount": amount,
                        "currency": locked["currency"],
                        "reason": reason,
                    },
                    request_id=request_id,
                )
        if failed is not None:
            raise gateway_problem(failed) from failed
        return {**refund, "payment_id": payment_id, "created_at": refund["created_at"].isoformat()}

    @staticmethod
    def _book(
        cur: Any,
        locked: dict[str, Any],
        refund_id: str,
        provider_id: str,
        actor_id: str | None,
        note: str | None,
    ) -> dict[str, Any]:
        """Books a refund the gateway made, on the locked payment; returns the refund row."""
        cur.execute(queries.REFUND_SUCCEEDED, {"refund_id": refund_id, "provider_id": provider_id})
        cur.execute(queries.PAYMENT, (locked["id"],))
        booked = cur.fetchone()
        done = booked["amount_refunded"] >= booked["amount"]
        if done:
            settle_dispute_by_refund(cur, locked, by=actor_id, note=note, refund_id=refund_id)
        transition(
            cur, locked, "refunded" if done else "partially_refunded", f"api:refund:{refund_id}"
        )
        cur.execute(queries.REFUNDS, (locked["id"],))
        return next(r for r in cur.fetchall() if r["id"] == refund_id)

    def refund_due(self, payment_id: str) -> bool:
        """Gives a late success that could not be sold back in full; True once it is back.

        A failure leaves the debt recorded (`refund_due_reason`) for reconciliation to retry.
        """
        with self._db.transaction() as cur:
            cur.execute(queries.PAYMENT, (payment_id,))
            payment = cur.fetchone()
        if payment is None or payment["refund_due_reason"] is None:
            return False
        reason = payment["refund_due_reason"]
        try:
            self.refund(
                payment_id,
                actor_id=None,
                amount=None,
                reason=reason,
                request_id=None,
                allow_disputed=True,
            )
        except DomainError:
            return False
        with self._db.transaction() as cur:
            cur.execute(queries.CLEAR_REFUND_DUE, (payment_id,))
            cur.execute(queries.BUYER, (payment_id,))
            buyer = cur.fetchone()
            total = f"{to_major(payment['amount'], payment['currency'])} {payment['currency']}"
            enqueue_email(
                cur,
                buyer["email"],
                f"Refund for payment {payment_id}",
                f"Hello {buyer['full_name']},\n\nYour payment of {total} reached us after the "
                "order had lapsed and the goods were no longer available, so we refunded it "
                f"in full.\nPayment: {payment_id}\n",
            )
        self._outbox.wake()
        return True

    @staticmethod
    def _hold(
        cur: Any,
        payment_id: str,
        actor_id: str | None,
        amount: int | None,
        reason: str | None,
        allow_disputed: bool,
    ) -> tuple[dict[str, Any], str, int]:
        """Locks the payment and sets the amount aside, so concurrent refunds cannot overdraw;
        returns the locked payment, the refund's id and its amount."""
        refundable = ("succeeded", "partially_refunded") + (("disputed",) if allow_disputed else ())
        cur.execute(queries.LOCK_PAYMENT, (payment_id,))
        payment = cur.fetchone()
        if payment is None:
            raise NotFound("payment_not_found", "No such payment.")
        if payment["status"] not in refundable:
            raise Conflict(
                "payment_not_refundable",
                f"A {payment['status']} payment cannot be refunded.",
            )
        left = payment["amount"] - payment["amount_refunded"] - payment["refund_pending"]
        amount = left if amount is None else amount
        currency = payment["currency"]
        if payment["provider"] == "flutterwave" and not whole_major(amount, currency):
            raise Invalid(
                "amount_not_accepted",
                f"Flutterwave refunds whole amounts of {payment['currency']}.",
            )
        if amount > left or left <= 0:
            raise Conflict(
                "refund_exceeds_balance",
                f"At most {left} {payment['currency']} minor units can be refunded.",
                refundable=left,
            )
        cur.execute(
            queries.INSERT_REFUND, (payment_id, amount, payment["currency"], reason, actor_id)
        )
        refund_id = cur.fetchone()["id"]
        cur.execute(queries.HOLD_REFUND, (amount, payment_id))
        return payment, refund_id, amount
