"""Gateway webhooks: verified before parsing, stored by event id, applied forward-only."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

import stripe

from api_server.common.errors import Problem
from api_server.common.outbox import OutboxDispatcher
from api_server.config import Config
from api_server.db import Database
from api_server.payments import queries
from api_server.payments.disputes import open_dispute
from api_server.payments.gateways import FlutterwaveGateway, GatewayError, GatewayStatus
from api_server.payments.service import gateway_problem
from api_server.payments.settlement import apply_gateway_status, record_failure, transition

_log = logging.getLogger("api_server.payments.webhooks")
STRIPE_TOLERANCE_SECONDS = 300


class WebhookService:
    """Turns gateway notifications into payment transitions, exactly once per event."""

    def __init__(
        self,
        config: Config,
        db: Database,
        outbox: OutboxDispatcher,
        flutterwave: FlutterwaveGateway,
    ) -> None:
        self._config = config
        self._db = db
        self._outbox = outbox
        self._flutterwave = flutterwave

    # Stripe

    def stripe(self, payload: bytes, signature: str | None) -> dict[str, str]:
        """Verifies the Stripe-Signature with the SDK, then applies the event once."""
        try:
            stripe.Webhook.construct_event(
                payload,
                signature or "",
                self._config.stripe_webhook_secret,
                tolerance=STRIPE_TOLERANCE_SECONDS,
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise Problem(
                400, "invalid_signature", "The Stripe-Signature header does not verify."
            ) from exc
        # Verified: now the plain JSON is read (SDK objects are not dicts).
        event = json.loads(payload)
        obj = event["data"]["object"]
        is_intent = event["type"].startswith("payment_intent.")
        reference = obj.get("id") if is_intent else obj.get("payment_intent")
        with self._db.transaction() as cur:
            cur.execute(
                queries.RECORD_EVENT,
                ("stripe", event["id"], event["type"], payload.decode("utf-8")),
            )
            row = cur.fetchone()
            if row is None:
                return {"status": "duplicate"}
            cur.execute(queries.LOCK_PAYMENT_BY_REF, ("stripe", reference))
            payment = cur.fetchone()
            outcome = (
                "unknown_reference" if payment is None else self._apply_stripe(cur, payment, event)
            )
            cur.execute(queries.EVENT_OUTCOME, (outcome, payment and payment["id"], row["id"]))
        self._outbox.wake()
        return {"status": outcome}

    @staticmethod
    def _apply_stripe(cur: Any, payment: dict[str, Any], event: dict[str, Any]) -> str:
        obj = event["data"]["object"]
        cause = f"event:{event['id']}"
        if event["type"] == "charge.dispute.created":
            opened = open_dispute(
                cur,
                payment,
                source="stripe",
                opened_by=None,
                reason=str(obj.get("reason") or "stripe"),
                details=None,
                provider_dispute_id=obj.get("id"),
                cause=cause,
            )
            return "applied:disputed" if opened else "ignored"
        if event["type"] == "charge.refunded":
            # Refunds made outside the API (the dashboard) still reach our books.
            total = int(obj.get("amount_refunded") or 0)
            if total <= payment["amount_refunded"] + payment["refund_pending"]:
                return "ignored"
            cur.execute(queries.SET_REFUNDED_TOTAL, (total, payment["id"]))
            to = "refunded" if total >= payment["amount"] else "partially_refunded"
            return f"applied:{to}" if transition(cur, payment, to, cause) else "ignored"
        status = {
            "payment_intent.processing": "processing",
            "payment_intent.succeeded": "succeeded",
            "payment_intent.payment_failed": "failed",
            "payment_intent.canceled": "canceled",
        }.get(event["type"])
        if status is None:
            return "ignored"
        if status == "failed" and payment["status"] in ("pending", "processing"):
            error = obj.get("last_payment_error") or {}
            record_failure(
                cur,
                payment,
                error.get("code") or "payment_failed",
                error.get("decline_code"),
                error.get("message"),
            )
        seen = GatewayStatus(
            status,
            obj.get("amount"),
            str(obj.get("currency") or "").upper(),
            obj.get("id"),
            obj.get("latest_charge"),
        )
        return apply_gateway_status(cur, payment, seen, cause)

    # Flutterwave

    def flutterwave(self, payload: bytes, verif_hash: str | None) -> dict[str, str]:
        """Checks verif-hash in constant time, re-verifies the transaction, then applies it."""
        expected = self._config.flutterwave_secret_hash.encode()
        if not expected or not hmac.compare_digest((verif_hash or "").encode(), expected):
            raise Problem(401, "invalid_signature", "The verif-hash header is wrong.")
        try:
            body = json.loads(payload)
            data = body["data"]
            transaction_id = str(data["id"])
            event_id = f"{body.get('event', 'charge.completed')}:{transaction_id}:{data['status']}"
        except (ValueError, KeyError, TypeError) as exc:
            raise Problem(
                400, "malformed_event", "The webhook body is not a Flutterwave event."
            ) from exc
        with self._db.transaction() as cur:
            cur.execute(queries.EVENT_SEEN, ("flutterwave", event_id))
            if cur.fetchone() is not None:
                return {"status": "duplicate"}
        outcome = self.settle_flutterwave(
            transaction_id,
            str(data.get("tx_ref") or ""),
            f"event:{event_id}",
            event=(event_id, body.get("event", ""), payload),
        )
        return {"status": outcome}

    def settle_flutterwave(
        self,
        transaction_id: str,
        tx_ref: str,
        cause: str,
        event: tuple[str, str, bytes] | None = None,
    ) -> str:
        """Gives value only for what GET /v3/transactions/{id}/verify confirms."""
        try:
            seen = self._flutterwave.verify(transaction_id)
        except GatewayError as exc:
            if exc.kind == "rejected":
                seen = GatewayStatus("unknown", None, None, tx_ref, transaction_id)
            else:
                # Not recorded: Flutterwave retries and the next attempt verifies again.
                raise gateway_problem(exc) from exc
        with self._db.transaction() as cur:
            row = None
            if event is not None:
                cur.execute(
                    queries.RECORD_EVENT,
                    ("flutterwave", event[0], event[1], event[2].decode("utf-8")),
                )
                row = cur.fetchone()
                if row is None:
                    return "duplicate"
            cur.execute(queries.LOCK_PAYMENT_BY_REF, ("flutterwave", tx_ref))
            payment = cur.fetchone()
            if payment is None:
                outcome = "unknown_reference"
            elif seen.status == "unknown" or seen.reference != tx_ref:
                outcome = "verification_mismatch"
            else:
                outcome = apply_gateway_status(cur, payment, seen, cause)
            if row is not None:
                cur.execute(queries.EVENT_OUTCOME, (outcome, payment and payment["id"], row["id"]))
        if outcome.startswith("applied") or outcome == "amount_mismatch":
            _log.info("flutterwave %s for %s: %s", transaction_id, tx_ref, outcome)
        self._outbox.wake()
        return outcome

    def abandon_flutterwave(self, tx_ref: str) -> str:
        """The customer cancelled on the hosted page: cancel unless Flutterwave says it was paid."""
        with self._db.transaction() as cur:
            cur.execute(queries.PAYMENT_BY_REF, ("flutterwave", tx_ref))
            payment = cur.fetchone()
        if payment is None:
            return "unknown_reference"
        try:
            seen = self._flutterwave.status(payment)
        except GatewayError as exc:
            raise gateway_problem(exc) from exc
        with self._db.transaction() as cur:
            cur.execute(queries.LOCK_PAYMENT, (payment["id"],))
            locked = cur.fetchone()
            if seen.status == "succeeded":
                outcome = apply_gateway_status(cur, locked, seen, "return:redirect")
            elif transition(cur, locked, "canceled", "return:cancelled"):
                outcome = "applied:canceled"
            else:
                outcome = "ignored"
        return outcome
