"""Asks the gateways about every unfinished payment and applies what webhooks missed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api_server.common.audit import record_audit
from api_server.db import Database
from api_server.payments import queries
from api_server.payments.gateways import GatewayError
from api_server.payments.service import PaymentsService
from api_server.payments.settlement import apply_gateway_status, transition


class Reconciler:
    """One pass over open payments; running it twice changes nothing the second time."""

    def __init__(self, db: Database, payments: PaymentsService) -> None:
        self._db = db
        self._payments = payments

    def run(
        self, limit: int = 500, actor_id: str | None = None, request_id: str | None = None
    ) -> dict[str, Any]:
        """Returns what it checked and every change it made; the run itself is audited."""
        with self._db.transaction() as cur:
            cur.execute(queries.OPEN_PAYMENTS, (limit,))
            ids = [row["id"] for row in cur.fetchall()]
        changes, errors = [], []
        for payment_id in ids:
            try:
                change = self._one(payment_id)
            except GatewayError as exc:
                errors.append({"payment_id": payment_id, "error": f"gateway_{exc.kind}"})
                continue
            if change is not None:
                changes.append(change)
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

    def _one(self, payment_id: str) -> dict[str, Any] | None:
        with self._payments.locked(payment_id) as (cur, payment):
            if payment["status"] not in ("pending", "processing"):
                return None  # settled meanwhile
            before = payment["status"]
            gateway = self._payments.gateways[payment["provider"]]
            seen = gateway.status(payment)
            if seen.status in ("pending", "unknown") and payment["expires_at"] <= datetime.now(UTC):
                gateway.cancel(payment)
                moved = transition(cur, payment, "canceled", "reconcile:expired")
                outcome = "applied:canceled" if moved else "ignored"
            else:
                outcome = apply_gateway_status(cur, payment, seen, "reconcile")
        if not outcome.startswith("applied"):
            return None
        return {"payment_id": payment_id, "from": before, "to": payment["status"]}
