"""HTTP layer of the Stripe stand-in: request ids, parameter checks, idempotency, resources."""

from __future__ import annotations

from typing import Any

import falcon

from sandbox.harness.common import GatewayError, new_id, read_json
from sandbox.stripe.errors import Obj
from sandbox.stripe.objects import publishable_view
from sandbox.stripe.params import parse_form
from sandbox.stripe.rules import API_VERSION, validate
from sandbox.stripe.state import StripeState


class StripeMiddleware:
    """Request-Id, request params, parameter checks, Idempotency-Key replay, and the
    publishable-key view of PaymentIntents."""

    def __init__(self, sandbox: StripeState) -> None:
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
    def __init__(self, sandbox: StripeState) -> None:
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
    def __init__(self, sandbox: StripeState) -> None:
        self._sb = sandbox

    def on_post_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.create_refund(_params(req), _ctx(req))

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_refunds(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_object("refund", obj_id, _params(req))


class Charges:
    def __init__(self, sandbox: StripeState) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_object("charge", obj_id, _params(req))


class Disputes:
    def __init__(self, sandbox: StripeState) -> None:
        self._sb = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_object("dispute", obj_id, _params(req))


class Events:
    def __init__(self, sandbox: StripeState) -> None:
        self._sb = sandbox

    def on_get_collection(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sb.list_events(_params(req))

    def on_get(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.get_event(obj_id)


class Control:
    """``/_sandbox/payment_intents/{id}/...``: crafted events, disputes, the 3DS challenge;
    ``/_sandbox/disputes/{id}/close``: the card network's decision."""

    def __init__(self, sandbox: StripeState) -> None:
        self._sb = sandbox

    def on_post_events(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.craft_event(obj_id, read_json(req))

    def on_post_dispute(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.open_dispute(obj_id, read_json(req))

    def on_post_authenticate(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.authenticate_payment_intent(obj_id, read_json(req))

    def on_post_close(self, req: falcon.Request, resp: falcon.Response, obj_id: str) -> None:
        resp.media = self._sb.close_dispute(obj_id, read_json(req))


def add_api_routes(app: falcon.App, sandbox: StripeState) -> None:
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


def add_control_routes(app: falcon.App, sandbox: StripeState) -> None:
    control = Control(sandbox)
    for action in ("events", "dispute", "authenticate"):
        app.add_route(f"/_sandbox/payment_intents/{{obj_id}}/{action}", control, suffix=action)
    app.add_route("/_sandbox/disputes/{obj_id}/close", control, suffix="close")


class StripeSandbox(StripeState):
    """The Stripe stand-in: its state, mounted on Stripe's routes and the sandbox controls."""

    def middleware(self) -> list[Any]:
        return [StripeMiddleware(self)]

    def add_routes(self, app: falcon.App) -> None:
        add_api_routes(app, self)

    def add_control_routes(self, app: falcon.App) -> None:
        add_control_routes(app, self)
