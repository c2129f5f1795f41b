"""Asks the gateways about every payment they may still move and applies what we missed.

Open payments are settled, declined or (past their expiry) canceled at the gateway first.
Canceled and failed payments whose checkout could still take money are asked too: a success
there is a late success, sold if the stock is still there and refunded otherwise. A refund
whose gateway call went unanswered is looked up, then booked or failed. A gateway
answer that says nothing about the payment (a wrong key, a rate limit, an outage) leaves the
payment untouched and is reported.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from api_server.common.audit import record_audit
from api_server.db import DATABASE_DOWN, Database
from api_server.observability.tracing import Tracing, context_of
from api_server.payments import queries
from api_server.payments.gateways import Failure, GatewayError, GatewayStatus
from api_server.payments.outcomes import (
    AMOUNT_MISMATCH,
    IGNORED,
    MISMATCH_ENDED,
    REFUND_DUE,
    SECOND_PAYMENT,
    SHORT_TRANSFER,
    Outcome,
)
from api_server.payments.queries import PaymentRow
from api_server.payments.refunds import RefundUnresolved
from api_server.payments.service import PaymentsService
from api_server.payments.settlement import (
    LATE,
    OPEN,
    apply_gateway_status,
    record_failure,
    transition,
)


class AmountMismatch(Exception):
    """The gateway holds money for the payment that is not its amount: a person settles it."""


_log = logging.getLogger("api_server.payments.reconcile")


class Reconciler:
    """One pass; running it twice changes nothing the second time."""

    def __init__(
        self, db: Database, payments: PaymentsService, tracing: Tracing | None = None
    ) -> None:
        self._db = db
        self._payments = payments
        self._tracer = (tracing or Tracing()).tracer("api_server.reconcile")

    def run(
        self, limit: int = 500, actor_id: str | None = None, request_id: str | None = None
    ) -> dict[str, Any]:
        """Returns what it checked and every change it made; the run itself is audited."""
        with self._db.transaction() as cur:
            cur.execute(queries.RECONCILE_CANDIDATES, (limit,))
            rows = cur.fetchall()
        ids = [row["id"] for row in rows]
        changes, errors = [], []
        for row in rows:
            payment_id = row["id"]
            try:
                change = self._traced_one(payment_id, row["traceparent"])
            except GatewayError as exc:
                errors.append({"payment_id": payment_id, "error": f"gateway_{exc.kind}"})
                continue
            except AmountMismatch:
                errors.append({"payment_id": payment_id, "error": "amount_mismatch"})
                continue
            except RefundUnresolved as exc:
                # The gateway gave back money none of our refunds explains; the refund stays
                # held (the money may be back with the buyer) until a person settles it.
                _log.warning("refund %s of payment %s is unresolved", exc, payment_id)
                errors.append({"payment_id": payment_id, "error": "refund_unresolved"})
                continue
            except DATABASE_DOWN:
                raise
            except Exception:
                # One row we cannot apply (its transaction rolled back) must not stop the
                # batch: it is reported, logged with its traceback, and tried again next run.
                _log.exception("reconciliation of payment %s failed", payment_id)
                errors.append({"payment_id": payment_id, "error": "internal_error"})
                continue
            if change is not None:
                changes.append(change)
        # Money not the payments' (short, excess, second transfers) left due by a crash
        # between its booking and its refund; a failed give-back is a person's to settle.
        returned = self._payments.receipts.give_back()
        errors += [
            {"payment_id": r["payment_id"], "error": f"receipt_{r['failure']}"}
            for r in returned
            if r["status"] == "failed"
        ]
        report = {"checked": len(ids), "changed": changes, "errors": errors}
        with self._db.transaction() as cur:
            record_audit(
                cur,
                actor_id=actor_id,
                action="payments.reconcile",
                target_type="payments",
                target_id="*",
                details={"checked": len(ids), "changed": len(changes), "errors": len(errors)},
                request_id=request_id,
            )
        return report

    def _traced_one(self, payment_id: str, cause: str | None) -> dict[str, Any] | None:
        """One payment's look, in this run's trace and linked to the trace that created it."""
        linked = context_of(cause)
        span_context = trace.get_current_span(linked).get_span_context() if linked else None
        links = [trace.Link(span_context)] if span_context and span_context.is_valid else []
        with self._tracer.start_as_current_span(
            "reconcile.payment", links=links, attributes={"payment.id": payment_id}
        ):
            return self._one(payment_id)

    def _one(self, payment_id: str) -> dict[str, Any] | None:
        with self._payments.locked(payment_id) as (cur, payment):
            before = payment["status"]
            if before in OPEN:
                outcome = self._open(cur, payment)
            elif before in LATE and not payment["closed_at_gateway"]:
                outcome = self._given_up(cur, payment)
            elif payment["refund_pending"] > 0:
                # A refund whose gateway call went unanswered: booked or failed as the
                # gateway's records say.
                outcome = self._payments.refunds.settle_unknown(cur, payment)
                cur.execute(queries.PAYMENT, (payment_id,))
                payment = cur.fetchone()
            elif payment["refund_due_reason"] is not None:
                outcome = REFUND_DUE  # a late success whose refund has not gone through
            else:
                return None  # settled meanwhile
        if outcome == REFUND_DUE:
            if not self._payments.refunds.refund_due(payment_id):
                raise GatewayError("unavailable", "The refund of a late success did not go through")
            outcome = Outcome.applied("refunded")
            with self._db.transaction() as cur:
                cur.execute(queries.PAYMENT, (payment_id,))
                payment = cur.fetchone()
        if outcome == MISMATCH_ENDED:
            raise AmountMismatch(payment_id)  # after the commit: the order is ended
        if not outcome.is_applied or (outcome == SHORT_TRANSFER and payment["status"] == before):
            return None  # a short transfer booked to go back moves nothing
        return {"payment_id": payment_id, "from": before, "to": payment["status"]}

    def _open(self, cur: Any, payment: PaymentRow) -> Outcome:
        history = self._payments.gateways[payment["provider"]].history(payment)
        paid = [seen for seen in history if seen.status == "succeeded"]
        expired = payment["expires_at"] <= datetime.now(UTC)
        if not paid:
            if expired and history[-1].status not in ("processing", "canceled"):
                return self._payments.close(cur, payment, "abandoned", "reconcile:expired")
            return apply_gateway_status(cur, payment, history[-1], "reconcile")
        # Each success in the order it was made, as its webhooks would have been applied.
        applied = [(apply_gateway_status(cur, payment, seen, "reconcile"), seen) for seen in paid]
        outcome = _decisive([o for o, _ in applied])
        if not expired or payment["status"] not in OPEN:
            return outcome
        for each, seen in applied:
            if each == AMOUNT_MISMATCH:
                self._end_mismatched(cur, payment, seen)
                return MISMATCH_ENDED
        # Short transfers only, booked to go back: never paid, and its window is over.
        return self._payments.close(cur, payment, "abandoned", "reconcile:expired")

    @staticmethod
    def _end_mismatched(cur: Any, payment: PaymentRow, seen: GatewayStatus) -> None:
        """The gateway holds money for this order that is not its amount or currency, so it
        never gives the order value: past its expiry the order ends, its stock goes back, and
        the money is put before a person (audited, reported by this run, no longer watched)."""
        held = f"{seen.amount} {seen.currency}"
        message = (
            f"The gateway holds {held}, not this order's {payment['amount']} {payment['currency']}."
        )
        record_failure(cur, payment, Failure("amount_mismatch", None, message))
        transition(cur, payment, "canceled", "reconcile:amount_mismatch")
        cur.execute(queries.MARK_CLOSED, (payment["id"],))
        record_audit(
            cur,
            actor_id=None,
            action="payment.amount_mismatch",
            target_type="payment",
            target_id=payment["id"],
            details={
                "gateway_amount": seen.amount,
                "gateway_currency": seen.currency,
                "amount": payment["amount"],
                "currency": payment["currency"],
                "transaction_id": seen.transaction_id,
            },
        )

    def _given_up(self, cur: Any, payment: PaymentRow) -> Outcome:
        """A canceled or failed payment: did the gateway take the money after all?"""
        history = self._payments.gateways[payment["provider"]].history(payment)
        paid = [seen for seen in history if seen.status == "succeeded"]
        if paid:
            return _decisive([apply_gateway_status(cur, payment, s, "reconcile") for s in paid])
        seen = history[-1]
        session_over = payment["expires_at"] <= datetime.now(UTC)
        if seen.status == "canceled" or (payment["provider"] == "flutterwave" and session_over):
            cur.execute(queries.MARK_CLOSED, (payment["id"],))
        return IGNORED


def _decisive(outcomes: list[Outcome]) -> Outcome:
    """What several transactions of one payment came to, for the run's report and the work
    after commit: a refund owed first, then a sale, then a mismatch, then money booked to
    go back (SHORT_TRANSFER, SECOND_PAYMENT), then the last."""
    ranked = (
        lambda o: o == REFUND_DUE,
        lambda o: o.is_applied and o not in (SHORT_TRANSFER, SECOND_PAYMENT),
        lambda o: o == AMOUNT_MISMATCH,
        lambda o: o.is_applied,
    )
    for wanted in ranked:
        for outcome in outcomes:
            if wanted(outcome):
                return outcome
    return outcomes[-1]
