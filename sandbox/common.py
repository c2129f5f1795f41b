"""What the Stripe and Flutterwave sandboxes share: server, faults, webhooks, control API.

Each sandbox is a Falcon WSGI app on a threaded wsgiref server bound to loopback. All
state lives on the sandbox instance; tests drive faults and webhook delivery through
``/_sandbox/...`` on the same port (see docs/sandboxes.md).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import secrets
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, ClassVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import falcon
import requests

DEFAULT_BACKOFF: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_HANG_SECONDS = 30.0
SIGNATURE_MODES = ("valid", "bad", "missing", "stale")
FAULT_MODES = ("error", "hang", "refuse", "status")

# (payload, signature mode) -> extra headers for one webhook POST
Signer = Callable[[bytes, str], dict[str, str]]


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like the gateways' own (prefix + random alphanumerics)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


class GatewayError(Exception):
    """An error answer in the provider's own body shape; rendered by the app."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


# --------------------------------------------------------------------------- server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """Threaded wsgiref server whose daemon request threads stop() can still join."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._workers: list[threading.Thread] = []
        self._workers_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        # ThreadingMixIn forgets daemon threads; we keep them so stop() leaves none behind.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._workers_lock:
            self._workers = [t for t in self._workers if t.is_alive()]
            self._workers.append(thread)
        thread.start()

    def join_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._workers_lock:
            workers = list(self._workers)
        for thread in workers:
            thread.join(max(0.0, deadline - time.monotonic()))


class QuietHandler(WSGIRequestHandler):
    """No access log; exposes the socket so a 'refuse' fault can reset it."""

    # Bounds how long a silent client can hold a worker thread (and so stop()).
    timeout = 10

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["sandbox.socket"] = self.connection
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        pass


def reset_connection(environ: dict[str, Any]) -> None:
    """Closes the client's TCP connection with an RST instead of a response."""
    sock: socket.socket = environ["sandbox.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # detach() marks the object closed so wsgiref's later shutdown/close cannot touch a
    # reused descriptor; os.close then drops the connection at once, before any FIN.
    os.close(sock.detach())
    # wsgiref's ServerHandler treats this as "client went away" and writes nothing.
    raise ConnectionAbortedError("sandbox fault: refuse")


# --------------------------------------------------------------------------- rules


@dataclass
class Rule:
    """A counted, optionally matched instruction: a fault, a drop or a forced failure."""

    remaining: int
    match: str | None = None
    mode: str = ""
    seconds: float = DEFAULT_HANG_SECONDS
    status: int = 500

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode or None,
            "count": self.remaining,
            "match": self.match,
            "seconds": self.seconds if self.mode == "hang" else None,
            "status": self.status if self.mode == "status" else None,
        }


