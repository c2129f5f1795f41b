"""The `/_sandbox/` control API both sandboxes share: faults, webhooks, events, reset."""

from __future__ import annotations

from typing import Any, Protocol

import falcon

from sandbox.harness.common import DEFAULT_HANG_SECONDS, FAULT_MODES, SIGNATURE_MODES, read_json
from sandbox.harness.rules import Rule, RuleBook
from sandbox.harness.webhooks import EventRecord, WebhookDeliverer


class Controlled(Protocol):
    """What the control API steers: a sandbox's faults and its webhook deliveries (so it
    needs nothing else of the sandbox, which mounts it)."""

    faults: RuleBook
    webhooks: WebhookDeliverer


def _count(body: dict[str, Any]) -> int:
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise falcon.HTTPBadRequest(description="count must be a positive integer")
    return count


def _match(body: dict[str, Any]) -> str | None:
    match = body.get("match")
    if match is not None and not isinstance(match, str):
        raise falcon.HTTPBadRequest(description="match must be a string")
    return match or None


class _Faults:
    def __init__(self, sandbox: Controlled) -> None:
        self._sandbox = sandbox

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._sandbox.faults.snapshot()

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        mode = body.get("mode")
        if mode not in FAULT_MODES:
            raise falcon.HTTPBadRequest(description=f"mode must be one of {FAULT_MODES}")
        seconds = body.get("seconds", DEFAULT_HANG_SECONDS)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise falcon.HTTPBadRequest(description="seconds must be a non-negative number")
        status = body.get("status", 500)
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise falcon.HTTPBadRequest(description="status must be an HTTP error code (4xx/5xx)")
        rule = Rule(_count(body), _match(body), mode, float(seconds), status)
        self._sandbox.faults.add(rule)
        resp.status = falcon.HTTP_201
        resp.media = rule.as_dict()

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._sandbox.faults.clear()
        resp.media = []


class _WebhookControl:
    def __init__(self, sandbox: Controlled) -> None:
        self._hooks = sandbox.webhooks

    def on_post_pause(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._hooks.pause(_match(read_json(req)))
        resp.media = {"paused": True}

    def on_post_resume(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._hooks.resume(_match(read_json(req)))
        resp.media = {"paused": False}

    def on_post_drop(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        self._hooks.drop(_count(body), _match(body))
        resp.media = {"drop": _count(body), "match": _match(body)}

    def on_post_fail(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        self._hooks.fail(_count(body), _match(body))
        resp.media = {"fail": _count(body), "match": _match(body)}


class _Events:
    def __init__(self, sandbox: Controlled) -> None:
        self._hooks = sandbox.webhooks

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = [r.summary() for r in self._hooks.records(req.get_param("match"))]

    def on_post_deliver_many(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise falcon.HTTPBadRequest(description="ids must be a list of event ids")
        records = [self._record(event_id) for event_id in ids]
        signature = _signature(body)
        resp.media = [self._hooks.deliver_now(r, signature) for r in records]

    def on_post_deliver(self, req: falcon.Request, resp: falcon.Response, event_id: str) -> None:
        resp.media = self._hooks.deliver_now(self._record(event_id), _signature(read_json(req)))

    def _record(self, event_id: str) -> EventRecord:
        record = self._hooks.get(event_id)
        if record is None:
            raise falcon.HTTPNotFound(description=f"no event {event_id}")
        if self._hooks.url is None:
            raise falcon.HTTPConflict(description="no webhook URL configured")
        return record


def _signature(body: dict[str, Any]) -> str:
    signature = body.get("signature", "valid")
    if signature not in SIGNATURE_MODES:
        raise falcon.HTTPBadRequest(description=f"signature must be one of {SIGNATURE_MODES}")
    return signature


class _Reset:
    def __init__(self, sandbox: Controlled) -> None:
        self._sandbox = sandbox

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._sandbox.faults.clear()
        self._sandbox.webhooks.reset()
        resp.media = {"reset": True}


def add_routes(app: falcon.App, sandbox: Controlled) -> None:
    """The shared control routes; the base class mounts them only when controls are on."""
    app.add_route("/_sandbox/faults", _Faults(sandbox))
    hooks = _WebhookControl(sandbox)
    for action in ("pause", "resume", "drop", "fail"):
        app.add_route(f"/_sandbox/webhooks/{action}", hooks, suffix=action)
    events = _Events(sandbox)
    app.add_route("/_sandbox/events", events)
    app.add_route("/_sandbox/events/deliver", events, suffix="deliver_many")
    app.add_route("/_sandbox/events/{event_id}/deliver", events, suffix="deliver")
    app.add_route("/_sandbox/reset", _Reset(sandbox))
