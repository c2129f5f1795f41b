"""Disputes: the buyer (or Stripe) contests a paid payment; an admin refunds or rejects, or,
for a chargeback, the card network decides (Stripe's charge.dispute.closed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg2.extras import RealDictCursor

from api_server.auth.principal import Principal
from api_server.common.audit import record_audit
from api_server.common.errors import Conflict, DomainError, Forbidden, NotFound
from api_server.common.pagination import page_body, paging
from api_server.db import Database
from api_server.payments import queries
from api_server.payments.outcomes import (
    CHARGEBACK_CLOSED_RECORDED,
    CHARGEBACK_RECORDED,
    IGNORED,
    Outcome,
)
from api_server.payments.queries import PaymentRow
from api_server.payments.service import PaymentsService
from api_server.payments.settlement import transition

DISPUTABLE = ("succeeded", "partially_refunded")
# docs.stripe.com/api/events/types: charge.dispute.closed "Occurs when a dispute is closed and
# the dispute status changes to lost, warning_closed, or won" (docs.stripe.com/api/disputes/
# object). `won` is the seller's; `warning_closed` ends an inquiry that never became a
# chargeback and took no money, so the seller keeps it as when won.
CHARGEBACK_OUTCOMES = {
    "won": "chargeback_won",
    "warning_closed": "chargeback_won",
    "lost": "chargeback_lost",
}


def after_dispute(payment: PaymentRow) -> str:
    """Where a payment whose dispute ended in the seller's favour stands: as it was before,
    less what was refunded while it was disputed (a dashboard refund, a held one booked)."""
    if payment["amount_refunded"] >= payment["amount"]:
        return "refunded"
    return "partially_refunded" if payment["amount_refunded"] > 0 else "succeeded"


def public_dispute(row: dict[str, Any]) -> dict[str, Any]:
    """The dispute as the API shows it."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def open_dispute(
    cur: RealDictCursor,
    payment: PaymentRow,
    *,
    source: str,
    opened_by: str | None,
    reason: str,
    details: str | None,
    provider_dispute_id: str | None,
    cause: str,
    request_id: str | None = None,
) -> str | None:
    """Opens a dispute on a locked payment; None when one is already open or it is not paid."""
    if payment["status"] not in DISPUTABLE:
        return None
    cur.execute(
        queries.INSERT_DISPUTE,
        (payment["id"], source, opened_by, provider_dispute_id, reason, details, payment["status"]),
    )
    row = cur.fetchone()
    if row is None:
        return None
    transition(cur, payment, "disputed", cause)
    record_audit(
        cur,
        actor_id=opened_by,
        action="dispute.open",
        target_type="payment",
        target_id=payment["id"],
        details={"dispute_id": row["id"], "source": source, "reason": reason},
        request_id=request_id,
    )
    return row["id"]


def record_chargeback(
    cur: RealDictCursor,
    payment: PaymentRow,
    *,
    reason: str,
    provider_dispute_id: str | None,
    cause: str,
) -> Outcome:
    """A chargeback Stripe reports is always recorded, whatever dispute the buyer opened.

    A paid payment gets a dispute of its own; one the buyer already disputes has that
    dispute tied to the chargeback, which the card network now decides (not an admin). Any
    other payment keeps its status, and the chargeback stays on its audit trail.
    """
    opened = open_dispute(
        cur,
        payment,
        source="stripe",
        opened_by=None,
        reason=reason,
        details=None,
        provider_dispute_id=provider_dispute_id,
        cause=cause,
    )
    if opened is not None:
        return Outcome.applied("disputed")
    linked = None
    if payment["status"] == "disputed":
        cur.execute(queries.LINK_CHARGEBACK, (provider_dispute_id, payment["id"]))
        row = cur.fetchone()
        linked = row and row["id"]
    record_audit(
        cur,
        actor_id=None,
        action="dispute.chargeback",
        target_type="payment",
        target_id=payment["id"],
        details={
            "provider_dispute_id": provider_dispute_id,
            "dispute_id": linked,
            "reason": reason,
            "payment_status": payment["status"],
        },
    )
    return Outcome.applied("chargeback_linked") if linked else CHARGEBACK_RECORDED