class RuleBook:
    """Thread-safe list of counted rules; take() consumes one use of the first match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def take(self, text: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and (rule.match is None or rule.match in text):
                    rule.remaining -= 1
                    self._rules = [r for r in self._rules if r.remaining > 0]
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]


# --------------------------------------------------------------------------- webhooks


@dataclass
class Attempt:
    at: float
    status: int | None
    error: str | None
    manual: bool = False
    signature: str = "valid"

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "status": self.status,
            "error": self.error,
            "manual": self.manual,
            "signature": self.signature,
        }


@dataclass
class EventRecord:
    """One webhook event: its frozen payload and every delivery attempt made."""

    id: str
    type: str
    object_id: str
    created: int
    body: dict[str, Any]
    payload: bytes = b""
    attempts: list[Attempt] = field(default_factory=list)
    delivered: bool = False
    dropped: bool = False
    held: bool = False
    gave_up: bool = False

    def __post_init__(self) -> None:
        # Frozen once: every attempt (and every signature) covers the same bytes.
        if not self.payload:
            self.payload = json.dumps(self.body, indent=2).encode()

    @property
    def text(self) -> str:
        return self.payload.decode()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "object_id": self.object_id,
            "created": self.created,
            "delivered": self.delivered,
            "dropped": self.dropped,
            "paused": self.held,
            "gave_up": self.gave_up,
            "attempts": [a.as_dict() for a in self.attempts],
            "body": self.body,
        }


class WebhookDeliverer:
    """Queues events and POSTs them from one background thread, retrying with backoff."""

    def __init__(
        self,
        signer: Signer,
        *,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = 5.0,
    ) -> None:
        self._signer = signer
        self._backoff = tuple(backoff) or (0.0,)
        self._max_attempts = max(1, max_attempts)
        self._timeout = timeout
        self._cond = threading.Condition()
        self._records: dict[str, EventRecord] = {}
        self._due: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._pauses: list[str | None] = []
        self._drops = RuleBook()
        self._fails = RuleBook()
        self._url: str | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="webhook-deliverer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(self._timeout + 1)
            self._thread = None

    # configuration ---------------------------------------------------------

    @property
    def url(self) -> str | None:
        return self._url

    def set_url(self, url: str | None) -> None:
        with self._cond:
            self._url = url
            self._release_held()

    def pause(self, match: str | None) -> None:
        with self._cond:
            self._pauses.append(match)

    def resume(self, match: str | None) -> None:
        with self._cond:
            self._pauses = [] if match is None else [p for p in self._pauses if p != match]
            self._release_held()

    def drop(self, count: int, match: str | None) -> None:
        self._drops.add(Rule(count, match))

    def fail(self, count: int, match: str | None) -> None:
        self._fails.add(Rule(count, match))

    def reset(self) -> None:
        self._drops.clear()
        self._fails.clear()
        self.resume(None)

    # events ----------------------------------------------------------------

    def publish(self, record: EventRecord, deliver: bool = True) -> EventRecord:
        """Records the event and, unless told otherwise, queues it for delivery."""
        with self._cond:
            self._records[record.id] = record
            if not deliver:
                return record
            if self._drops.take(record.text):
                record.dropped = True
            elif self._is_paused(record.text) or self._url is None:
                record.held = True
            else:
                self._schedule(record.id, 0.0)
        return record

    def records(self, match: str | None = None) -> list[EventRecord]:
        with self._cond:
            return [r for r in self._records.values() if match is None or match in r.text]

    def get(self, event_id: str) -> EventRecord | None:
        with self._cond:
            return self._records.get(event_id)

    def deliver_now(self, record: EventRecord, signature: str = "valid") -> dict[str, Any]:
        """Delivers once, synchronously, outside the retry schedule."""
        status, body, error = self._post(record, signature)
        with self._cond:
            record.attempts.append(Attempt(time.time(), status, error, True, signature))
            if status is not None and 200 <= status < 300 and signature == "valid":
                record.delivered = True
        return {"id": record.id, "status": status, "body": body, "error": error}

    # internals -------------------------------------------------------------

    def _is_paused(self, text: str) -> bool:
        return any(p is None or p in text for p in self._pauses)

    def _release_held(self) -> None:
        if self._url is None:
            return
        for record in self._records.values():
            if record.held and not self._is_paused(record.text):
                record.held = False
                self._schedule(record.id, 0.0)

    def _schedule(self, event_id: str, delay: float) -> None:
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._seq), event_id))
        self._cond.notify_all()

    def _next_due(self) -> EventRecord | None:
        with self._cond:
            while not self._stopping:
                wait = self._due[0][0] - time.monotonic() if self._due else None
                if wait is not None and wait <= 0:
                    return self._records[heapq.heappop(self._due)[2]]
                self._cond.wait(wait)
        return None

    def _run(self) -> None:
        while (record := self._next_due()) is not None:
            self._attempt(record)

    def _attempt(self, record: EventRecord) -> None:
        if self._fails.take(record.text):
            status, error = None, "sandbox: simulated receiver failure"
        else:
            status, _, error = self._post(record, "valid")
        with self._cond:
            record.attempts.append(Attempt(time.time(), status, error))
            if status is not None and 200 <= status < 300:
                record.delivered = True
                return
            tries = sum(1 for a in record.attempts if not a.manual)
            if tries >= self._max_attempts or self._url is None:
                record.gave_up = True
                return
            self._schedule(record.id, self._backoff[min(tries, len(self._backoff)) - 1])

    def _post(self, record: EventRecord, signature: str) -> tuple[int | None, str, str | None]:
        url = self._url
        if url is None:
            return None, "", "no webhook URL configured"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "sandbox-webhooks/1.0",
            **self._signer(record.payload, signature),
        }
        try:
            with requests.Session() as session:
                # A proxy from the environment must never sit between loopback peers.
                session.trust_env = False
                resp = session.post(
                    url, data=record.payload, headers=headers, timeout=self._timeout
                )
        except requests.RequestException as exc:
            return None, "", f"{type(exc).__name__}: {exc}"
        return resp.status_code, resp.text, None


# --------------------------------------------------------------------------- app plumbing


def request_text(req: falcon.Request) -> str:
    """What a fault's ``match`` is tested against: "METHOD path?query\\n<raw body>"."""
    query = f"?{req.query_string}" if req.query_string else ""
    return f"{req.method} {req.path}{query}\n{req.context.raw_body.decode(errors='replace')}"


