"""HTTP layer of the Stripe stand-in: request ids, parameter checks, idempotency, resources."""

from __future__ import annotations

import base64
import copy
import hmac
import threading
from typing import TYPE_CHECKING, Any

import falcon

from sandbox.common import GatewayError, new_id, read_json
from sandbox.stripe_errors import Obj, stripe_error
from sandbox.stripe_objects import publishable_view
from sandbox.stripe_params import parse_form
from sandbox.stripe_rules import API_VERSION, validate

if TYPE_CHECKING:
    from sandbox.stripe import StripeSandbox


class IdempotencyStore:
    """Idempotency-Key -> (params, status, body); a key in flight answers 409.

    docs.stripe.com/api/idempotent_requests: results are saved "only after the execution of
    an endpoint begins", so a request that fails parameter validation releases its key.
    """

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

    def release(self, key: str) -> None:
        with self._lock:
            if self._entries.get(key, ()) is None:
                del self._entries[key]


class StripeMiddleware:
    """Request-Id, request params, parameter checks, Idempotency-Key replay, and the
    publishable-key view of PaymentIntents."""

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
            "publishable": req.context.get("key_kind") == "publishable",
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

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: Obj
    ) -> None:
        if resource is None or not req.path.startswith("/v1/"):
            return
        try:
            validate(
                req.method,
                req.uri_template or "",
                req.context.params,
                publishable=req.context.stripe["publishable"],
                api_version=req.context.stripe["api_version"],
            )
        except GatewayError:
            key = req.context.get("idempotency_key")
            if key:
                self._store.release(key)
                req.context.idempotency_key = None
            raise

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header("Request-Id", req.context.get("request_id") or new_id("req_", 14))
        resp.set_header("Stripe-Version", req.get_header("Stripe-Version") or API_VERSION)
        if req.context.get("key_kind") == "publishable" and isinstance(resp.media, dict):
            resp.media = _publishable_answer(resp.media)
        key = req.context.get("idempotency_key")
        if key:
            self._store.store(key, req.context.params, resp.status, resp.media)


def _publishable_answer(media: Obj) -> Obj:
    if media.get("object") == "payment_intent":
        return publishable_view(media)
    error = media.get("error")
    if isinstance(error, dict) and isinstance(error.get("payment_intent"), dict):
        error["payment_intent"] = publishable_view(error["payment_intent"])
    return media


def _params(req: falcon.Request) -> Obj:
    return req.context.params


def _ctx(req: falcon.Request) -> Obj:
    return req.context.stripe


class PaymentIntents:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_post_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_payment_intent(_params(req), _ctx(req))

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_payment_intents(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_payment_intent(obj_id, _params(req), _ctx(req))

    def on_post_confirm(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.confirm_payment_intent(obj_id, _params(req), _ctx(req))

    def on_post_cancel(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.cancel_payment_intent(obj_id, _params(req), _ctx(req))


class Refunds:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_post_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_refund(_params(req), _ctx(req))

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_refunds(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_object("refund", obj_id, _params(req))


class Charges:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_object("charge", obj_id, _params(req))


class Disputes:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_object("dispute", obj_id, _params(req))


class Events:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_events(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_event(obj_id)


class Control:
    """``/_sandbox/payment_intents/{id}/...``: crafted events, disputes, the 3DS challenge;
    ``/_sandbox/disputes/{id}/close``: the card network's decision."""

    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sb = sandbox

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.craft_event(obj_id, read_json(req))

    def on_post_dispute(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.open_dispute(obj_id, read_json(req))

    def on_post_authenticate(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.authenticate_payment_intent(obj_id, read_json(req))

    def on_post_close(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.close_dispute(obj_id, read_json(req))


def add_api_routes(app: falcon.App, sandbox: StripeSandbox) -> None:
    intents = PaymentIntents(sandbox)
    app.add_route("/v1/payment_intents", intents, suffix="collection")
    app.add_route("/v1/payment_intents/{obj_id}", intents)
    app.add_route("/v1/payment_intents/{obj_id}/confirm", intents, suffix="confirm")
    app.add_route("/v1/payment_intents/{obj_id}/cancel", intents, suffix="cancel")
    refunds = Refunds(sandbox)
    app.add_route("/v1/refunds", refunds, suffix="collection")
    app.add_route("/v1/refunds/{obj_id}", refunds)
    app.add_route("/v1/charges/{obj_id}", Charges(sandbox))
    app.add_route("/v1/disputes/{obj_id}", Disputes(sandbox))
    events = Events(sandbox)
    app.add_route("/v1/events", events, suffix="collection")
    app.add_route("/v1/events/{obj_id}", events)


def add_control_routes(app: falcon.App, sandbox: StripeSandbox) -> None:
    control = Control(sandbox)
    for action in ("events", "dispute", "authenticate"):
        app.add_route(f"/_sandbox/payment_intents/{{obj_id}}/{action}", control, suffix=action)
    app.add_route("/_sandbox/disputes/{obj_id}/close", control, suffix="close")


def same_key(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def redact(key: str) -> str:
    # Stripe shows only the key's kind ("sk_test_") and last four characters.
    if len(key) <= 8:
        return "****"
    parts = key.split("_")
    prefix = f"{parts[0]}_{parts[1]}_" if len(parts) > 2 else ""
    return prefix + "*" * max(len(key) - len(prefix) - 4, 4) + key[-4:]


def basic_user(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token).decode().partition(":")[0] or None
    except ValueError:
        return None
