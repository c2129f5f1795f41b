"""Sandbox controls of the Stripe stand-in: crafted PaymentIntent events and disputes.

A mixin of ``StripeState`` (it uses its stores, ``_lock``, ``_intent``, ``_resolve_method``,
``_succeeded_charge`` and ``_emit``); the routes are ``/_sandbox/payment_intents/{id}/...``
and ``/_sandbox/disputes/{id}/close``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

import falcon

from sandbox.stripe import objects
from sandbox.stripe.errors import Obj, stripe_error

# Status a crafted PaymentIntent event implies for the PI it carries.
CRAFTED_STATUS = {
    "payment_intent.processing": "processing",
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "requires_payment_method",
    "payment_intent.canceled": "canceled",
    "payment_intent.requires_action": "requires_action",
    "payment_intent.amount_capturable_updated": "requires_capture",
}
SHAPES = ("expanded_charge", "minimal")
# docs.stripe.com/api/disputes/object: the statuses a chargeback ends in (the card network's
# decision; `warning_closed` ends an inquiry, which this sandbox does not open).
DISPUTE_OUTCOMES = ("won", "lost")
CLOSED_DISPUTE = ("won", "lost", "warning_closed")
MINIMAL_DROPPED = (
    "description",
    "last_payment_error",
    "latest_charge",
    "metadata",
    "next_action",
    "payment_method",
    "receipt_email",
    "shipping",
)


class ControlMixin:
    """``craft_event``, ``open_dispute`` and ``close_dispute`` for ``StripeState``."""

    # What it uses of the class it is mixed into (StripeState, EventsMixin), typed so mypy
    # checks every use; annotations only, nothing is shadowed at run time.
    _lock: threading.RLock
    _charges: dict[str, Obj]
    _disputes: dict[str, Obj]
    url: str
    _intent: Callable[[str], Obj]
    _emit: Callable[..., Obj]
    _succeeded_charge: Callable[[Obj], Obj | None]
    _resolve_method: Callable[[str], tuple[Obj, objects.TestCard]]

    def craft_event(self, pi_id: str, body: Obj) -> Obj:
        type_, shape = body.get("type"), body.get("shape")
        known = type_ in CRAFTED_STATUS
        if not isinstance(type_, str) or not (known or (body.get("unknown_type") and type_)):
            raise falcon.HTTPBadRequest(
                description=f"type must be one of {list(CRAFTED_STATUS)} "
                '(any other with "unknown_type": true)'
            )
        apply = bool(body.get("apply"))
        if apply and not known:
            raise falcon.HTTPBadRequest(description=f"apply works for {list(CRAFTED_STATUS)}")
        if shape is not None and shape not in SHAPES:
            raise falcon.HTTPBadRequest(description=f"shape must be one of {SHAPES}")
        with self._lock:
            pi = self._intent(pi_id)
            shown = pi if apply else copy.deepcopy(pi)
            if known:
                self._imply(shown, type_, apply)
            payload = copy.deepcopy(shown)
            self._shape(payload, shape)
            return self._emit(type_, payload, {}, deliver=bool(body.get("deliver", True)))

    def _imply(self, pi: Obj, type_: str, apply: bool) -> None:
        pi.update(status=CRAFTED_STATUS[type_], next_action=None)
        if type_ == "payment_intent.succeeded":
            pi.update(amount_received=pi["amount"], last_payment_error=None)
            # Only an applied success gets a real charge, so refunds and disputes work on it.
            if apply and self._succeeded_charge(pi) is None:
                method, card = self._resolve_method("pm_card_visa")
                charge = objects.charge(pi, method, card)
                self._charges[charge["id"]] = charge
                pi.update(latest_charge=charge["id"], payment_method=method["id"])
        elif type_ == "payment_intent.payment_failed":
            method, card = self._resolve_method("pm_card_chargeDeclined")
            assert card.decline is not None
            error = stripe_error(
                402,
                card.decline.message,
                type_="card_error",
                code=card.decline.code,
                decline_code=card.decline.decline_code,
            ).body["error"]
            pi.update(last_payment_error={**error, "payment_method": method}, payment_method=None)
        elif type_ == "payment_intent.canceled":
            pi.update(canceled_at=int(time.time()), cancellation_reason="requested_by_customer")
        elif type_ == "payment_intent.requires_action":
            method, _ = self._resolve_method("pm_card_threeDSecure2Required")
            challenge = f"{self.url}/_sandbox/payment_intents/{pi['id']}/authenticate"
            pi.update(
                payment_method=method["id"],
                last_payment_error=None,
                next_action=objects.next_action(pi["id"], None, challenge),
            )
        elif type_ == "payment_intent.amount_capturable_updated":
            pi.update(amount_capturable=pi["amount"], capture_method="manual")

    def _shape(self, payload: Obj, shape: str | None) -> None:
        if shape == "minimal":
            for name in MINIMAL_DROPPED:
                payload.pop(name, None)
        elif shape == "expanded_charge":
            charge = self._charges.get(payload.get("latest_charge") or "")
            if charge is None and payload["status"] == "succeeded":  # a charge not kept
                method, card = self._resolve_method("pm_card_visa")
                charge = objects.charge(payload, method, card)
            payload["latest_charge"] = copy.deepcopy(charge)

    def open_dispute(self, pi_id: str, body: Obj) -> Obj:
        with self._lock:
            charge = self._succeeded_charge(self._intent(pi_id))
            if charge is None:
                raise falcon.HTTPBadRequest(
                    description="the PaymentIntent has no successful charge"
                )
            dispute = objects.dispute(charge, str(body.get("reason") or "fraudulent"))
            self._disputes[dispute["id"]] = dispute
            charge["disputed"] = True
            self._emit("charge.dispute.created", dispute, {})
            return copy.deepcopy(dispute)

    def close_dispute(self, dispute_id: str, body: Obj) -> Obj:
        """The card network decides a chargeback: `won` (for the merchant) or `lost`."""
        outcome = body.get("outcome")
        if outcome not in DISPUTE_OUTCOMES:
            raise falcon.HTTPBadRequest(description=f"outcome must be one of {DISPUTE_OUTCOMES}")
        with self._lock:
            dispute = self._disputes.get(dispute_id)
            if dispute is None:
                raise falcon.HTTPNotFound(description=f"no dispute {dispute_id}")
            if dispute["status"] in CLOSED_DISPUTE:
                # docs.stripe.com/api/disputes/close: closing "is irreversible".
                raise falcon.HTTPBadRequest(
                    description=f"{dispute_id} is already closed ({dispute['status']})"
                )
            dispute.update(status=outcome, is_charge_refundable=False)
            # docs.stripe.com/api/events/types: charge.dispute.closed "Occurs when a dispute is
            # closed and the dispute status changes to lost, warning_closed, or won";
            # charge.dispute.funds_reinstated "Occurs when funds are reinstated to your account
            # after a dispute is closed" (a won chargeback gives the amount back; a lost one
            # keeps what was withdrawn when it opened, so nothing more is sent).
            self._emit("charge.dispute.closed", dispute, {})
            if outcome == "won":
                self._emit("charge.dispute.funds_reinstated", dispute, {})
            return copy.deepcopy(dispute)