def record_chargeback_closed(
    cur: RealDictCursor,
    payment: PaymentRow,
    *,
    provider_dispute_id: str | None,
    stripe_status: str | None,
    reason: str,
    cause: str,
) -> Outcome:
    """The card network decided a chargeback; the locked payment follows its decision.

    Won (or an inquiry closed): the dispute is `chargeback_won` and the payment returns to
    where it stood, less what was refunded meanwhile (`after_dispute`). Lost:
    `chargeback_lost`, and the payment ends refunded with amount_refunded = amount, since
    the network took the money back (a chargeback, so no refunds row). The dispute is the
    payment's one with this chargeback's id, or the buyer's open one the chargeback is
    about. A dispute already closed changes nothing: the network decides once. Stripe does
    not order events, so a closing can come before its opening: on a paid payment it is
    booked as a dispute already closed, and the late charge.dispute.created finds its id
    taken and changes nothing. On any other payment it is only audited.
    """
    status = CHARGEBACK_OUTCOMES.get(stripe_status or "")
    if status is None or provider_dispute_id is None:
        return IGNORED
    dispute = _chargeback_dispute(cur, payment, provider_dispute_id)
    if dispute is not None and dispute["status"] != "open":
        return IGNORED
    note = f"Stripe closed chargeback {provider_dispute_id}: {stripe_status}"
    before = payment["status"]
    dispute_id: str | None = None
    if dispute is not None:
        cur.execute(queries.CLOSE_CHARGEBACK, {"status": status, "note": note, "id": dispute["id"]})
        dispute_id = dispute["id"]
    elif before in DISPUTABLE:
        cur.execute(
            queries.INSERT_CLOSED_CHARGEBACK,
            {
                "payment_id": payment["id"],
                "provider_dispute_id": provider_dispute_id,
                "reason": reason,
                "status": status,
                "status_before": before,
                "note": note,
            },
        )
        row = cur.fetchone()
        dispute_id = row and row["id"]
    if dispute_id is not None:
        if status == "chargeback_lost":
            cur.execute(queries.SET_CHARGED_BACK, (payment["id"],))
            payment["amount_refunded"] = payment["amount"]
            transition(cur, payment, "refunded", cause)
        elif before == "disputed":
            transition(cur, payment, after_dispute(payment), cause)
    record_audit(
        cur,
        actor_id=None,
        action="dispute.chargeback_closed",
        target_type="payment",
        target_id=payment["id"],
        details={
            "provider_dispute_id": provider_dispute_id,
            "dispute_id": dispute_id,
            "stripe_status": stripe_status,
            "payment_status_before": before,
            "payment_status": payment["status"],
        },
    )
    return Outcome.applied(status) if dispute_id else CHARGEBACK_CLOSED_RECORDED


def _chargeback_dispute(
    cur: RealDictCursor, payment: PaymentRow, provider_dispute_id: str
) -> dict[str, Any] | None:
    """The payment's dispute for this chargeback, locked; a buyer's open one is tied to it
    first (its charge.dispute.created may not have arrived yet)."""
    cur.execute(queries.LOCK_CHARGEBACK, (provider_dispute_id, payment["id"]))
    dispute = cur.fetchone()
    if dispute is None and payment["status"] == "disputed":
        cur.execute(queries.LINK_CHARGEBACK, (provider_dispute_id, payment["id"]))
        if cur.fetchone() is not None:
            cur.execute(queries.LOCK_CHARGEBACK, (provider_dispute_id, payment["id"]))
            dispute = cur.fetchone()
    return dispute