def read_json(req: falcon.Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty)."""
    raw = req.context.raw_body
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise falcon.HTTPBadRequest(description=f"invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise falcon.HTTPBadRequest(description="expected a JSON object")
    return value


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


class _EdgeMiddleware:
    """Buffers the body, then applies faults and auth to gateway API calls only."""

    def __init__(self, sandbox: SandboxBase) -> None:
        self._sandbox = sandbox

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.raw_body = req.bounded_stream.read()
        if not req.path.startswith(self._sandbox.api_prefix):
            return
        rule = self._sandbox.faults.take(request_text(req))
        if rule is not None:
            self._apply_fault(rule, req, resp)
            return
        self._sandbox.authenticate(req)

    def _apply_fault(self, rule: Rule, req: falcon.Request, resp: falcon.Response) -> None:
        if rule.mode == "refuse":
            reset_connection(req.env)
        if rule.mode == "hang":
            # Waiting on the stop event lets stop() end a hang at once.
            self._sandbox.stopping.wait(rule.seconds)
        error = self._sandbox.fault_error(rule.status if rule.mode == "status" else 500)
        resp.status = error.status
        resp.media = error.body
        resp.complete = True


class _Faults:
    def __init__(self, sandbox: SandboxBase) -> None:
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
    def __init__(self, sandbox: SandboxBase) -> None:
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
    def __init__(self, sandbox: SandboxBase) -> None:
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
    def __init__(self, sandbox: SandboxBase) -> None:
        self._sandbox = sandbox

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._sandbox.faults.clear()
        self._sandbox.webhooks.reset()
        resp.media = {"reset": True}


# --------------------------------------------------------------------------- base class


class SandboxBase:
    """Lifecycle, control API and plumbing; subclasses add the provider's endpoints."""

    api_prefix: ClassVar[str] = "/"
    name: ClassVar[str] = "sandbox"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: str,
        webhook_secret: str,
        webhook_url: str | None = None,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        webhook_timeout: float = 5.0,
        controls: bool = True,
    ) -> None:
        self.host = host
        # Off for a "live" profile: the suite then sees only what the real gateway offers.
        self.controls = controls
        self.port = port
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self._lock = threading.RLock()
        self.stopping = threading.Event()
        self.faults = RuleBook()
        self.webhooks = WebhookDeliverer(
            self.sign, backoff=backoff, max_attempts=max_attempts, timeout=webhook_timeout
        )
        self.webhooks.set_url(webhook_url)
        self._server: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.init_state()

    # public lifecycle -------------------------------------------------------

    def start(self) -> None:
        """Binds (listening on return) and serves from a background thread."""
        if self._server is not None:
            return
        self.stopping.clear()
        server = make_server(
            self.host,
            self.port,
            self._build_app(),
            server_class=ThreadingWSGIServer,
            handler_class=QuietHandler,
        )
        assert isinstance(server, ThreadingWSGIServer)
        self._server = server
        self.port = server.server_port
        self.webhooks.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-server",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stops serving and delivering, and joins every thread it started."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.server_close()
        server.join_workers(timeout=15)
        self.webhooks.stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_webhook_url(self, url: str) -> None:
        self.webhooks.set_url(url)

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    # provider hooks ---------------------------------------------------------

    def init_state(self) -> None:
        """Creates the provider's object stores; called once by __init__."""

    def sign(self, payload: bytes, mode: str) -> dict[str, str]:
        """Headers that sign (or mis-sign, per mode) one webhook POST."""
        raise NotImplementedError

    def authenticate(self, req: falcon.Request) -> None:
        """Raises GatewayError unless the request carries the secret key."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> GatewayError:
        """A generic error in the provider's body shape."""
        raise NotImplementedError

    def fault_error(self, status: int = 500) -> GatewayError:
        """The provider's error body for an injected fault answering `status`."""
        messages = {
            401: "Invalid API key (sandbox fault).",
            429: "Too many requests (sandbox fault).",
        }
        message = messages.get(status, "An unexpected error occurred (sandbox fault).")
        return self.error(status, message)

    def add_routes(self, app: falcon.App) -> None:
        """The provider's own API (what the real gateway serves)."""
        raise NotImplementedError

    def add_control_routes(self, app: falcon.App) -> None:
        """Provider-specific ``/_sandbox/...`` routes; left out when controls are off."""

    def middleware(self) -> list[object]:
        return []

    # helpers for subclasses -------------------------------------------------

    def bearer_token(self, req: falcon.Request) -> str | None:
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    # internals --------------------------------------------------------------

    def _build_app(self) -> falcon.App:
        app = falcon.App(middleware=[_EdgeMiddleware(self), *self.middleware()])
        app.req_options.strip_url_path_trailing_slash = True
        app.add_error_handler(Exception, self._on_unexpected)
        app.add_error_handler(ConnectionAbortedError, _reraise)
        app.add_error_handler(falcon.HTTPError, self._on_http_error)
        app.add_error_handler(GatewayError, _on_gateway_error)
        if self.controls:
            self._add_control_routes(app)
            self.add_control_routes(app)
        self.add_routes(app)
        return app

    def _add_control_routes(self, app: falcon.App) -> None:
        app.add_route("/_sandbox/faults", _Faults(self))
        hooks = _WebhookControl(self)
        for action in ("pause", "resume", "drop", "fail"):
            app.add_route(f"/_sandbox/webhooks/{action}", hooks, suffix=action)
        events = _Events(self)
        app.add_route("/_sandbox/events", events)
        app.add_route("/_sandbox/events/deliver", events, suffix="deliver_many")
        app.add_route("/_sandbox/events/{event_id}/deliver", events, suffix="deliver")
        app.add_route("/_sandbox/reset", _Reset(self))

    def _on_http_error(
        self, req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, params: Any
    ) -> None:
        message = ex.description or ex.title or "error"
        if ex.status_code in (404, 405) and not ex.description:
            message = f"Unrecognized request URL ({req.method}: {req.path})."
        if req.path.startswith("/_sandbox/"):
            resp.status, resp.media = ex.status, {"error": message}
        else:
            err = self.error(ex.status_code, message)
            resp.status, resp.media = err.status, err.body
        for name, value in (ex.headers or {}).items():
            resp.set_header(name, value)

    def _on_unexpected(
        self, req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any
    ) -> None:
        traceback.print_exception(ex, file=sys.stderr)
        err = self.error(500, f"sandbox bug: {type(ex).__name__}: {ex}")
        resp.status, resp.media = err.status, err.body


