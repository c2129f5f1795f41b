"""Gateway webhooks: verified before parsing, stored by event id, applied forward-only.

A verified event is always acknowledged (2xx) and stored, whatever its shape: a gateway
retries anything else for days. Only a database we cannot reach answers 5xx. An event we
could not check with the gateway is stored as unverified (`outcomes`); its redelivery is tried
again, and reconciliation settles the payment meanwhile.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import stripe

from api_server.common.errors import Malformed, Unauthenticated
from api_server.common.outbox import OutboxDispatcher
from api_server.common.validation import strict_loads
from api_server.config import Config
from api_server.db import DATABASE_DOWN, Database
from api_server.observability.tracing import annotate
from api_server.payments import queries
from api_server.payments.disputes import record_chargeback, record_chargeback_closed
from api_server.payments.gateways import (
    Failure,
    GatewayError,
    GatewayStatus,
    SeenStatus,
    TransactionVerifier,
)
from api_server.payments.outcomes import (
    DUPLICATE,
    ERROR,
    IGNORED,
    MALFORMED,
    REFUND_DUE,
    UNKNOWN_REFERENCE,
    VERIFICATION_MISMATCH,
    Outcome,
    ack,
    render,
)
from api_server.payments.problems import gateway_problem
from api_server.payments.queries import PaymentRow
from api_server.payments.refunds import settle_dispute_by_refund
from api_server.payments.service import PaymentsService
from api_server.payments.settlement import apply_gateway_status, transition
from api_server.payments.stripe_gateway import (
    StripeGateway,
    failure_of,
    from_stripe_amount,
    intent_id,
    intent_status,
)

# Applies one event to its locked payment row; returns the outcome recorded with the event.
Apply = Callable[[Any, PaymentRow], Outcome]
_log = logging.getLogger("api_server.payments.webhooks")
STRIPE_TOLERANCE_SECONDS = 300
# Events about the charge, which exists only once the intent succeeded.
_CHARGE_EVENTS = frozenset({"charge.refunded", "charge.dispute.created", "charge.dispute.closed"})
# The API has booked the money (whatever was refunded or disputed since).
_SOLD = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})
# What PostgreSQL's text and jsonb cannot hold.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What each PaymentIntent event says of the intent, whatever else its object carries.
_INTENT_EVENTS: dict[str, SeenStatus] = {
    "payment_intent.processing": "processing",
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "requires_payment_method",
    "payment_intent.canceled": "canceled",
    "payment_intent.requires_action": "requires_action",
}
# Open statuses an attempt reaches after a decline: a decline event finding the payment in one
# may be older than the attempt, so the PaymentIntent is read again before it is applied.
_MOVED_ON = ("processing", "requires_action")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ref(value: Any) -> str | None:
    """An id that Stripe may send as an id or expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