class DisputesService:
    """Opening by buyers, listing and resolving by admins."""

    def __init__(self, db: Database, payments: PaymentsService) -> None:
        self._db = db
        self._payments = payments

    def open(
        self,
        principal: Principal,
        payment_id: str,
        reason: str,
        details: str | None,
        request_id: str | None,
    ) -> dict[str, Any]:
        """The buyer of a paid payment contests it."""
        payment = self._payments.visible(principal, payment_id)
        if payment["buyer_id"] != principal.id:
            raise Forbidden("forbidden", "Only the buyer can open a dispute.")
        with self._payments.locked(payment_id) as (cur, locked):
            if locked["status"] == "disputed":
                raise Conflict("dispute_already_open", "This payment is already disputed.")
            dispute_id = open_dispute(
                cur,
                locked,
                source="buyer",
                opened_by=principal.id,
                reason=reason,
                details=details,
                provider_dispute_id=None,
                cause=f"api:dispute:{principal.id}",
                request_id=request_id,
            )
            if dispute_id is None:
                raise Conflict(
                    "payment_not_disputable",
                    f"A {locked['status']} payment cannot be disputed.",
                )
            cur.execute(queries.DISPUTE, (dispute_id,))
            return public_dispute(cur.fetchone())

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        """Disputes, newest first, optionally by status."""
        page, per_page, offset = paging(query)
        params = {"status": query.get("status"), "limit": per_page, "offset": offset}
        with self._db.transaction() as cur:
            cur.execute(queries.LIST_DISPUTES, params)
            rows = cur.fetchall()
            # Counted apart, so a page past the end still reports the real total.
            cur.execute(queries.COUNT_DISPUTES, params)
            total = cur.fetchone()["total"]
        return page_body([public_dispute(r) for r in rows], page, per_page, total)

    def resolve(
        self, principal: Principal, dispute_id: str, outcome: str, note: str, request_id: str | None
    ) -> dict[str, Any]:
        """`refund` returns what is left through the payment's gateway; `reject` restores it.

        Two resolutions of one dispute are serialised by a lock held across the refund (a
        transaction-level advisory lock, so webhooks touching the dispute row never wait on
        it): the second finds the dispute resolved, whatever the two admins chose. The lock,
        the payment's lock, the gateway call and the booking share one transaction, so one
        resolution holds one pooled connection (a refund in a transaction of its own would
        wait for a second one, and a pool's worth of resolutions would starve the pool).
        """
        problem: DomainError | None = None
        refund_id: str | None = None
        with self._db.transaction() as cur:
            cur.execute(queries.SERIALISE_DISPUTE, (dispute_id,))
            cur.execute(queries.DISPUTE, (dispute_id,))
            dispute = cur.fetchone()
            if dispute is None:
                raise NotFound("dispute_not_found", "No such dispute.")
            self._check_resolvable(dispute)
            if outcome == "refund":
                refund_id, problem = self._refund(cur, principal, dispute, note, request_id)
            else:
                self._reject(cur, principal, dispute, note)
            if problem is None:
                self._audit(cur, principal, dispute, outcome, note, refund_id, request_id)
            cur.execute(queries.DISPUTE, (dispute_id,))
            resolved = public_dispute(cur.fetchone())
        if problem is not None:
            # Raised after the commit: a failed refund stays failed, and one of unknown
            # outcome stays held while the gateway is asked; the dispute stays open.
            raise problem
        return resolved

    def _refund(
        self,
        cur: RealDictCursor,
        principal: Principal,
        dispute: dict[str, Any],
        note: str,
        request_id: str | None,
    ) -> tuple[str | None, DomainError | None]:
        """All that is left, refunded in this transaction; its booking settles the dispute."""
        attempt = self._payments.refunds.refund_within(
            cur,
            dispute["payment_id"],
            actor_id=principal.id,
            amount=None,
            reason=f"dispute {dispute['id']}: {note}",
            request_id=request_id,
            allow_disputed=True,
            dispute_note=note,
        )
        return (attempt.refund["id"] if attempt.refund else None), attempt.problem

    def _reject(
        self, cur: RealDictCursor, principal: Principal, dispute: dict[str, Any], note: str
    ) -> None:
        """The payment returns to where it was before the dispute, less what was refunded."""
        # The payment's lock before the dispute's, as every webhook takes them: in the other
        # order a rejection and a chargeback each held one and waited for the other.
        cur.execute(queries.LOCK_PAYMENT, (dispute["payment_id"],))
        payment = cur.fetchone()
        cur.execute(queries.LOCK_DISPUTE, (dispute["id"],))
        self._check_resolvable(cur.fetchone())
        transition(cur, payment, after_dispute(payment), f"api:dispute:{dispute['id']}:rejected")
        cur.execute(
            queries.RESOLVE_DISPUTE,
            {
                "status": "resolved_rejected",
                "note": note,
                "by": principal.id,
                "refund_id": None,
                "id": dispute["id"],
            },
        )

    @staticmethod
    def _audit(
        cur: RealDictCursor,
        principal: Principal,
        dispute: dict[str, Any],
        outcome: str,
        note: str,
        refund_id: str | None,
        request_id: str | None,
    ) -> None:
        record_audit(
            cur,
            actor_id=principal.id,
            action="dispute.resolve",
            target_type="dispute",
            target_id=dispute["id"],
            details={
                "outcome": outcome,
                "note": note,
                "refund_id": refund_id,
                "payment_id": dispute["payment_id"],
            },
            request_id=request_id,
        )

    @staticmethod
    def _check_resolvable(dispute: dict[str, Any]) -> None:
        if dispute["status"] != "open":
            raise Conflict("dispute_not_open", f"The dispute is {dispute['status']}.")
        if dispute["provider_dispute_id"] is not None:
            # Stripe holds the money while the card network decides; a refund is refused and a
            # rejection would show the payment settled while it is not.
            raise Conflict(
                "dispute_at_gateway",
                f"This dispute is chargeback {dispute['provider_dispute_id']} at Stripe, "
                "which decides it; it cannot be resolved here.",
            )
