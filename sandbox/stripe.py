"""Loopback Stripe stand-in speaking the real /v1 wire format (form in, JSON out).

The official ``stripe`` SDK talks to it unchanged when pointed at ``url`` with
``base_addresses={"api": url}``. Run standalone with ``python -m sandbox.stripe``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import falcon

from sandbox.common import (
    EventRecord,
    GatewayError,
    SandboxBase,
    new_id,
    read_json,
    run_standalone,
)

API_VERSION = "2026-10-28.endive"
STALE_SECONDS = 600
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (*CONFIRMABLE, "requires_capture", "processing")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
Obj = dict[str, Any]


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str
    message: str
    param: str | None = None


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    decline: Decline | None = None


_GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
_FUNDS = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
_EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")
_CVC = Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc")
_PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)

# Stripe's test-mode PaymentMethod shortcuts (docs.stripe.com/testing).
TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_visa_chargeDeclined": TestCard("visa", "0002", _GENERIC),
    "pm_card_chargeDeclined": TestCard("visa", "0002", _GENERIC),
    "pm_card_visa_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", _FUNDS),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", _FUNDS),
    "pm_card_chargeDeclinedExpiredCard": TestCard("visa", "0069", _EXPIRED),
    "pm_card_chargeDeclinedIncorrectCvc": TestCard("visa", "0127", _CVC),
    "pm_card_chargeDeclinedProcessingError": TestCard("visa", "0119", _PROCESSING),
}

# Status a crafted PaymentIntent event implies for the PI it carries.
CRAFTED_STATUS = {
    "payment_intent.processing": "processing",
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "requires_payment_method",
    "payment_intent.canceled": "canceled",
}


# --------------------------------------------------------------------------- wire helpers


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def parse_form(text: str) -> Obj:
    """Decodes Stripe's nested form keys (a[b]=1, a[0]=x, a[]=y) into dicts and lists."""
    root: Obj = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, bracket, rest = key.partition("[")
        parts = [head, *_BRACKETS.findall(bracket + rest)]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part or str(len(node)), {})
        node[parts[-1] or str(len(node))] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def stripe_error(
    status: int, message: str, *, type_: str = "invalid_request_error", **fields: Any
) -> GatewayError:
    body = {"type": type_, "message": message, **{k: v for k, v in fields.items() if v}}
    if "code" in body:
        body["doc_url"] = f"https://stripe.com/docs/error-codes/{body['code'].replace('_', '-')}"
    return GatewayError(status, {"error": body})


def _missing(name: str) -> GatewayError:
    return stripe_error(
        400, f"Missing required param: {name}.", code="parameter_missing", param=name
    )


def _no_such(kind: str, obj_id: str, param: str = "id") -> GatewayError:
    # A missing object in the URL is a 404; one named by a request parameter is a 400.
    status = 404 if param == "id" else 400
    return stripe_error(status, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param)


