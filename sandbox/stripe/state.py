"""Loopback Stripe stand-in speaking the real /v1 wire format (form in, JSON out).

The official ``stripe`` SDK talks to it unchanged when pointed at ``url`` with
``base_addresses={"api": url}``; Stripe.js-style calls use ``publishable_key`` with the
PaymentIntent's client secret. Its routes are mounted by ``sandbox.stripe.http``
(``StripeSandbox``); run it standalone with ``python -m sandbox.stripe``.

Parameter and amount rules live in ``sandbox.stripe.rules``, error bodies in
``sandbox.stripe.errors``, object shapes and test cards in ``sandbox.stripe.objects``, the HTTP
layer in ``sandbox.stripe.http``, crafted events in ``sandbox.stripe.control``
(docs/sandboxes.md, "Stripe sandbox").
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import falcon

from sandbox.harness.base import SandboxBase
from sandbox.harness.common import GatewayError, new_id
from sandbox.stripe import objects
from sandbox.stripe.control import ControlMixin
from sandbox.stripe.edge import IdempotencyStore, basic_user, redact, same_key
from sandbox.stripe.errors import (
    PUBLISHABLE_REFUSED,
    Obj,
    invalid,
    missing,
    no_such,
    stripe_error,
    unexpected_state,
)
from sandbox.stripe.events import EventsMixin
from sandbox.stripe.lists import created_filter, expand, page
from sandbox.stripe.objects import TestCard
from sandbox.stripe.params import boolean, metadata
from sandbox.stripe.refunds import RefundsMixin

STALE_SECONDS = 600
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
# docs.stripe.com/api/payment_intents/cancel; its "in rare cases, processing" is limited to
# bank debits by docs.stripe.com/payments/paymentintents/lifecycle, and cards are all we have.
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
)
REFUSED_CANCEL_NAMES = (*CANCELABLE, "processing")  # the list Stripe's message names
AUTH_OUTCOMES = ("succeed", "fail")
# What a publishable key may call (docs.stripe.com/api/payment_intents/retrieve and /confirm).
PUBLISHABLE_ROUTES = (
    ("POST", re.compile(r"/v1/payment_intents/[^/]+/confirm")),
    ("GET", re.compile(r"/v1/payment_intents/[^/]+")),
)


class StripeState(ControlMixin, RefundsMixin, EventsMixin, SandboxBase):
    """Stripe /v1: payment intents (server and Stripe.js confirmation, 3-D Secure), refunds,
    events, disputes (control), signed webhooks."""

    api_prefix = "/v1/"
    name = "stripe"

    def __init__(self, *, publishable_key: str | None = None, **kwargs: Any) -> None:
        self.publishable_key = publishable_key or f"pk_test_{secrets.token_hex(12)}"
        super().__init__(**kwargs)

    def init_state(self) -> None:
        self._intents: dict[str, Obj] = {}
        self._charges: dict[str, Obj] = {}
        self._refunds: dict[str, Obj] = {}
        self._disputes: dict[str, Obj] = {}
        self._methods: dict[str, tuple[Obj, TestCard]] = {}
        self.idempotency = IdempotencyStore()

    def env(self) -> dict[str, str]:
        return {
            "STRIPE_API_BASE": self.url,
            "STRIPE_SECRET_KEY": self.secret_key,
            "STRIPE_PUBLISHABLE_KEY": self.publishable_key,
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
        key = self.bearer_token(req) or basic_user(req.get_header("Authorization"))
        if key is None:
            raise stripe_error(
                401,
                "You did not provide an API key. You need to provide your "
                "API key in the Authorization header, using Bearer auth (e.g. "
                "'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if same_key(key, self.secret_key):
            req.context.key_kind = "secret"
            return
        if same_key(key, self.publishable_key):
            req.context.key_kind = "publishable"
            path = req.path.rstrip("/")
            if any(req.method == verb and rx.fullmatch(path) for verb, rx in PUBLISHABLE_ROUTES):
                return
            raise stripe_error(401, PUBLISHABLE_REFUSED, code="secret_key_required")
        raise stripe_error(401, f"Invalid API Key provided: {redact(key)}")

    def error(self, status: int, message: str) -> GatewayError:
        # docs.stripe.com/api/errors: 402 is a card error, 5xx api_error, the rest invalid
        # requests; docs.stripe.com/rate-limits: a 429 carries the code `rate_limit`.
        if status == 429:
            return stripe_error(status, message, code="rate_limit")
        type_ = "api_error" if status >= 500 else "card_error" if status == 402 else None
        return stripe_error(status, message, type_=type_ or "invalid_request_error")

    def fault_error(self, status: int = 500) -> GatewayError:
        if status == 429:
            return self.error(
                429,
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits. (sandbox fault)",
            )
        return super().fault_error(status)

    # payment intents --------------------------------------------------------

    def create_payment_intent(self, params: Obj, ctx: Obj) -> Obj:
        if params.get("customer"):  # the sandbox keeps no Customers
            raise no_such("customer", str(params["customer"]), "customer")
        currency = str(params["currency"]).lower()
        amount = int(params["amount"])
        pi = objects.payment_intent(new_id("pi_"), amount, currency, params, metadata(params))
        with self._lock:
            if params.get("payment_method"):
                method, _ = self._resolve_method(str(params["payment_method"]))
                pi.update(payment_method=method["id"], status="requires_confirmation")
            self._intents[pi["id"]] = pi
            if boolean(params, "confirm"):
                self._confirm(pi, None, params, ctx)
            return self._render(pi, "payment_intent", params)

    def get_payment_intent(self, pi_id: str, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            pi = self._intent(pi_id)
            if ctx["publishable"]:
                _check_client_secret(pi, params)
            return self._render(pi, "payment_intent", params)

    def list_payment_intents(self, params: Obj) -> Obj:
        with self._lock:
            items = [copy.deepcopy(pi) for pi in reversed(self._intents.values())]
        if params.get("customer"):
            items = [pi for pi in items if pi["customer"] == params["customer"]]
        items = created_filter(items, params.get("created"))
        listed = page(items, "/v1/payment_intents", params, "payment_intent")
        return self._render(listed, "list:payment_intent", params)

    def confirm_payment_intent(self, pi_id: str, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            pi = self._intent(pi_id)
            if ctx["publishable"]:
                _check_client_secret(pi, params)
            self._confirm(pi, params.get("payment_method") or None, params, ctx)
            return self._render(pi, "payment_intent", params)

    def cancel_payment_intent(self, pi_id: str, params: Obj, ctx: Obj) -> Obj:
        with self._lock:
            pi = self._intent(pi_id)
            if pi["status"] not in CANCELABLE:
                raise unexpected_state(pi, "cancel", REFUSED_CANCEL_NAMES)
            pi.update(
                status="canceled",
                canceled_at=int(time.time()),
                cancellation_reason=params.get("cancellation_reason") or None,
                next_action=None,
                amount_capturable=0,
            )
            self._emit("payment_intent.canceled", pi, ctx)
            return self._render(pi, "payment_intent", params)

    def authenticate_payment_intent(self, pi_id: str, body: Obj) -> Obj:
        """The customer's answer to the 3-D Secure challenge (a sandbox control)."""
        outcome = body.get("outcome")
        if outcome not in AUTH_OUTCOMES:
            raise falcon.HTTPBadRequest(description=f"outcome must be one of {AUTH_OUTCOMES}")
        with self._lock:
            pi = self._intents.get(pi_id)
            if pi is None:
                raise falcon.HTTPNotFound(description=f"no PaymentIntent {pi_id}")
            if pi["status"] != "requires_action":
                raise falcon.HTTPBadRequest(
                    description=f"{pi_id} has status {pi['status']}, not requires_action"
                )
            method, card = self._methods[pi["payment_method"]]
            if outcome == "fail":
                # docs.stripe.com/payments/3d-secure/authentication-flow: "Failure: the
                # PaymentIntent transitions to a status of requires_payment_method ... or
                # you can retry 3DS by reconfirming" (so the payment method stays).
                pi.update(
                    status="requires_payment_method",
                    next_action=None,
                    last_payment_error=objects.authentication_failure(method),
                )
                self._emit("payment_intent.payment_failed", pi, {})
            else:
                self._settle(pi, method, card, {}, authenticated=True)
            return copy.deepcopy(pi)

    def _intent(self, pi_id: str) -> Obj:
        pi = self._intents.get(pi_id)
        if pi is None:
            raise no_such("payment_intent", pi_id)
        return pi

    def _confirm(self, pi: Obj, method_ref: str | None, params: Obj, ctx: Obj) -> None:
        if pi["status"] not in CONFIRMABLE:
            raise unexpected_state(pi, "confirm", CONFIRMABLE)
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
        for name in ("allowed_payment_method_types", "receipt_email", "setup_future_usage"):
            if params.get(name):
                pi[name] = params[name]
        if card.three_ds:
            challenge = f"{self.url}/_sandbox/payment_intents/{pi['id']}/authenticate"
            pi.update(
                status="requires_action",
                payment_method=method["id"],
                last_payment_error=None,
                next_action=objects.next_action(pi["id"], params.get("return_url"), challenge),
            )
            self._emit("payment_intent.requires_action", pi, ctx)
            return
        error = self._settle(pi, method, card, ctx)
        if error is not None:
            raise error

    def _settle(
        self, pi: Obj, method: Obj, card: TestCard, ctx: Obj, *, authenticated: bool = False
    ) -> GatewayError | None:
        """Charges the card: success, or the decline (returned, for the caller to raise)."""
        charge = objects.charge(pi, method, card, authenticated=authenticated)
        self._charges[charge["id"]] = charge
        pi.update(latest_charge=charge["id"], payment_method=method["id"], next_action=None)
        if card.decline is not None:
            return self._decline(pi, method, charge, card.decline, ctx)
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None)
        self._emit("charge.succeeded", charge, ctx)
        self._emit("payment_intent.succeeded", pi, ctx)
        return None

    def _decline(
        self, pi: Obj, method: Obj, charge: Obj, decline: objects.Decline, ctx: Obj
    ) -> GatewayError:
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
            last_payment_error={**error.body["error"], "payment_method": copy.deepcopy(method)},
        )
        self._emit("payment_intent.payment_failed", pi, ctx)
        error.body["error"].update(payment_intent=copy.deepcopy(pi), payment_method=method)
        return error

    def _resolve_method(self, ref: str) -> tuple[Obj, TestCard]:
        if ref in self._methods:
            return self._methods[ref]
        card = objects.TEST_CARDS.get(ref)
        if card is None:
            raise no_such("PaymentMethod", ref, "payment_method")
        method = objects.payment_method(card)
        self._methods[method["id"]] = (method, card)
        return method, card

    def _succeeded_charge(self, pi: Obj) -> Obj | None:
        charge = self._charges.get(pi["latest_charge"] or "")
        return charge if charge is not None and charge["status"] == "succeeded" else None

    def get_object(self, kind: str, obj_id: str, params: Obj) -> Obj:
        store = {"charge": self._charges, "refund": self._refunds, "dispute": self._disputes}[kind]
        with self._lock:
            if obj_id not in store:
                raise no_such(kind, obj_id)
            return self._render(store[obj_id], kind, params)

    def _render(self, obj: Obj, root: str, params: Obj) -> Obj:
        paths = params.get("expand") or []
        return expand(copy.deepcopy(obj), root, paths, self._lookup)

    def _lookup(self, kind: str, obj_id: str) -> Obj | None:
        if kind == "payment_method":
            found = self._methods.get(obj_id)
            return copy.deepcopy(found[0]) if found else None
        store = {"charge": self._charges, "payment_intent": self._intents}[kind]
        return copy.deepcopy(store.get(obj_id))


# --------------------------------------------------------------------------- helpers


def _check_client_secret(pi: Obj, params: Obj) -> None:
    """docs.stripe.com/api/payment_intents/retrieve: `client_secret` is "Required if you use a
    publishable key"; a wrong one is refused as Stripe.js sees it."""
    secret = params.get("client_secret")
    if not secret:
        raise missing("client_secret")
    if not isinstance(secret, str) or not same_key(secret, pi["client_secret"]):
        raise invalid(
            "The client_secret provided does not match the client_secret associated with "
            "the PaymentIntent.",
            "client_secret",
            "payment_intent_invalid_parameter",
        )
