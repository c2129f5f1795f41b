"""Refunds of the Stripe stand-in (docs.stripe.com/api/refunds/create, /list).

A mixin of ``StripeState``: it uses its stores (``_charges``, ``_intents``, ``_refunds``),
``_lock``, ``_succeeded_charge``, ``_emit`` and ``_render``.

``GET /v1/refunds`` (https://docs.stripe.com/api/refunds/list): "Returns a list of all
refunds you created ... in sorted order, with the most recent refunds appearing first";
``charge`` and ``payment_intent`` only return the refunds of that charge or PaymentIntent,
``created`` those created in the interval; ``limit`` (1-100, default 10), ``starting_after``
and ``ending_before`` page as every Stripe list does (docs.stripe.com/api/pagination).
Its parameter rule (``LIST_REFUNDS_PARAMS``, ``check_list_refunds``) is in
``sandbox.stripe.rules``; ``list_refunds`` answers the route.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

from sandbox.stripe import objects
from sandbox.stripe.errors import Obj, invalid, no_such
from sandbox.stripe.lists import created_filter, page
from sandbox.stripe.params import metadata, money


class RefundsMixin:
    """``create_refund`` for ``StripeState``: partial until the captured amount is used up."""

    # What it uses of the class it is mixed into (StripeState, EventsMixin), typed so mypy
    # checks every use; annotations only, nothing is shadowed at run time.
    _lock: threading.RLock
    _charges: dict[str, Obj]
    _intents: dict[str, Obj]
    _refunds: dict[str, Obj]
    _succeeded_charge: Callable[[Obj], Obj | None]
    _emit: Callable[[str, Obj, Obj], Obj]
    _render: Callable[[Obj, str, Obj], Obj]

    def create_refund(self, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            charge = self._refundable_charge(params)
            if charge["disputed"]:
                raise invalid(
                    f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                    None,
                    "charge_disputed",
                )
            left = charge["amount_captured"] - charge["amount_refunded"]
            if left <= 0:
                raise invalid(
                    f"Charge {charge['id']} has already been refunded.",
                    None,
                    "charge_already_refunded",
                )
            amount = int(params["amount"]) if params.get("amount") else left
            if amount > left:
                cur = charge["currency"]
                than = (
                    f"unrefunded amount on charge ({money(left, cur)})"
                    if charge["amount_refunded"]
                    else f"charge amount ({money(charge['amount_captured'], cur)})"
                )
                raise invalid(
                    f"Refund amount ({money(amount, cur)}) is greater than {than}",
                    "amount",
                    "amount_too_large",
                )
            refund = objects.refund(charge, amount, params.get("reason") or None, metadata(params))
            self._refunds[refund["id"]] = refund
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            refunds = charge["refunds"]
            refunds["data"].insert(0, copy.deepcopy(refund))
            refunds["total_count"] = len(refunds["data"])
            self._emit("charge.refunded", charge, ctx)
            self._emit("refund.created", refund, ctx)
            return self._render(refund, "refund", params)

    def list_refunds(self, params: Obj) -> Obj:
        """``GET /v1/refunds``: every refund, newest first, filtered by ``charge``,
        ``payment_intent`` and ``created``. An unknown id lists nothing: the page documents
        no error for it."""
        with self._lock:
            items = list(reversed(self._refunds.values()))  # made in this order
            for name in ("charge", "payment_intent"):
                if params.get(name):
                    items = [r for r in items if r.get(name) == params[name]]
            items = created_filter(items, params.get("created"))
            listed = page([copy.deepcopy(r) for r in items], "/v1/refunds", params, "refund")
            return self._render(listed, "list:refund", params)

    def _refundable_charge(self, params: Obj) -> Obj:
        if params.get("charge"):
            charge = self._charges.get(str(params["charge"]))
            if charge is None:
                raise no_such("charge", str(params["charge"]), "charge")
            if charge["status"] != "succeeded":
                raise invalid(
                    f"Charge {charge['id']} did not succeed, so it cannot be refunded.",
                    "charge",
                    "charge_not_refundable",
                )
            return charge
        if params.get("payment_intent"):
            pi_id = str(params["payment_intent"])
            pi = self._intents.get(pi_id)
            if pi is None:
                raise no_such("payment_intent", pi_id, "payment_intent")
            charge = self._succeeded_charge(pi)
            if charge is None:
                # The message real answers carry; Stripe documents no code for this case.
                raise invalid(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund."
                )
            return charge
        raise invalid(
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            None,
            "parameter_missing",
        )