def _int_param(params: Obj, name: str, default: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise _missing(name)
        return default
    if not re.fullmatch(r"\d+", str(raw)) or int(raw) < 1:
        raise stripe_error(
            400, "Invalid positive integer", code="parameter_invalid_integer", param=name
        )
    return int(raw)


def _flag(params: Obj, name: str) -> bool:
    return str(params.get(name, "")).lower() == "true"


def _money(amount: int, currency: str) -> str:
    major = str(amount) if currency in ZERO_DECIMAL else f"{amount / 100:.2f}"
    return f"{SYMBOLS.get(currency, currency.upper() + ' ')}{major}"


def _metadata(params: Obj) -> dict[str, str]:
    meta = params.get("metadata") or {}
    if not isinstance(meta, dict):
        raise stripe_error(400, "Invalid object", code="parameter_invalid_empty", param="metadata")
    return {str(k): str(v) for k, v in meta.items() if v != ""}


def _listing(items: list[Obj], url: str, params: Obj) -> Obj:
    """Stripe's list envelope over newest-first items, honouring limit/starting_after."""
    limit = min(_int_param(params, "limit", 10), 100)
    after = params.get("starting_after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


# --------------------------------------------------------------------------- the sandbox


class StripeSandbox(SandboxBase):
    """Stripe /v1: payment intents, refunds, events, disputes (control), signed webhooks."""

    api_prefix = "/v1/"
    name = "stripe"

    def init_state(self) -> None:
        self._intents: dict[str, Obj] = {}
        self._charges: dict[str, Obj] = {}
        self._refunds: dict[str, Obj] = {}
        self._disputes: dict[str, Obj] = {}
        self._methods: dict[str, tuple[Obj, TestCard]] = {}
        self.idempotency = _IdempotencyStore()

    def env(self) -> dict[str, str]:
        return {
            "STRIPE_API_BASE": self.url,
            "STRIPE_SECRET_KEY": self.secret_key,
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
        }

    # provider hooks ---------------------------------------------------------

    def sign(self, payload: bytes, mode: str) -> dict[str, str]:
        if mode == "missing":
            return {}
        stamp = int(time.time()) - (STALE_SECONDS if mode == "stale" else 0)
        secret = self.webhook_secret + ("_wrong" if mode == "bad" else "")
        signed = f"{stamp}.".encode() + payload
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={stamp},v1={digest}"}

    def authenticate(self, req: falcon.Request) -> None:
        key = self.bearer_token(req) or _basic_user(req.get_header("Authorization"))
        if key is None:
            raise stripe_error(
                401,
                "You did not provide an API key. You need to provide your "
                "API key in the Authorization header, using Bearer auth (e.g. "
                "'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if not hmac.compare_digest(key.encode(), self.secret_key.encode()):
            raise stripe_error(401, f"Invalid API Key provided: {_redact(key)}")

    def error(self, status: int, message: str) -> GatewayError:
        type_ = "api_error" if status >= 500 else "invalid_request_error"
        return stripe_error(status, message, type_=type_)

    def middleware(self) -> list[object]:
        return [_StripeMiddleware(self)]

    def add_routes(self, app: falcon.App) -> None:
        intents = _PaymentIntents(self)
        app.add_route("/v1/payment_intents", intents, suffix="collection")
        app.add_route("/v1/payment_intents/{obj_id}", intents)
        app.add_route("/v1/payment_intents/{obj_id}/confirm", intents, suffix="confirm")
        app.add_route("/v1/payment_intents/{obj_id}/cancel", intents, suffix="cancel")
        refunds = _Refunds(self)
        app.add_route("/v1/refunds", refunds, suffix="collection")
        app.add_route("/v1/refunds/{obj_id}", refunds)
        app.add_route("/v1/charges/{obj_id}", _Charges(self))
        events = _StripeEvents(self)
        app.add_route("/v1/events", events, suffix="collection")
        app.add_route("/v1/events/{obj_id}", events)
        control = _StripeControl(self)
        app.add_route("/_sandbox/payment_intents/{obj_id}/events", control, suffix="events")
        app.add_route("/_sandbox/payment_intents/{obj_id}/dispute", control, suffix="dispute")

    # payment intents --------------------------------------------------------

    def create_payment_intent(self, params: Obj, ctx: Obj) -> Obj:
        amount = _int_param(params, "amount")
        currency = str(params.get("currency") or "").lower()
        if not currency:
            raise _missing("currency")
        pi_id = new_id("pi_")
        pi = _payment_intent(pi_id, amount, currency, params)
        with self._lock:
            if params.get("payment_method"):
                method, _ = self._resolve_method(str(params["payment_method"]))
                pi.update(payment_method=method["id"], status="requires_confirmation")
            self._intents[pi_id] = pi
            if _flag(params, "confirm"):
                self._confirm(pi, None, ctx)
            return copy.deepcopy(pi)

    def get_payment_intent(self, pi_id: str) -> Obj:
        with self._lock:
            return copy.deepcopy(self._intent(pi_id))

    def list_payment_intents(self, params: Obj) -> Obj:
        with self._lock:
            items = [copy.deepcopy(pi) for pi in reversed(self._intents.values())]
        return _listing(items, "/v1/payment_intents", params)

    def confirm_payment_intent(self, pi_id: str, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            pi = self._intent(pi_id)
            self._confirm(pi, params.get("payment_method") or None, ctx)
            return copy.deepcopy(pi)

    def cancel_payment_intent(self, pi_id: str, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            pi = self._intent(pi_id)
            if pi["status"] not in CANCELABLE:
                raise _unexpected_state(pi, "cancel", CANCELABLE)
            pi.update(
                status="canceled",
                canceled_at=int(time.time()),
                cancellation_reason=params.get("cancellation_reason") or "requested_by_customer",
            )
            self._emit("payment_intent.canceled", pi, ctx)
            return copy.deepcopy(pi)

    def _intent(self, pi_id: str) -> Obj:
        pi = self._intents.get(pi_id)
        if pi is None:
            raise _no_such("payment_intent", pi_id)
        return pi

    def _confirm(self, pi: Obj, method_ref: str | None, ctx: Obj) -> None:
        if pi["status"] not in CONFIRMABLE:
            raise _unexpected_state(pi, "confirm", CONFIRMABLE)
        method_ref = method_ref or pi["payment_method"]
        if not method_ref:
            raise stripe_error(
                400,
                "You cannot confirm this PaymentIntent because it's missing a payment "
                "method. To confirm the PaymentIntent with a payment method, pass "
                "`payment_method` to this request.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(pi),
            )
        method, card = self._resolve_method(method_ref)
        charge = self._charge(pi, method, card)
        pi.update(latest_charge=charge["id"], payment_method=method["id"])
        if card.decline is not None:
            self._decline(pi, method, charge, card.decline, ctx)
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None)
        self._emit("charge.succeeded", charge, ctx)
        self._emit("payment_intent.succeeded", pi, ctx)

    def _decline(self, pi: Obj, method: Obj, charge: Obj, decline: Decline, ctx: Obj) -> None:
        fields = {
            "code": decline.code,
            "decline_code": decline.decline_code,
            "charge": charge["id"],
            "param": decline.param,
        }
        error = stripe_error(402, decline.message, type_="card_error", **fields)
        pi.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error={**error.body["error"], "payment_method": method},
        )
        self._emit("payment_intent.payment_failed", pi, ctx)
        error.body["error"].update(payment_intent=copy.deepcopy(pi), payment_method=method)
        raise error

    def _resolve_method(self, ref: str) -> tuple[Obj, TestCard]:
        if ref in self._methods:
            return self._methods[ref]
        card = TEST_CARDS.get(ref)
        if card is None:
            raise _no_such("PaymentMethod", ref, "payment_method")
        method = _payment_method(card)
        self._methods[method["id"]] = (method, card)
        return method, card

    def _charge(self, pi: Obj, method: Obj, card: TestCard) -> Obj:
        charge = _charge_object(pi, method, card)
        self._charges[charge["id"]] = charge
        return charge

    # refunds ----------------------------------------------------------------

    def create_refund(self, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            charge = self._refundable_charge(params)
            left = charge["amount_captured"] - charge["amount_refunded"]
            if left <= 0:
                raise stripe_error(
                    400,
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = _int_param(params, "amount", left)
            if amount > left:
                raise stripe_error(
                    400,
                    f"Refund amount ({_money(amount, charge['currency'])}) is greater than "
                    f"unrefunded amount on charge ({_money(left, charge['currency'])})",
                    code="amount_too_large",
                    param="amount",
                )
            reason = params.get("reason") or None
            if reason is not None and reason not in REFUND_REASONS:
                raise stripe_error(
                    400,
                    f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}",
                    code="parameter_invalid_empty",
                    param="reason",
                )
            refund = _refund_object(charge, amount, reason, _metadata(params))
            self._refunds[refund["id"]] = refund
            self._apply_refund(charge, refund)
            self._emit("charge.refunded", charge, ctx)
            self._emit("refund.created", refund, ctx)
            return copy.deepcopy(refund)

    def get_refund(self, refund_id: str) -> Obj:
        with self._lock:
            if refund_id not in self._refunds:
                raise _no_such("refund", refund_id)
            return copy.deepcopy(self._refunds[refund_id])

    def get_charge(self, charge_id: str) -> Obj:
        with self._lock:
            if charge_id not in self._charges:
                raise _no_such("charge", charge_id)
            return copy.deepcopy(self._charges[charge_id])

    def _refundable_charge(self, params: Obj) -> Obj:
        if params.get("charge"):
            charge = self._charges.get(str(params["charge"]))
            if charge is None:
                raise _no_such("charge", str(params["charge"]), "charge")
        elif params.get("payment_intent"):
            pi_id = str(params["payment_intent"])
            pi = self._intents.get(pi_id)
            if pi is None:
                raise _no_such("payment_intent", pi_id, "payment_intent")
            charge = self._succeeded_charge(pi)
        else:
            raise stripe_error(
                400,
                "One of the following params should be provided for this "
                "request: payment_intent or charge.",
                code="parameter_missing",
            )
        if charge is None or charge["status"] != "succeeded":
            raise stripe_error(
                400,
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        return charge

    @staticmethod
    def _apply_refund(charge: Obj, refund: Obj) -> None:
        charge["amount_refunded"] += refund["amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        refunds = charge["refunds"]
        refunds["data"].insert(0, copy.deepcopy(refund))
        refunds["total_count"] = len(refunds["data"])

    # events -----------------------------------------------------------------

    def _emit(self, type_: str, obj: Obj, ctx: Obj, deliver: bool = True) -> Obj:
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": ctx.get("api_version") or API_VERSION,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": ctx.get("request_id"), "idempotency_key": ctx.get("idempotency_key")},
            "type": type_,
        }
        self.webhooks.publish(
            EventRecord(event["id"], type_, obj["id"], event["created"], event), deliver=deliver
        )
        return event

    def list_events(self, params: Obj) -> Obj:
        items = [self._event_view(r) for r in reversed(self.webhooks.records())]
        wanted = str(params.get("type") or "")
        if wanted:
            items = [e for e in items if _type_matches(wanted, e["type"])]
        created = params.get("created")
        if isinstance(created, dict):
            items = [e for e in items if _created_matches(created, e["created"])]
        return _listing(items, "/v1/events", params)

    def get_event(self, event_id: str) -> Obj:
        record = self.webhooks.get(event_id)
        if record is None:
            raise _no_such("event", event_id)
        return self._event_view(record)

    @staticmethod
    def _event_view(record: EventRecord) -> Obj:
        event = copy.deepcopy(record.body)
        event["pending_webhooks"] = 0 if record.delivered or record.gave_up else 1
        return event

    # control ----------------------------------------------------------------

    def craft_event(self, pi_id: str, body: Obj) -> Obj:
        type_ = body.get("type")
        if type_ not in CRAFTED_STATUS:
            raise falcon.HTTPBadRequest(description=f"type must be one of {list(CRAFTED_STATUS)}")
        with self._lock:
            pi = self._intent(pi_id)
            apply = bool(body.get("apply"))
            shown = pi if apply else copy.deepcopy(pi)
            self._imply(shown, type_, apply)
            return self._emit(type_, shown, {}, deliver=bool(body.get("deliver", True)))

    def _imply(self, pi: Obj, type_: str, apply: bool) -> None:
        pi["status"] = CRAFTED_STATUS[type_]
        if type_ == "payment_intent.succeeded":
            pi["amount_received"] = pi["amount"]
            # Only an applied success gets a real charge, so refunds and disputes work on it.
            if apply and self._succeeded_charge(pi) is None:
                method, card = self._resolve_method("pm_card_visa")
                pi.update(
                    latest_charge=self._charge(pi, method, card)["id"], payment_method=method["id"]
                )
        elif type_ == "payment_intent.payment_failed":
            error = stripe_error(
                402,
                _GENERIC.message,
                type_="card_error",
                code=_GENERIC.code,
                decline_code=_GENERIC.decline_code,
            )
            pi.update(last_payment_error=error.body["error"], payment_method=None)
        elif type_ == "payment_intent.canceled":
            pi.update(canceled_at=int(time.time()), cancellation_reason="requested_by_customer")

    def _succeeded_charge(self, pi: Obj) -> Obj | None:
        charge = self._charges.get(pi["latest_charge"] or "")
        return charge if charge is not None and charge["status"] == "succeeded" else None

    def open_dispute(self, pi_id: str, body: Obj) -> Obj:
        with self._lock:
            charge = self._succeeded_charge(self._intent(pi_id))
            if charge is None:
                raise falcon.HTTPBadRequest(
                    description="the PaymentIntent has no successful charge"
                )
            dispute = _dispute_object(charge, str(body.get("reason") or "fraudulent"))
            self._disputes[dispute["id"]] = dispute
            charge["disputed"] = True
            self._emit("charge.dispute.created", dispute, {})
            return copy.deepcopy(dispute)


# --------------------------------------------------------------------------- object shapes


def _payment_intent(pi_id: str, amount: int, currency: str, params: Obj) -> Obj:
    automatic = params.get("automatic_payment_methods")
    enabled = isinstance(automatic, dict) and _flag(automatic, "enabled")
    unused = (
        "application",
        "application_fee_amount",
        "canceled_at",
        "cancellation_reason",
        "last_payment_error",
        "latest_charge",
        "next_action",
        "on_behalf_of",
        "payment_method",
        "setup_future_usage",
        "shipping",
        "statement_descriptor",
        "transfer_data",
        "transfer_group",
    )
    return {
        **dict.fromkeys(unused),
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True}
        if enabled
        else None,
        "client_secret": f"{pi_id}_secret_{secrets.token_hex(12)}",
        "confirmation_method": "automatic",
        "created": int(time.time()),
        "currency": currency,
        "customer": params.get("customer"),
        "description": params.get("description"),
        "livemode": False,
        "metadata": _metadata(params),
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "receipt_email": params.get("receipt_email"),
        "status": "requires_payment_method",
    }


def _payment_method(card: TestCard) -> Obj:
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "type": "card",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": card.brand,
            "country": "US",
            "exp_month": 12,
            "exp_year": time.gmtime().tm_year + 3,
            "funding": "credit",
            "last4": card.last4,
        },
        "created": int(time.time()),
        "customer": None,
        "livemode": False,
        "metadata": {},
    }


def _charge_object(pi: Obj, method: Obj, card: TestCard) -> Obj:
    decline = card.decline
    charge_id = new_id("ch_")
    return {
        "id": charge_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": 0 if decline else pi["amount"],
        "amount_refunded": 0,
        "balance_transaction": None if decline else new_id("txn_"),
        "captured": decline is None,
        "created": int(time.time()),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "outcome": {
            "network_status": "declined_by_network" if decline else "approved_by_network",
            "reason": decline.decline_code if decline else None,
            "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline."
            if decline
            else "Payment complete.",
            "type": "issuer_declined" if decline else "authorized",
        },
        "paid": decline is None,
        "payment_intent": pi["id"],
        "payment_method": method["id"],
        "payment_method_details": {"type": "card", "card": dict(method["card"])},
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "status": "failed" if decline else "succeeded",
    }


def _refund_object(charge: Obj, amount: int, reason: str | None, metadata: Obj) -> Obj:
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "charge": charge["id"],
        "created": int(time.time()),
        "currency": charge["currency"],
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def _dispute_object(charge: Obj, reason: str) -> Obj:
    now = int(time.time())
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "evidence": {},
        "evidence_details": {
            "due_by": now + 7 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "status": "needs_response",
    }


def _unexpected_state(pi: Obj, action: str, allowed: Iterable[str]) -> GatewayError:
    return stripe_error(
        400,
        f"You cannot {action} this PaymentIntent because it has a status of "
        f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
        f"{'confirmed' if action == 'confirm' else 'canceled'}: {', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
        payment_intent=copy.deepcopy(pi),
    )


def _type_matches(wanted: str, actual: str) -> bool:
    return actual.startswith(wanted[:-1]) if wanted.endswith("*") else actual == wanted


def _created_matches(bounds: Obj, created: int) -> bool:
    checks = {
        "gt": created.__gt__,
        "gte": created.__ge__,
        "lt": created.__lt__,
        "lte": created.__le__,
    }
    return all(checks[op](int(v)) for op, v in bounds.items() if op in checks)


def _redact(key: str) -> str:
    # Stripe shows only the key's kind ("sk_test_") and last four characters.
    if len(key) <= 8:
        return "****"
    parts = key.split("_")
    prefix = f"{parts[0]}_{parts[1]}_" if len(parts) > 2 else ""
    return prefix + "*" * max(len(key) - len(prefix) - 4, 4) + key[-4:]


def _basic_user(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token).decode().partition(":")[0] or None
    except ValueError:
        return None


# --------------------------------------------------------------------------- HTTP layer


class _IdempotencyStore:
    """Idempotency-Key -> (params, status, body); a key in flight answers 409."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Obj, str, Any] | None] = {}

    def claim(self, key: str, params: Obj) -> tuple[str, Any] | None:
        with self._lock:
            if key not in self._entries:
                self._entries[key] = None
                return None
            entry = self._entries[key]
        if entry is None:
            raise stripe_error(
                409,
                "There is currently another in-progress request using this "
                "Stripe token (probably means you clicked twice).",
                code="idempotency_key_in_use",
            )
        if entry[0] != params:
            raise stripe_error(
                400,
                "Keys for idempotent requests can only be used with the same "
                "parameters they were first used with. Try using a key other "
                f"than '{key}' if you meant to execute a different request.",
                type_="idempotency_error",
            )
        return entry[1], entry[2]

    def store(self, key: str, params: Obj, status: str, body: Any) -> None:
        with self._lock:
            self._entries[key] = (params, status, copy.deepcopy(body))


class _StripeMiddleware:
    """Request-Id on every answer, request params, and Idempotency-Key replay for POSTs."""

    def __init__(self, sandbox: StripeSandbox) -> None:
        self._store = sandbox.idempotency

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.request_id = new_id("req_", 14)
        raw = req.context.raw_body.decode() if req.method == "POST" else req.query_string
        req.context.params = parse_form(raw) if req.path.startswith("/v1/") else {}
        key = req.get_header("Idempotency-Key")
        req.context.stripe = {
            "request_id": req.context.request_id,
            "idempotency_key": key,
            "api_version": req.get_header("Stripe-Version"),
        }
        if req.method != "POST" or not key or not req.path.startswith("/v1/"):
            return
        replay = self._store.claim(key, req.context.params)
        if replay is None:
            req.context.idempotency_key = key
            return
        resp.status, resp.media = replay
        resp.set_header("Idempotent-Replayed", "true")
        resp.complete = True

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header("Request-Id", req.context.get("request_id") or new_id("req_", 14))
        resp.set_header("Stripe-Version", req.get_header("Stripe-Version") or API_VERSION)
        key = req.context.get("idempotency_key")
        if key:
            self._store.store(key, req.context.params, resp.status, resp.media)


def _params(req: falcon.Request) -> Obj:
    return req.context.params


def _ctx(req: falcon.Request) -> Obj:
    return req.context.stripe


class _PaymentIntents:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_post_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_payment_intent(_params(req), _ctx(req))

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_payment_intents(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_payment_intent(obj_id)

    def on_post_confirm(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.confirm_payment_intent(obj_id, _params(req), _ctx(req))

    def on_post_cancel(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.cancel_payment_intent(obj_id, _params(req), _ctx(req))


class _Refunds:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_post_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_refund(_params(req), _ctx(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_refund(obj_id)


class _Charges:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_charge(obj_id)


class _StripeEvents:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_events(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_event(obj_id)


class _StripeControl:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.craft_event(obj_id, read_json(req))

    def on_post_dispute(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.open_dispute(obj_id, read_json(req))


def main(argv: list[str] | None = None) -> int:
    return run_standalone(
        StripeSandbox, argv, {"secret_key": "sk_test_sandbox", "webhook_secret": "whsec_sandbox"}
    )


if __name__ == "__main__":
    sys.exit(main())
