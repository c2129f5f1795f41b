"""Refunds: set aside under the payment's lock, sent to the gateway, then booked.

Sellers and admins refund through the API; the system itself refunds a late success it could
not sell (the stock was gone), and reconciliation retries that refund until it goes through.

A refund the gateway did not answer (a timeout, a 5xx) may have been made. It is looked up
in the gateway's records at once (Flutterwave's GET /v3/refunds, Stripe's GET /v1/refunds):
found, it is booked; otherwise it stays pending with its amount held, and reconciliation
books or fails it once the gateway's records say which. A gateway whose refunds cannot be
looked up has such a refund failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api_server.common.audit import record_audit
from api_server.common.errors import Conflict, DomainError, Invalid, NotFound
from api_server.common.money import to_major, whole_major
from api_server.common.outbox import OutboxDispatcher, enqueue_email
from api_server.db import Database
from api_server.payments import queries
from api_server.payments.gateways import (
    Gateway,
    GatewayError,
    RefundLookup,
    RefundSeen,
    outcome_unknown,
)
from api_server.payments.outcomes import IGNORED, Outcome
from api_server.payments.problems import gateway_problem, unknown_refund_problem
from api_server.payments.queries import PaymentRow
from api_server.payments.settlement import transition

# How long after its call a refund must be missing from the gateway's records before it is
# known not to have been made: far beyond any client timeout, so a call the gateway is
# still carrying out is never taken for one it refused.
UNKNOWN_OUTCOME_GRACE_SECONDS = 300


class RefundUnresolved(Exception):
    """The gateway gave back money none of our refunds explains: a person must decide."""


@dataclass
class Attempt:
    """One refund inside a caller's transaction: the refund booked, or the problem to answer
    once that transaction has committed what it wrote (a failed or a held refund)."""

    refund: dict[str, Any] | None = None
    problem: DomainError | None = None

    def result(self) -> dict[str, Any]:
        if self.problem is not None:
            raise self.problem
        assert self.refund is not None
        return self.refund


def settle_dispute_by_refund(
    cur: Any,
    payment: PaymentRow,
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
        with self._db.transaction() as cur:
            attempt = self.refund_within(
                cur,
                payment_id,
                actor_id=actor_id,
                amount=amount,
                reason=reason,
                request_id=request_id,
                allow_disputed=allow_disputed,
                dispute_note=dispute_note,
            )
        return attempt.result()

    def refund_within(
        self,
        cur: Any,
        payment_id: str,
        *,
        actor_id: str | None,
        amount: int | None,
        reason: str | None,
        request_id: str | None,
        allow_disputed: bool = False,
        dispute_note: str | None = None,
    ) -> Attempt:
        """`refund` inside the caller's transaction (one connection: a dispute's resolution
        holds its lock across the refund). The caller commits, then answers the problem."""
        # The payment stays locked from the check of its balance through the gateway call to
        # the booking: a charge.refunded webhook (ours, or a dashboard refund with Stripe's
        # cumulative total) waits and finds this refund booked, so it is counted once; and
        # if the booking cannot be written, nothing of it is: the refund Stripe made then
        # reaches the books through that webhook, never as a pending refund held for ever.
        locked, refund_id, amount = self._hold(
            cur, payment_id, actor_id, amount, reason, allow_disputed
        )
        gateway = self._gateways[locked["provider"]]
        try:
            provider_id = gateway.refund(locked, amount=amount, refund_id=refund_id)
        except GatewayError as exc:
            found, problem = self._unanswered(cur, gateway, locked, refund_id, exc)
            if found is None:
                return Attempt(problem=problem)
            provider_id = found
        refund = self._book(cur, locked, refund_id, provider_id, actor_id, dispute_note or reason)
        self._audit(cur, locked, refund_id, actor_id, reason, request_id)
        return Attempt(
            {**refund, "payment_id": payment_id, "created_at": refund["created_at"].isoformat()}
        )

    def _unanswered(
        self,
        cur: Any,
        gateway: Gateway,
        locked: PaymentRow,
        refund_id: str,
        exc: GatewayError,
    ) -> tuple[str | None, DomainError | None]:
        """After a failed gateway call: the refund's id if it was made after all, else the
        problem to answer. A refusal fails it; a call that may have been carried out keeps
        its amount held until the gateway's records say (a retry would refund twice)."""
        if not (outcome_unknown(exc) and isinstance(gateway, RefundLookup)):
            cur.execute(
                queries.REFUND_FAILED, {"refund_id": refund_id, "code": f"gateway_{exc.kind}"}
            )
            return None, gateway_problem(exc)
        try:
            seen = gateway.find_refund(locked, refund_id=refund_id)
        except GatewayError:
            seen = RefundSeen("unclear")
        if seen.state == "made":
            self._book_seen(cur, locked, refund_id, seen)
            return seen.provider_id or refund_id, None
        # Missing right after the call proves nothing: the gateway may still be making it.
        record_audit(
            cur,
            actor_id=None,
            action="payment.refund_unknown",
            target_type="payment",
            target_id=locked["id"],
            details={"refund_id": refund_id, "error": f"gateway_{exc.kind}"},
        )
        return None, unknown_refund_problem(exc, refund_id)

    def settle_unknown(self, cur: Any, locked: PaymentRow) -> Outcome:
        """Books or fails the locked payment's refunds of unknown outcome, as the gateway's
        records say (reconciliation); an applied outcome when one moved. Raises GatewayError when
        the gateway cannot say, RefundUnresolved when its records contradict ours."""
        gateway = self._gateways[locked["provider"]]
        if not isinstance(gateway, RefundLookup):
            return IGNORED
        grace = {"payment_id": locked["id"], "grace": UNKNOWN_OUTCOME_GRACE_SECONDS}
        cur.execute(queries.UNKNOWN_REFUNDS, grace)
        outcome = IGNORED
        for row in cur.fetchall():
            seen = gateway.find_refund(locked, refund_id=row["id"])
            if seen.state == "made":
                self._book_found(cur, locked, row, seen)
                outcome = Outcome.applied("refund_booked")
            elif seen.state == "absent" and row["settled_at_gateway"]:
                self._fail_missing(cur, locked, row)
                outcome = Outcome.applied("refund_failed")
            elif seen.state == "unclear" and row["settled_at_gateway"]:
                raise RefundUnresolved(row["id"])
        return outcome

    def _book_found(
        self, cur: Any, locked: PaymentRow, row: dict[str, Any], seen: RefundSeen
    ) -> None:
        self._book_seen(cur, locked, row["id"], seen)
        provider_id = seen.provider_id or row["id"]
        self._book(cur, locked, row["id"], provider_id, row["requested_by"], row["reason"])
        self._audit(cur, locked, row["id"], row["requested_by"], row["reason"], None)
        cur.execute(queries.PAYMENT, (locked["id"],))
        booked = cur.fetchone()
        if (
            booked["refund_due_reason"] is not None
            and booked["amount_refunded"] >= booked["amount"]
        ):
            # The refund of a late success it could not sell: the debt is paid.
            cur.execute(queries.CLEAR_REFUND_DUE, (locked["id"],))
            self._tell_buyer(cur, booked)

    @staticmethod
    def _book_seen(cur: Any, locked: PaymentRow, refund_id: str, seen: RefundSeen) -> None:
        """Before a found refund is booked: the money a gateway event booked meanwhile as given
        back elsewhere (Stripe's charge.refunded, with its cumulative total, reached the books
        while ours was held) is taken back from `amount_refunded`, since it was ours. So the
        booking ends at the gateway's own total, and ours is counted once."""
        if seen.given_back is None:
            return
        cur.execute(queries.PAYMENT, (locked["id"],))
        now = cur.fetchone()
        cur.execute(queries.REFUNDS, (locked["id"],))
        amount = next(r["amount"] for r in cur.fetchall() if r["id"] == refund_id)
        # Booking adds `amount`; the total must not pass what the gateway gave back (nor go
        # below what was booked before: that is never taken back here).
        target = max(now["amount_refunded"], min(now["amount_refunded"] + amount, seen.given_back))
        counted_twice = now["amount_refunded"] + amount - target
        if counted_twice > 0:
            cur.execute(
                queries.SET_REFUNDED_TOTAL,
                (now["amount_refunded"] - counted_twice, locked["id"]),
            )
            record_audit(
                cur,
                actor_id=None,
                action="payment.refund_counted_once",
                target_type="payment",
                target_id=locked["id"],
                details={"refund_id": refund_id, "already_booked": counted_twice},
            )

    @staticmethod
    def _fail_missing(cur: Any, locked: PaymentRow, row: dict[str, Any]) -> None:
        cur.execute(queries.REFUND_FAILED, {"refund_id": row["id"], "code": "not_made_at_gateway"})
        record_audit(
            cur,
            actor_id=None,
            action="payment.refund_failed",
            target_type="payment",
            target_id=locked["id"],
            details={"refund_id": row["id"], "amount": row["amount"], "cause": "reconcile"},
        )

    @staticmethod
    def _audit(
        cur: Any,
        locked: PaymentRow,
        refund_id: str,
        actor_id: str | None,
        reason: str | None,
        request_id: str | None,
    ) -> None:
        cur.execute(queries.REFUNDS, (locked["id"],))
        amount = next(r["amount"] for r in cur.fetchall() if r["id"] == refund_id)
        record_audit(
            cur,
            actor_id=actor_id,
            action="payment.refund",
            target_type="payment",
            target_id=locked["id"],
            details={
                "refund_id": refund_id,
                "amount": amount,
                "currency": locked["currency"],
                "reason": reason,
            },
            request_id=request_id,
        )

    @staticmethod
    def _book(
        cur: Any,
        locked: PaymentRow,
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
        if done or locked["status"] != "disputed":
            # Part of a disputed payment (a held refund booked after the buyer disputed) leaves
            # it disputed: the dispute's resolution decides where it stands.
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
            self._tell_buyer(cur, payment)
        self._outbox.wake()
        return True

    @staticmethod
    def _tell_buyer(cur: Any, payment: PaymentRow) -> None:
        """The buyer's email for a late success refunded in full."""
        cur.execute(queries.BUYER, (payment["id"],))
        buyer = cur.fetchone()
        total = f"{to_major(payment['amount'], payment['currency'])} {payment['currency']}"
        enqueue_email(
            cur,
            buyer["email"],
            f"Refund for payment {payment['id']}",
            f"Hello {buyer['full_name']},\n\nYour payment of {total} reached us after the "
            "order had lapsed and the goods were no longer available, so we refunded it "
            f"in full.\nPayment: {payment['id']}\n",
        )

    @staticmethod
    def _hold(
        cur: Any,
        payment_id: str,
        actor_id: str | None,
        amount: int | None,
        reason: str | None,
        allow_disputed: bool,
    ) -> tuple[PaymentRow, str, int]:
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
        if payment["refund_pending"] > 0:
            # Only a refund of unknown outcome stays pending past its transaction: until the
            # gateway says whether it made it, another refund may give the money back twice.
            raise Conflict(
                "refund_outcome_pending",
                "A refund of this payment is being checked with the payment gateway; "
                "try again once it is booked or failed.",
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