class WebhookService:
    """Turns gateway notifications into payment transitions, exactly once per event."""

    def __init__(
        self,
        config: Config,
        db: Database,
        outbox: OutboxDispatcher,
        payments: PaymentsService,
        stripe_gateway: StripeGateway,
        flutterwave: TransactionVerifier,
    ) -> None:
        self._config = config
        self._db = db
        self._outbox = outbox
        self._payments = payments
        self._stripe = stripe_gateway
        self._flutterwave = flutterwave

    # Stripe

    def stripe(self, payload: bytes, signature: str | None) -> dict[str, str]:
        """Verifies the Stripe-Signature with the SDK, then stores and applies the event once."""
        try:
            # Verification only: the SDK's construct_event would also build a StripeObject
            # tree we never use (a tenth of a webhook's CPU under load).
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature or "",
                self._config.stripe_webhook_secret,
                tolerance=STRIPE_TOLERANCE_SECONDS,
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise Malformed(
                "invalid_signature", "The Stripe-Signature header does not verify."
            ) from exc
        # Verified: the plain JSON is read (as construct_event would), strictly.
        event = _dict(_event_json(payload))
        event_id = _ref(event.get("id")) or _digest(payload)
        raw_type = event.get("type")
        event_type = raw_type if isinstance(raw_type, str) and raw_type else "unknown"
        obj = _dict(_dict(event.get("data")).get("object"))
        is_intent = event_type.startswith("payment_intent.")
        reference = _ref(obj.get("id")) if is_intent else _ref(obj.get("payment_intent"))
        outcome = self._store_and_apply(
            "stripe",
            (event_id, event_type, payload),
            reference,
            lambda cur, payment: self._apply_stripe(cur, payment, event_type, obj, event_id),
        )
        return ack(outcome)

    def _apply_stripe(
        self, cur: Any, payment: PaymentRow, event_type: str, obj: dict[str, Any], eid: str
    ) -> Outcome:
        cause = f"event:{eid}"
        if event_type in _CHARGE_EVENTS and payment["status"] not in _SOLD:
            # A charge event proves a charge, and Stripe does not order events: its
            # payment_intent.succeeded may still be on its way. The payment catches up with
            # the intent first, so a refund or a chargeback lands on the sale it belongs to.
            caught_up = self._catch_up(cur, payment, cause)
            if caught_up is not None:
                return caught_up
        if event_type == "charge.dispute.created":
            return record_chargeback(
                cur,
                payment,
                reason=str(obj.get("reason") or "stripe"),
                provider_dispute_id=_ref(obj.get("id")),
                cause=cause,
            )
        if event_type == "charge.dispute.closed":
            raw_status = obj.get("status")
            return record_chargeback_closed(
                cur,
                payment,
                provider_dispute_id=_ref(obj.get("id")),
                stripe_status=raw_status if isinstance(raw_status, str) else None,
                reason=str(obj.get("reason") or "stripe"),
                cause=cause,
            )
        if event_type == "charge.refunded":
            return self._external_refund(cur, payment, obj, cause)
        status = _INTENT_EVENTS.get(event_type)
        if status is None:
            return IGNORED
        if status == "requires_payment_method" and payment["status"] in _MOVED_ON:
            # Stripe does not deliver events in the order they were made (docs.stripe.com/
            # webhooks, "Event ordering"): the decline of an earlier card can arrive after the
            # buyer's next attempt moved the payment on. What counts is the intent now.
            try:
                return apply_gateway_status(
                    cur, payment, self._stripe.intent(intent_id(payment)), cause
                )
            except GatewayError as exc:
                return Outcome.unverified(exc.kind)
        seen = replace(intent_status(obj), status=status)
        if status == "requires_payment_method":
            failure = failure_of(obj.get("last_payment_error")) or Failure("payment_failed")
            seen = replace(seen, failure=failure)
        if status == "succeeded" and (seen.amount is None or seen.currency is None):
            # A partial object: ask Stripe itself before giving any value.
            try:
                seen = replace(self._stripe.intent(intent_id(payment)), status=status)
            except GatewayError as exc:
                return Outcome.unverified(exc.kind)
        return apply_gateway_status(cur, payment, seen, cause)

    def _catch_up(self, cur: Any, payment: PaymentRow, cause: str) -> Outcome | None:
        """Applies the intent as Stripe has it now; an outcome to stop at, or None to go on."""
        try:
            seen = self._stripe.intent(intent_id(payment))
        except GatewayError as exc:
            return Outcome.unverified(exc.kind)
        if seen.status != "succeeded":
            return None
        outcome = apply_gateway_status(cur, payment, seen, cause)
        # A late success that must be given back is refunded in full after the commit.
        return outcome if outcome == REFUND_DUE else None

    @staticmethod
    def _external_refund(cur: Any, payment: PaymentRow, obj: dict[str, Any], cause: str) -> Outcome:
        """Refunds made outside the API (the dashboard) still reach our books."""
        if payment["status"] not in _SOLD:
            return IGNORED  # nothing was sold to refund (the intent did not succeed)
        raw = obj.get("amount_refunded")
        if not isinstance(raw, int) or isinstance(raw, bool):
            return IGNORED
        total = from_stripe_amount(raw, payment["currency"])
        if total is None:
            return IGNORED
        # Our own refunds are booked under the lock this event waited for, so a total above
        # what is booked is money refunded elsewhere (the dashboard), however it interleaved;
        # except what a refund of ours of unknown outcome may explain (the only kind held past
        # its transaction): reconciliation's lookup books or fails that one, counting it once.
        held = payment["refund_pending"]
        if total <= payment["amount_refunded"] + held:
            return IGNORED
        booked = min(total, payment["amount"]) - held
        cur.execute(queries.SET_REFUNDED_TOTAL, (booked, payment["id"]))
        if booked >= payment["amount"]:
            settle_dispute_by_refund(
                cur, payment, by=None, note="refunded at Stripe", refund_id=None
            )
            moved = transition(cur, payment, "refunded", cause)
            return Outcome.applied("refunded") if moved else IGNORED
        if payment["status"] == "disputed":
            return Outcome.applied("refund_booked")  # part of a disputed payment: still disputed
        moved = transition(cur, payment, "partially_refunded", cause)
        return Outcome.applied("partially_refunded") if moved else IGNORED

    # Flutterwave

    def flutterwave(self, payload: bytes, verif_hash: str | None) -> dict[str, str]:
        """Checks verif-hash in constant time, re-verifies the transaction, then applies it."""
        expected = self._config.flutterwave_secret_hash.encode()
        if not expected or not hmac.compare_digest((verif_hash or "").encode(), expected):
            raise Unauthenticated("invalid_signature", "The verif-hash header is wrong.")
        body = _dict(_event_json(payload))
        data = _dict(body.get("data"))
        raw_kind = body.get("event")
        kind = raw_kind if isinstance(raw_kind, str) and raw_kind else "charge.completed"
        transaction_id = data.get("id")
        if not isinstance(transaction_id, int | str) or isinstance(transaction_id, bool):
            return ack(
                self._store_and_apply(
                    "flutterwave", (_digest(payload), kind, payload), None, None, MALFORMED
                )
            )
        event_id = f"{kind}:{transaction_id}:{data.get('status')}"
        tx_ref = str(data.get("tx_ref") or "")
        with self._db.transaction() as cur:
            cur.execute(queries.EVENT_SEEN, ("flutterwave", event_id))
            if cur.fetchone() is not None:
                return ack(DUPLICATE)
        return ack(
            self.settle_flutterwave(
                str(transaction_id), tx_ref, f"event:{event_id}", (event_id, kind, payload)
            )
        )

    def settle_flutterwave(
        self,
        transaction_id: str,
        tx_ref: str,
        cause: str,
        event: tuple[str, str, bytes] | None = None,
    ) -> Outcome:
        """Gives value only for what GET /v3/transactions/{id}/verify confirms."""
        try:
            seen = self._flutterwave.verify(transaction_id)
        except GatewayError as exc:
            if exc.kind == "rejected":
                seen = GatewayStatus("unknown", reference=tx_ref, transaction_id=transaction_id)
            elif event is None:
                # The customer's return waits on this answer: a clear 502/503/504, and the
                # webhook or reconciliation settles the payment later.
                raise gateway_problem(exc) from exc
            else:
                # Says nothing about the payment: stored as unverified, tried again later.
                unverified = Outcome.unverified(exc.kind)
                return self._store_and_apply("flutterwave", event, tx_ref, lambda c, p: unverified)

        def apply(cur: Any, payment: PaymentRow) -> Outcome:
            if seen.status == "unknown" or seen.reference != tx_ref:
                return VERIFICATION_MISMATCH
            return apply_gateway_status(cur, payment, seen, cause)

        if event is not None:
            return self._store_and_apply("flutterwave", event, tx_ref, apply)
        return self._apply_unrecorded(tx_ref, apply)

    def abandon_flutterwave(self, tx_ref: str) -> Outcome:
        """The hosted page sent the customer back without a transaction ("cancelled").

        Nothing proves it: the address is public and the payment id in it is seen by the
        seller. So it changes nothing; the order stays payable until the buyer cancels it
        (authenticated), its window ends, or a verified success arrives.
        """
        with self._db.transaction() as cur:
            cur.execute(queries.PAYMENT_BY_REF, ("flutterwave", tx_ref))
            known = cur.fetchone() is not None
        return IGNORED if known else UNKNOWN_REFERENCE

    # Shared

    def _store_and_apply(
        self,
        provider: str,
        event: tuple[str, str, bytes],
        reference: str | None,
        apply: Apply | None,
        without_payment: Outcome = UNKNOWN_REFERENCE,
    ) -> Outcome:
        """Stores the event (once), applies it to its payment under the row lock."""
        event_id, event_type, payload = event
        annotate(**{"webhook.provider": provider, "webhook.event": event_type})
        with self._db.transaction() as cur:
            cur.execute(
                queries.RECORD_EVENT,
                (provider, event_id, event_type, _json_text(payload)),
            )
            row = cur.fetchone()
            if row is None:
                return DUPLICATE
            payment = None
            if reference:
                cur.execute(queries.LOCK_PAYMENT_BY_REF, (provider, reference))
                payment = cur.fetchone()
            outcome = without_payment if payment is None else self._guarded(cur, apply, payment)
            cur.execute(
                queries.EVENT_OUTCOME, (render(outcome), payment and payment["id"], row["id"])
            )
        self._after(outcome, payment and payment["id"])
        return outcome

    def _apply_unrecorded(self, reference: str, apply: Apply) -> Outcome:
        with self._db.transaction() as cur:
            cur.execute(queries.LOCK_PAYMENT_BY_REF, ("flutterwave", reference))
            payment = cur.fetchone()
            outcome = UNKNOWN_REFERENCE if payment is None else self._guarded(cur, apply, payment)
        self._after(outcome, payment and payment["id"])
        return outcome

    @staticmethod
    def _guarded(cur: Any, apply: Apply | None, payment: PaymentRow) -> Outcome:
        """Applies under a savepoint: a shape we did not foresee is logged, never a 500."""
        if apply is None:
            return IGNORED
        cur.execute("SAVEPOINT apply_event")
        try:
            outcome = apply(cur, payment)
        except DATABASE_DOWN:
            raise
        except Exception:
            _log.exception("webhook for payment %s could not be applied", payment["id"])
            cur.execute("ROLLBACK TO SAVEPOINT apply_event")
            return ERROR
        # Not released: COMMIT ends it with the transaction, one round trip fewer an event.
        return outcome

    def _after(self, outcome: Outcome, payment_id: str | None) -> None:
        """After commit: wake the mailer; give back a late success we could not sell."""
        if outcome.kind in ("applied", "amount_mismatch", "refund_due"):
            _log.info("payment %s: %s", payment_id, render(outcome))
        if outcome == REFUND_DUE and payment_id is not None:
            self._payments.refunds.refund_due(payment_id)
        if (outcome.is_applied or outcome == REFUND_DUE) and payment_id is not None:
            # Money of a transfer that is not the payment's (short, excess, a second one).
            self._payments.receipts.give_back(payment_id)
        self._outbox.wake()


def _digest(payload: bytes) -> str:
    """An id for an event that carries none of its own, stable across redeliveries."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def _event_json(payload: bytes) -> Any:
    """A verified webhook's JSON; 400 for what no gateway sends and PostgreSQL cannot store
    (NaN or Infinity, nesting past the parser's depth, NUL or a lone surrogate in a string)."""
    try:
        event = strict_loads(payload)
    except ValueError as exc:
        raise Malformed("malformed_event", f"The event is not JSON we can read: {exc}.") from exc
    if not _storable(event):
        raise Malformed("malformed_event", "The event holds NUL or a lone surrogate in a string.")
    return event


def _storable(value: Any) -> bool:
    if isinstance(value, str):
        return not _UNSTORABLE.search(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def _json_text(payload: bytes) -> str:
    """The payload as JSON text for the jsonb column (`_event_json` has read it)."""
    return payload.decode("utf-8")