def _reraise(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    # Lets a 'refuse' fault escape Falcon so wsgiref drops the connection silently.
    raise ex


def _on_gateway_error(
    req: falcon.Request, resp: falcon.Response, ex: GatewayError, params: Any
) -> None:
    resp.status = ex.status
    resp.media = ex.body


# --------------------------------------------------------------------------- CLI


def run_standalone(
    factory: Callable[..., SandboxBase], argv: Iterable[str] | None, defaults: dict[str, str]
) -> int:
    """``python -m sandbox.X``: start one sandbox, print its env and READY, run until stopped."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-key", default=defaults["secret_key"])
    parser.add_argument("--webhook-secret", default=defaults["webhook_secret"])
    parser.add_argument("--webhook-url", default=None)
    args = parser.parse_args(None if argv is None else list(argv))
    sandbox = factory(
        host=args.host,
        port=args.port,
        secret_key=args.secret_key,
        webhook_secret=args.webhook_secret,
        webhook_url=args.webhook_url,
    )
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sandbox.start()
    try:
        for key, value in sandbox.env().items():
            print(f"{key}={value}")
        print("READY", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


# --------------------------------------------------------------------------- test helper


class WebhookReceiver:
    """A loopback endpoint that records webhook POSTs (for tests and manual checks).

    ``check(headers, body)`` picks the HTTP status to answer with (default 200).
    """

    def __init__(self, check: Callable[[dict[str, str], bytes], int] | None = None) -> None:
        self._check = check or (lambda headers, body: 200)
        self._cond = threading.Condition()
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self._server: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/webhook"

    def start(self) -> None:
        self._server = make_server(
            "127.0.0.1", 0, self._app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
        )
        assert isinstance(self._server, ThreadingWSGIServer)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.join_workers(timeout=5)
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Waits until predicate(decoded bodies of accepted POSTs) holds; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(bodies := self.accepted()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"webhooks seen so far: {bodies}")
                self._cond.wait(remaining)
            return bodies

    def accepted(self) -> list[dict[str, Any]]:
        with self._cond:
            return [json.loads(body) for _, body, status in self.received if status < 300]

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        status = self._check(headers, body)
        with self._cond:
            self.received.append((headers, body, status))
            self._cond.notify_all()
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok" if status < 300 else b"rejected"]
